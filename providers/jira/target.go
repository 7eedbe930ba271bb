package jira

import (
	"regexp"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

var _ itsm.Targeter = (*Connector)(nil)

// projectRE reads the project of a create payload that is not JSON until
// rendered (an ADF variable stands unquoted in it).
var projectRE = regexp.MustCompile(`"project"\s*:\s*\{\s*"(key|id)"\s*:\s*"([^"$]+)"`)

// Target names the Jira project the connector creates tickets in
// ([itsm.Targeter]): "jira|<origin><site path>|project=<KEY>", where the
// origin and path are those of the REST API root without "/rest/api/N"
// (scheme and host lower case, port written out, e.g.
// "jira|https://acme.atlassian.net:443|project=SEC" or, through the API
// gateway, "jira|https://api.atlassian.com:443/ex/jira/<cloudId>|project=SEC"),
// so the API version does not matter. The project is the create payload's
// fields.project.key (upper case), or "project-id=<id>" when it names an id.
// A payload whose project is a variable gives no project part: set
// httpconn.Config.Target then. Config.Target, when set, is returned as is.
// Safe for concurrent use.
func (c *Connector) Target() string { return c.target }

// jiraTarget computes the Jira target of cfg; api is the REST API root.
func jiraTarget(cfg httpconn.Config, api string) string {
	if t := strings.TrimSpace(cfg.Target); t != "" {
		return t
	}
	site := api
	if i := strings.LastIndex(site, "/rest/api/"); i >= 0 {
		site = site[:i]
	}
	origin, path, ok := baseurl.Split(site)
	if !ok {
		return httpconn.ConfigTarget(cfg)
	}
	t := "jira|" + origin + path
	p := gjson.Get(cfg.Create.Payload, "fields.project")
	key, id := p.Get("key").String(), p.Get("id").String()
	if key == "" && id == "" {
		if m := projectRE.FindStringSubmatch(cfg.Create.Payload); m != nil {
			if m[1] == "key" {
				key = m[2]
			} else {
				id = m[2]
			}
		}
	}
	switch {
	case key != "" && !strings.Contains(key, "$"):
		t += "|project=" + strings.ToUpper(strings.TrimSpace(key))
	case id != "" && !strings.Contains(id, "$"):
		t += "|project-id=" + strings.TrimSpace(id)
	}
	return t
}
