package rt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/tidwall/gjson"
)

// OpSetStatus is the operation name of the status change the connector
// sends right after a create whose status RT does not allow on create
// (stalled, rejected).
const OpSetStatus itsm.Operation = "set status"

// OpCheckSetup is the operation name of the queue and custom field check
// ([Connector.CheckSetup], [EnsureCorrelationField]).
const OpCheckSetup itsm.Operation = "check setup"

// ConnectorConfig holds the settings of [NewConnector]. The zero value of
// every field means its default, read from the config [Preset] built. It is
// plain data.
type ConnectorConfig struct {
	// BaseURL is RT's web URL; default: the create URL without
	// "/REST/2.0/ticket".
	BaseURL string `json:"base_url,omitempty"`
	// Queue and CorrelationField are the queue name and the correlation
	// custom field name; default: read from the create payload ("Queue",
	// and the CustomFields key whose value is $correlation_key).
	Queue            string `json:"queue,omitempty"`
	CorrelationField string `json:"correlation_field,omitempty"`
	// SkipSetupCheck turns off the one-time check (before the first
	// create or lookup) that the queue exists and the correlation field
	// applies to it.
	SkipSetupCheck bool `json:"skip_setup_check,omitempty"`
}

// Connector is the Request Tracker connector: an httpconn.Connector built
// from the preset's config, plus what templates cannot express:
//
//   - RT answers a PUT with 200 and one message per field, refusals
//     included: Update reads them and returns a [*RefusalError] naming the
//     field instead of success;
//   - the comment id is the transaction id of the Location header;
//   - a lookup match must carry the correlation key exactly (TicketSQL
//     compares case-insensitively on most databases);
//   - a status RT does not allow on create (stalled, rejected) is set by a
//     PUT right after the create;
//   - before the first create or lookup, the queue and the correlation
//     custom field are checked once ([Connector.CheckSetup]): an unknown
//     queue, a missing right or a missing field is a [*SetupError] naming
//     the admin step, not a ticket RT can never find again.
//
// It implements itsm.Connector, itsm.Finder and the optional
// itsm.FindCapable, itsm.CallBudgeter and itsm.StatusMapperProvider, and is
// safe for concurrent use.
type Connector struct {
	base *httpconn.Connector
	cc   ConnectorConfig
	cfg  httpconn.Config // with defaults, secrets included: never shown

	checked *atomic.Bool // the setup check passed once (a pointer: the value methods of redact_fmt.go copy c)
}

var (
	_ itsm.Connector            = (*Connector)(nil)
	_ itsm.Finder               = (*Connector)(nil)
	_ itsm.FindCapable          = (*Connector)(nil)
	_ itsm.CallBudgeter         = (*Connector)(nil)
	_ itsm.StatusMapperProvider = (*Connector)(nil)
	_ itsm.CommentFinder        = (*Connector)(nil)
	_ itsm.CommentFindCapable   = (*Connector)(nil)
)

// NewConnector builds the RT connector for cfg (normally from [Preset],
// possibly edited) with the settings of cc; opts inject the clock, logger
// and audit sink. A cfg missing the preset's extra variables gets them
// added. An invalid cfg is one *itsm.ValidationError (wrapping
// itsm.ErrInvalidConfig) listing every problem. No network I/O happens
// here.
func NewConnector(cfg httpconn.Config, cc ConnectorConfig, opts ...itsm.Option) (*Connector, error) {
	for _, v := range ExtraVariables {
		if !slices.Contains(cfg.ExtraVariables, v) {
			cfg.ExtraVariables = append(slices.Clip(cfg.ExtraVariables), v)
		}
	}
	if cfg.ID == "" {
		cfg.ID = itsm.NewID()
	}
	c := &Connector{cfg: cfg.WithDefaults(), checked: new(atomic.Bool)}
	c.cc = cc.withDefaults(cfg)
	base, err := httpconn.NewWithHooks(cfg, httpconn.Hooks{Variables: variables, Middleware: captureMiddleware}, opts...)
	if err != nil {
		return nil, err
	}
	c.base = base
	return c, nil
}

func (cc ConnectorConfig) withDefaults(cfg httpconn.Config) ConnectorConfig {
	if cc.BaseURL == "" {
		if u, ok := strings.CutSuffix(strings.TrimRight(cfg.Create.URL, "/"), "/REST/2.0/ticket"); ok {
			cc.BaseURL = u
		}
	}
	cc.BaseURL = strings.TrimRight(cc.BaseURL, "/")
	p := cfg.Create.Payload
	if gjson.Valid(p) {
		doc := gjson.Parse(p)
		if cc.Queue == "" {
			cc.Queue = doc.Get("Queue").String()
		}
		if cc.CorrelationField == "" {
			doc.Get("CustomFields").ForEach(func(k, v gjson.Result) bool {
				if v.String() == "$correlation_key" || v.String() == "${correlation_key}" {
					cc.CorrelationField = k.String()
					return false
				}
				return true
			})
		}
	}
	// A payload with template syntax outside strings ($rt_priority) is
	// not JSON: read the two names from their literal lines.
	if cc.Queue == "" {
		cc.Queue = literalAfter(p, `"Queue": "`)
	}
	if cc.CorrelationField == "" {
		cc.CorrelationField = literalAfter(p, `"CustomFields": {"`)
	}
	return cc
}

// literalAfter returns the JSON string literal after marker in p ("" when
// absent or not a plain literal).
func literalAfter(p, marker string) string {
	i := strings.Index(p, marker)
	if i < 0 {
		return ""
	}
	rest := p[i+len(marker)-1:]
	var s string
	dec := json.NewDecoder(strings.NewReader(rest))
	if err := dec.Decode(&s); err != nil {
		return ""
	}
	return strings.ReplaceAll(s, "$$", "$")
}

// Create checks the setup once (see [Connector.CheckSetup]), creates the
// ticket and, when the case status is one RT does not allow on create,
// sets it with a PUT right after (a refused or failed status change is
// audited; the ticket is returned either way, and the next update sends
// the status again). RT's answers to a refused create become errors
// naming the admin step ([*SetupError]): an unknown queue or a missing
// CreateTicket right is [ErrQueueNotFound] (RT 5.0 answers both with 403
// "No permission to create tickets in the queue"; the error then also
// wraps [ErrPermission]).
func (c *Connector) Create(ctx context.Context, req itsm.SyncRequest) (itsm.Ticket, error) {
	if err := c.ensureChecked(ctx, req.Case); err != nil {
		return itsm.Ticket{}, err
	}
	t, err := c.base.Create(ctx, req)
	if err != nil {
		return t, classifyCreate(err)
	}
	if req.Case != nil {
		want := c.base.StatusMapper().ITSMStatus(req.Case.Status)
		if want != "" && !creatable(want) {
			if serr := c.setStatus(ctx, t, req.Case, want); serr != nil {
				var re *RefusalError
				if errors.As(serr, &re) { // request failures are audited by Do
					c.base.Audit(ctx, OpSetStatus, req.Case, &t, time.Time{}, serr)
				}
			}
		}
	}
	return t, nil
}

// setStatus sends PUT /ticket/N {"Status": status} and reads RT's answer.
func (c *Connector) setStatus(ctx context.Context, t itsm.Ticket, cs *itsm.Case, status string) error {
	body, _ := json.Marshal(map[string]string{"Status": status})
	resp, err := c.base.Do(ctx, httpconn.Request{Op: itsm.OpUpdate, Method: http.MethodPut,
		URL: c.api() + "/ticket/$ticket_id", Body: body, Case: cs, Ticket: &t})
	if err != nil {
		return err
	}
	return checkMessages(OpSetStatus, t.ID, resp.Body)
}

// classifyCreate turns RT's create refusals into [*SetupError]s. RT 5's
// REST2 (lib/RT/REST2/Resource/Ticket.pm validate_input) answers 400
// "Unable to find queue" and 403 "No permission to create tickets in the
// queue '<name>'"; RT 5.0.3 (Debian bookworm) answers the latter for an
// unknown queue too.
func classifyCreate(err error) error {
	var he *httpconn.HTTPError
	if !errors.As(err, &he) {
		return err
	}
	switch {
	case he.StatusCode == http.StatusBadRequest && strings.Contains(he.Body, "Unable to find queue"):
		return &SetupError{Op: itsm.OpCreate, Field: "queue", AdminStep: stepQueue, Err: ErrQueueNotFound, Cause: err}
	case he.StatusCode == http.StatusForbidden:
		// RT 5.0 answers 403 "No permission to create tickets in the
		// queue '<name>'" for a queue that does not exist, too.
		return &SetupError{Op: itsm.OpCreate, Field: "queue", AdminStep: stepQueue, Err: ErrQueueNotFound, Cause: err}
	case he.StatusCode == http.StatusUnauthorized:
		return &SetupError{Op: itsm.OpCreate, Field: "auth", AdminStep: stepAuth, Err: ErrPermission, Cause: err}
	}
	return err
}

// Update sends the update and reads RT's per-field answer: a refused
// change is a [*RefusalError] naming the field (the first refusal; the
// others are in the audit trail of RT), never success.
func (c *Connector) Update(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest) (itsm.Ticket, error) {
	ctx, cp := withCapture(ctx)
	out, err := c.base.Update(ctx, t, req)
	if err != nil {
		return out, err
	}
	status, _, body := cp.get()
	if status/100 == 2 {
		if rerr := checkMessages(itsm.OpUpdate, t.ID, body); rerr != nil {
			c.base.Audit(ctx, "update refused", req.Case, &t, time.Time{}, rerr)
			return out, rerr
		}
	}
	return out, nil
}

// checkMessages reads RT's array of messages; the first refusal is a
// [*RefusalError]. A body that is not an array of strings is accepted (RT
// answers nothing for an update that changes nothing).
func checkMessages(op itsm.Operation, ticketID string, body []byte) error {
	var msgs []string
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &msgs) != nil {
		return nil
	}
	bad := refusals(msgs)
	if len(bad) == 0 {
		return nil
	}
	return &RefusalError{Op: op, TicketID: ticketID, Field: fieldOf(bad[0]), Message: clip.Bytes(bad[0], 300)}
}

// Comment posts the note as an internal comment (or a public reply, per
// the preset). The comment id is the transaction id at the end of the
// Location header RT 5 answers with (".../REST/2.0/transaction/<id>"),
// which is also the transaction id RT's webhook sends for it, so the echo
// of our own note is recognized.
func (c *Connector) Comment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, error) {
	ctx, cp := withCapture(ctx)
	cm, err := c.base.Comment(ctx, t, req, n)
	if err != nil {
		return cm, err
	}
	if cm.ID == "" {
		_, hdr, _ := cp.get()
		cm.ID = transactionID(hdr.Get("Location"))
	}
	return cm, nil
}

// CanFindComments reports whether the config has a comment lookup
// ([itsm.CommentFindCapable]); the preset has one unless
// Options.NoNoteMarker.
func (c *Connector) CanFindComments() bool { return c.base.CanFindComments() }

// FindComment looks for note n's comment by its marker
// ([itsm.CommentFinder]): with the preset, the ticket's newest 100
// attachments, one of which matches when its Subject holds the marker; the
// comment id is its TransactionId, as Comment returns it. RT answers a
// list for an unknown ticket with no items, so when nothing matches the
// ticket is read once: a ticket that does not exist (or that the user
// cannot see) is an error (RT's 404), not "not found".
func (c *Connector) FindComment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, bool, error) {
	cm, found, err := c.base.FindComment(ctx, t, req, n)
	if err != nil || found {
		return cm, found, err
	}
	if _, err := c.base.Get(ctx, t); err != nil && !errors.Is(err, itsm.ErrNotConfigured) {
		return itsm.Comment{}, false, err
	}
	return itsm.Comment{}, false, nil
}

// transactionID returns N of ".../transaction/N" ("" otherwise).
func transactionID(loc string) string {
	if loc == "" {
		return ""
	}
	if u, err := url.Parse(loc); err == nil {
		loc = u.Path
	}
	i := strings.LastIndex(loc, "/transaction/")
	if i < 0 {
		return ""
	}
	id := loc[i+len("/transaction/"):]
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return ""
	}
	return id
}

// Get reads the ticket: Title is its Subject, Status its status (new,
// open, stalled, resolved, rejected, deleted). RT's GET answers "id" as a
// number; the ticket keeps the id it was asked for.
func (c *Connector) Get(ctx context.Context, t itsm.Ticket) (itsm.Ticket, error) {
	return c.base.Get(ctx, t)
}

// Find checks the setup once, then looks the tickets up by TicketSQL on the
// correlation field and the queue (oldest first, by id) and returns those
// whose custom field holds the key exactly, in that order; when the search
// answer does not carry custom field values, a candidate is read with a GET
// to check it (at most [httpconn.MaxLookupGets] per lookup).
func (c *Connector) Find(ctx context.Context, req itsm.SyncRequest) ([]itsm.Ticket, error) {
	if err := c.ensureChecked(ctx, req.Case); err != nil {
		return nil, err
	}
	ctx2, cp := withCapture(ctx)
	// The preset's lookup verifies each item's CustomFields itself; the
	// answer is read again here for the items without them.
	if _, err := c.base.Find(ctx2, req); err != nil {
		return nil, err
	}
	key := req.CorrelationKey
	if key == "" && req.Case != nil {
		key = itsm.CorrelationKey(c.cfg.ID, req.Case.ID)
	}
	_, _, body := cp.get()
	var ids []string
	var unknown []int // indexes into ids of candidates without custom field values
	var ok []bool
	gjson.GetBytes(body, "items").ForEach(func(_, item gjson.Result) bool {
		id := item.Get("id").String()
		if id == "" {
			return true
		}
		cfs := item.Get("CustomFields")
		ids = append(ids, id)
		ok = append(ok, cfs.Exists() && carriesKey(cfs, c.cc.CorrelationField, key))
		if !cfs.Exists() {
			unknown = append(unknown, len(ids)-1)
		}
		return len(ids) < httpconn.MaxLookupItems
	})
	for n, i := range unknown {
		if n == httpconn.MaxLookupGets {
			break
		}
		carries, gerr := c.ticketCarriesKey(ctx, ids[i], key)
		if gerr != nil {
			return nil, gerr
		}
		ok[i] = carries
	}
	found := []itsm.Ticket{}
	for i, id := range ids {
		if !ok[i] {
			continue
		}
		t := itsm.Ticket{ID: id}
		if v := c.cfg.ViewURL; v != "" {
			t.URL = strings.ReplaceAll(v, "$ticket_id", url.QueryEscape(id))
		}
		found = append(found, t)
	}
	return found, nil
}

// carriesKey reports whether an RT CustomFields array ([{"name": ...,
// "values": [...]}]) has key as a value of the field.
func carriesKey(cfs gjson.Result, field, key string) bool {
	ok := false
	cfs.ForEach(func(_, cf gjson.Result) bool {
		if field != "" && !strings.EqualFold(cf.Get("name").String(), field) {
			return true
		}
		cf.Get("values").ForEach(func(_, v gjson.Result) bool {
			if v.Type == gjson.String && v.Str == key {
				ok = true
			}
			return !ok
		})
		return !ok
	})
	return ok
}

func (c *Connector) ticketCarriesKey(ctx context.Context, id, key string) (bool, error) {
	t := itsm.Ticket{ID: id}
	resp, err := c.base.Do(ctx, httpconn.Request{Op: itsm.OpLookup, Method: http.MethodGet, URL: c.api() + "/ticket/$ticket_id", Ticket: &t})
	if err != nil {
		return false, err
	}
	return carriesKey(gjson.GetBytes(resp.Body, "CustomFields"), c.cc.CorrelationField, key), nil
}

func (c *Connector) api() string { return strings.ReplaceAll(c.cc.BaseURL, "$", "$$") + "/REST/2.0" }

// ensureChecked runs the setup check until it passed once.
func (c *Connector) ensureChecked(ctx context.Context, cs *itsm.Case) error {
	if c.cc.SkipSetupCheck || c.cc.BaseURL == "" || c.cc.Queue == "" || c.cc.CorrelationField == "" {
		return nil
	}
	if c.checked.Load() {
		return nil
	}
	applied, _, err := c.queueHasField(ctx, cs)
	if err != nil {
		return err
	}
	if !applied {
		return &SetupError{Op: OpCheckSetup, Field: "correlation_field", AdminStep: stepField, Err: ErrFieldMissing}
	}
	c.checked.Store(true)
	return nil
}

// CheckSetup checks that the queue exists and the correlation custom field
// applies to it, with one GET of the queue (RT 5 lists the ticket custom
// fields of a queue the user may see in TicketCustomFields). The problems
// are [*SetupError]s naming the admin step: [ErrQueueNotFound] (RT answers
// 403 both for a queue that does not exist and for one the user may not
// see; the error then wraps [ErrPermission] too), [ErrPermission] (401),
// [ErrFieldMissing].
func (c *Connector) CheckSetup(ctx context.Context) error {
	applied, _, err := c.queueHasField(ctx, nil)
	if err != nil {
		return err
	}
	if !applied {
		return &SetupError{Op: OpCheckSetup, Field: "correlation_field", AdminStep: stepField, Err: ErrFieldMissing}
	}
	c.checked.Store(true)
	return nil
}

// queueHasField GETs the queue and reports whether the correlation field
// applies to it, and the queue's numeric id.
func (c *Connector) queueHasField(ctx context.Context, cs *itsm.Case) (bool, string, error) {
	resp, err := c.base.Do(ctx, httpconn.Request{Op: OpCheckSetup, Method: http.MethodGet,
		URL: c.api() + "/queue/" + strings.ReplaceAll(url.PathEscape(c.cc.Queue), "$", "$$"), Case: cs})
	if err != nil {
		return false, "", classifySetup(err)
	}
	doc := gjson.ParseBytes(resp.Body)
	applied := false
	doc.Get("TicketCustomFields").ForEach(func(_, cf gjson.Result) bool {
		applied = strings.EqualFold(cf.Get("name").String(), c.cc.CorrelationField)
		return !applied
	})
	return applied, doc.Get("id").String(), nil
}

// classifySetup turns the answer to GET /queue/<name> into a
// [*SetupError].
func classifySetup(err error) error {
	var he *httpconn.HTTPError
	if !errors.As(err, &he) {
		return err
	}
	switch he.StatusCode {
	case http.StatusNotFound, http.StatusForbidden:
		// RT 5 answers 403 "Forbidden" both for a queue that does not
		// exist and for one the user may not see.
		return &SetupError{Op: OpCheckSetup, Field: "queue", AdminStep: stepQueue, Err: ErrQueueNotFound, Cause: err}
	case http.StatusUnauthorized:
		return &SetupError{Op: OpCheckSetup, Field: "auth", AdminStep: stepAuth, Err: ErrPermission, Cause: err}
	}
	return err
}

// Check GETs the health URL (the queue): it proves the URL, the
// credentials and the right to see the queue without changing anything.
func (c *Connector) Check(ctx context.Context) error { return c.base.Check(ctx) }

// Preview renders every request for case cs without sending anything (see
// httpconn.Connector.Preview).
func (c *Connector) Preview(cs itsm.Case, note *itsm.Note, ticket *itsm.Ticket) ([]httpconn.PreviewRequest, error) {
	return c.base.Preview(cs, note, ticket)
}

// CanFind reports whether the config has a lookup request
// ([itsm.FindCapable]).
func (c *Connector) CanFind() bool { return c.base.CanFind() }

// MaxCallDuration bounds one call, every attempt, backoff and Retry-After
// wait included ([itsm.CallBudgeter]). Create and Find may send up to three
// requests (the setup check, the request, a status change or a check of a
// candidate), FindComment two (the attachments, the ticket), so it is three
// times the HTTP connector's budget.
func (c *Connector) MaxCallDuration() time.Duration { return 3 * c.base.MaxCallDuration() }

// StatusMapper returns the config's status and priority maps
// ([itsm.StatusMapperProvider]), so inbound echoes of a pushed status are
// recognised.
func (c *Connector) StatusMapper() itsm.StatusMapper { return c.base.StatusMapper() }

// HTTP returns the underlying HTTP connector, for what the RT connector
// does not wrap: its redacted Config, and Do for a REST2 request of your
// own.
func (c *Connector) HTTP() *httpconn.Connector { return c.base }

// Close releases idle connections.
func (c *Connector) Close() error { return c.base.Close() }

// captureKey is the context key of a *capture.
type captureKey struct{}

// capture records the last response of one call (status, headers, up to
// maxCapture bytes of the body) for the parts of RT's answers httpconn does
// not read: the update messages, the comment's Location, the lookup items.
type capture struct {
	mu     sync.Mutex
	status int
	header http.Header
	body   []byte
}

const maxCapture = 1 << 20

func withCapture(ctx context.Context) (context.Context, *capture) {
	c := &capture{}
	return context.WithValue(ctx, captureKey{}, c), c
}

func (c *capture) get() (int, http.Header, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.header
	if h == nil {
		h = http.Header{}
	}
	return c.status, h, c.body
}

// captureMiddleware copies the answer of every attempt made under a
// capture context (the last one wins) and passes the body on unchanged.
func captureMiddleware(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		cp, _ := req.Context().Value(captureKey{}).(*capture)
		if err != nil || cp == nil || resp == nil {
			return resp, err
		}
		var buf []byte
		if resp.Body != nil {
			buf, _ = io.ReadAll(io.LimitReader(resp.Body, maxCapture))
			resp.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(buf), resp.Body), Closer: resp.Body}
		}
		cp.mu.Lock()
		cp.status, cp.header, cp.body = resp.StatusCode, resp.Header.Clone(), buf
		cp.mu.Unlock()
		return resp, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type readCloser struct {
	io.Reader
	io.Closer
}

// MaxChanged is the most tickets one [Connector.ChangedSince] call returns
// (RT's REST2 page size limit).
const MaxChanged = 100

// ChangedSinceQuery returns the TicketSQL of the tickets of queue changed
// after since: "Queue = '<queue>' AND LastUpdated > '<since in UTC>'"
// (RT stores LastUpdated in UTC and reads a TicketSQL date in the RT
// user's time zone: keep the API user's time zone at UTC, RT's default).
func ChangedSinceQuery(queue string, since time.Time) string {
	return "Queue = " + ticketSQLString(queue) + " AND LastUpdated > '" + since.UTC().Format("2006-01-02 15:04:05") + "'"
}

// ChangedSince lists the tickets of the queue updated after since, oldest
// change first, at most [MaxChanged] (call again from the last one's
// time for more): the reconciler's poll for deliveries the Scrip could not
// make. Each ticket has ID and Status; UpdatedAt is RT's LastUpdated.
func (c *Connector) ChangedSince(ctx context.Context, since time.Time) ([]ChangedTicket, error) {
	q := url.QueryEscape(ChangedSinceQuery(c.cc.Queue, since))
	resp, err := c.base.Do(ctx, httpconn.Request{Op: itsm.OpLookup, Method: http.MethodGet,
		URL: c.api() + "/tickets?query=" + strings.ReplaceAll(q, "$", "$$") + "&fields=Status,LastUpdated&orderby=LastUpdated&order=ASC&per_page=" + strconv.Itoa(MaxChanged)})
	if err != nil {
		return nil, err
	}
	var out []ChangedTicket
	gjson.GetBytes(resp.Body, "items").ForEach(func(_, it gjson.Result) bool {
		ct := ChangedTicket{ID: it.Get("id").String(), Status: it.Get("Status").String()}
		if ts, err := time.Parse(time.RFC3339, it.Get("LastUpdated").String()); err == nil {
			ct.UpdatedAt = ts.UTC()
		}
		if ct.ID != "" {
			out = append(out, ct)
		}
		return true
	})
	return out, nil
}

// ChangedTicket is one ticket [Connector.ChangedSince] found.
type ChangedTicket struct {
	ID        string
	Status    string
	UpdatedAt time.Time
}
