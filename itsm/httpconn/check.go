package httpconn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/template"
)

// ProbeKind names the request [Connector.Check] makes.
type ProbeKind string

// The probes, in the order Check chooses them.
const (
	// ProbeHealthURL: a GET of Config.HealthURL; any 2xx passes.
	ProbeHealthURL ProbeKind = "health_url"
	// ProbeGet: the get request for [SampleTicket]; any 2xx, or a 404
	// (the ITSM authenticated the call and has no such ticket), passes.
	ProbeGet ProbeKind = "get"
	// ProbeJira: the create URL is Jira's REST API (".../rest/api/2/..." or
	// "/3/"): a GET of ".../rest/api/{2|3}/myself", the current user
	// (Atlassian: "Get current user", read-only); any 2xx passes.
	ProbeJira ProbeKind = "jira_myself"
	// ProbeServiceNow: the create URL is a ServiceNow table
	// (".../api/now/table/<table>"): a one-row read,
	// "GET .../api/now/table/<table>?sysparm_limit=1&sysparm_fields=sys_id";
	// any 2xx passes.
	ProbeServiceNow ProbeKind = "servicenow_table"
	// ProbeOrigin: the documented fallback for any other config: an
	// authenticated GET of the create URL's origin ("https://host:port/").
	// It proves the host resolves, is allowed by the network rules,
	// completes TLS and answers HTTP; any answer but 401, 403, 407 or a 5xx
	// passes (a 404 or a login page is an answer). It does not prove the
	// credentials, which most servers do not ask for at "/": configure a
	// health URL or a get request for that.
	ProbeOrigin ProbeKind = "origin"
)

// Probe is the request [Connector.Check] makes.
type Probe struct {
	Kind   ProbeKind `json:"kind"`
	Method string    `json:"method"`
	// URL is the request URL rendered with the sample values.
	URL string `json:"url"`
}

var (
	jiraAPI       = regexp.MustCompile(`^(.*?/rest/api/(?:2|3|latest))(?:/|$)`)
	serviceNowAPI = regexp.MustCompile(`^(.*?/api/now/(?:v\d+/)?table/[A-Za-z0-9_]+)(?:[/?#]|$)`)
)

// probe chooses the check request (see [ProbeKind]).
func (c *Connector) probe() (Probe, endpoint, error) {
	if c.cc.health != nil {
		ep := endpoint{op: itsm.OpCheck, method: http.MethodGet, url: c.cc.health}
		return Probe{Kind: ProbeHealthURL, Method: http.MethodGet}, ep, nil
	}
	if c.cc.get.configured() {
		ep := c.cc.get
		ep.op = itsm.OpCheck
		return Probe{Kind: ProbeGet, Method: ep.method}, ep, nil
	}
	if !c.cc.create.configured() {
		return Probe{}, endpoint{}, &opError{Op: itsm.OpCheck, Err: fmt.Errorf("%w: no health URL, get request or create URL", itsm.ErrNotConfigured)}
	}
	sc := SampleCase
	raw, err := c.cc.create.url.Render(withNulls(c.values(&sc, nil, nil, ""), c.cc.create.nulls))
	if err != nil {
		return Probe{}, endpoint{}, &opError{Op: itsm.OpCheck, Err: fmt.Errorf("%w: create URL does not render", itsm.ErrInvalidConfig)}
	}
	u, err := url.Parse(string(raw))
	if err != nil || u.Host == "" {
		return Probe{}, endpoint{}, &opError{Op: itsm.OpCheck, Err: fmt.Errorf("%w: create URL does not parse", itsm.ErrInvalidConfig)}
	}
	noQuery := u.Scheme + "://" + u.Host + u.EscapedPath()
	p := Probe{Kind: ProbeOrigin, Method: http.MethodGet, URL: u.Scheme + "://" + u.Host + "/"}
	switch {
	case jiraAPI.MatchString(noQuery):
		p.Kind, p.URL = ProbeJira, jiraAPI.FindStringSubmatch(noQuery)[1]+"/myself"
	case serviceNowAPI.MatchString(noQuery):
		p.Kind, p.URL = ProbeServiceNow, serviceNowAPI.FindStringSubmatch(noQuery)[1]+"?sysparm_limit=1&sysparm_fields=sys_id"
	}
	t, err := template.Parse(strings.ReplaceAll(p.URL, "$", "$$"), template.Options{Name: "check", Syntax: template.URL, Known: []string{}})
	if err != nil {
		return Probe{}, endpoint{}, &opError{Op: itsm.OpCheck, Err: fmt.Errorf("%w: probe URL", itsm.ErrInvalidConfig)}
	}
	return p, endpoint{op: itsm.OpCheck, method: http.MethodGet, url: t}, nil
}

// Probe returns the request [Connector.Check] makes, without making it
// (a UI or a command-line tool shows it). The URL has no secrets unless
// the configured URL has them in its query.
func (c *Connector) Probe() (Probe, error) {
	p, ep, err := c.probe()
	if err != nil {
		return Probe{}, err
	}
	if p.URL == "" {
		st, sc := SampleTicket, SampleCase
		out, rerr := ep.url.Render(withNulls(c.values(&sc, &st, nil, ""), ep.nulls))
		if rerr == nil {
			p.URL = string(out)
		}
	}
	return p, nil
}

// Check makes one live, harmless, authenticated call so a UI can mark the
// integration "Configured". It uses, in this order: a GET of HealthURL when
// set (any 2xx passes); the get request for [SampleTicket] (any 2xx, or a
// 404 — the ITSM authenticated the call and has no such ticket — passes);
// for a create URL on Jira's REST API, GET .../rest/api/{2|3}/myself; for
// one on a ServiceNow table, a one-row read of that table; otherwise an
// authenticated GET of the create URL's origin, which passes on any answer
// but 401, 403, 407 or a 5xx (see [ProbeOrigin] for what that proves).
// [Connector.Probe] tells which. A refused answer fails with an
// [*HTTPError]; network and TLS failures with a [*NetworkError]. Nothing is
// created or changed.
func (c *Connector) Check(ctx context.Context) (err error) {
	start := c.env.Clock.Now()
	var status int
	defer func() { c.record(ctx, itsm.OpCheck, nil, nil, nil, status, start, err) }()
	p, ep, err := c.probe()
	if err != nil {
		return err
	}
	sc, st := SampleCase, SampleTicket
	vals := c.values(&sc, &st, nil, c.correlationKey(itsm.SyncRequest{Case: &sc}))
	if p.Kind == ProbeGet {
		vals = c.values(nil, &st, nil, "")
	}
	res, err := c.do(ctx, &ep, vals, false)
	status = res.status
	var he *HTTPError
	if err == nil || !errors.As(err, &he) {
		return err
	}
	switch p.Kind {
	case ProbeGet:
		if he.StatusCode == http.StatusNotFound {
			return nil
		}
	case ProbeOrigin:
		switch code := he.StatusCode; {
		case code == http.StatusUnauthorized, code == http.StatusForbidden, code == http.StatusProxyAuthRequired, code >= 500:
		default:
			return nil
		}
	}
	return err
}
