package sysaid

import (
	"strings"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

var _ itsm.Targeter = (*Connector)(nil)

// Target names the SysAid server and account the connector creates service
// records in ([itsm.Targeter]): "sysaid|<origin>|account=<account id>"
// (scheme and host lower case, port written out; the account part only
// when ConnectorConfig.AccountID is set), e.g.
// "sysaid|https://acme.sysaidit.com:443|account=acme".
// httpconn.Config.Target, when set, is returned as is. Safe for concurrent
// use.
func (c *Connector) Target() string {
	if t := strings.TrimSpace(c.cfg.Target); t != "" {
		return t
	}
	origin, _, ok := baseurl.Split(c.server)
	if !ok {
		return httpconn.ConfigTarget(c.cfg)
	}
	t := "sysaid|" + origin
	if a := strings.TrimSpace(c.accountID); a != "" {
		t += "|account=" + a
	}
	return t
}
