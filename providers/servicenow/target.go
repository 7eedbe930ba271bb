package servicenow

import (
	"regexp"
	"strings"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

var _ itsm.Targeter = (*Connector)(nil)

// tableURLRE splits a Table API URL into the instance and the table.
var tableURLRE = regexp.MustCompile(`^(.*?)/api/now/(?:v\d+/)?table/([A-Za-z0-9_]+)`)

// Target names the instance and table the connector creates records in
// ([itsm.Targeter]): "servicenow|<origin><path>|table=<table>", read from the
// create URL (scheme and host lower case, port written out, the table lower
// case as ServiceNow names tables), e.g.
// "servicenow|https://acme.service-now.com:443|table=incident". The Table
// API version in the URL does not matter. httpconn.Config.Target, when
// set, is returned as is; a create URL that is not a Table API URL gives the
// generic HTTP target. Safe for concurrent use.
func (c *Connector) Target() string {
	if t := strings.TrimSpace(c.cfg.Target); t != "" {
		return t
	}
	raw := strings.TrimSpace(c.cfg.Create.URL)
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	m := tableURLRE.FindStringSubmatch(raw)
	if m == nil {
		return httpconn.ConfigTarget(c.cfg)
	}
	origin, path, ok := baseurl.Split(m[1])
	if !ok {
		return httpconn.ConfigTarget(c.cfg)
	}
	return "servicenow|" + origin + path + "|table=" + strings.ToLower(m[2])
}
