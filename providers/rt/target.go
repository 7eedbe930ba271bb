package rt

import (
	"strings"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

var _ itsm.Targeter = (*Connector)(nil)

// Target names the RT instance and queue the connector creates tickets in
// ([itsm.Targeter]): "rt|<origin><path>|queue=<queue>" from the base URL
// (RT's $WebURL: scheme and host lower case, port written out) and the
// create payload's Queue, e.g. "rt|https://rt.example.com:443/rt|queue=General".
// httpconn.Config.Target, when set, is returned as is. Safe for concurrent
// use.
func (c *Connector) Target() string {
	if t := strings.TrimSpace(c.cfg.Target); t != "" {
		return t
	}
	origin, path, ok := baseurl.Split(c.cc.BaseURL)
	if !ok {
		return httpconn.ConfigTarget(c.cfg)
	}
	t := "rt|" + origin + path
	if q := strings.TrimSpace(c.cc.Queue); q != "" {
		t += "|queue=" + q
	}
	return t
}
