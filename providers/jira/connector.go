package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/tidwall/gjson"
)

// OpTransition names the transition request in errors and audit events.
const OpTransition itsm.Operation = "transition"

// ErrNoTransition is a status change the ticket's workflow offers no
// transition for. The error is a *TransitionError naming the target and the
// available transitions.
var ErrNoTransition = errors.New("jira: no transition to the target status")

// TransitionError is a status change that found no transition: none of the
// ticket's available transitions leads to the Target status (by name) or,
// failing that, to a status of the TargetCategory. It wraps
// [ErrNoTransition].
type TransitionError struct {
	// TicketID is the issue id.
	TicketID string
	// Current is the ticket's status name when the change was attempted.
	Current string
	// Target is the status name the case status maps to ("" when the map
	// has none and only the category was looked for); TargetCategory its
	// statusCategory key (new, indeterminate, done).
	Target         string
	TargetCategory string
	// Available lists the available transitions as "name → status".
	Available []string
}

// Error implements the error interface.
func (e *TransitionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jira: ticket %s: no transition from %q to ", e.TicketID, e.Current)
	if e.Target != "" {
		fmt.Fprintf(&b, "status %q", e.Target)
		if e.TargetCategory != "" {
			fmt.Fprintf(&b, " or category %q", e.TargetCategory)
		}
	} else {
		fmt.Fprintf(&b, "a status of category %q", e.TargetCategory)
	}
	if len(e.Available) == 0 {
		b.WriteString("; the workflow offers no transition")
	} else {
		b.WriteString("; available: " + strings.Join(e.Available, ", "))
	}
	return b.String()
}

// Unwrap returns ErrNoTransition.
func (e *TransitionError) Unwrap() error { return ErrNoTransition }

// Connector is the Jira connector: the config-driven itsm.Connector with
// Jira's computed variables ([Variables]) and status changes through
// workflow transitions, which Jira requires (a PUT cannot set the status).
// It implements itsm.Connector, itsm.Finder and the optional
// itsm.FindCapable, itsm.CallBudgeter and itsm.StatusMapperProvider; build
// it with [NewConnector]. It is safe for concurrent use.
//
// After an Update has sent the fields, the case status is mapped with the
// config's StatusMap to a Jira status (and a status category). When the
// ticket is not already there — its status has that name, or maps back to
// the case status, or is of the target category when the map names no
// status — the connector reads the ticket's transitions, picks the one
// whose target status has the name (case-insensitively), else one whose
// target is of the category (preferring statuses the map knows), and
// posts it. When a transition screen requires a resolution it sends one of
// the allowed values ("Done" when offered). No transition is a
// *TransitionError wrapping [ErrNoTransition]. After a Create the same is
// done for a case that does not start in the workflow's initial status;
// there a failure does not fail the create (the ticket exists): it is
// recorded as a "transition" audit event and retried by the next Update.
type Connector struct {
	http   *httpconn.Connector
	status *statusmap.Compiled
	api    string // URL template prefix, ".../rest/api/<version>"
	target string // see Target
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

// requestsPerWrite is the most HTTP requests one Create or Update sends:
// the create or update itself, then reading the status, the transitions,
// and posting the transition.
const requestsPerWrite = 4

var apiRootRE = regexp.MustCompile(`^(.*?/rest/api/(?:2|3|latest))(?:/|$)`)

// NewConnector builds the Jira connector from cfg (typically from [Preset],
// possibly edited and saved); opts inject the clock, logger and audit sink.
// The ADF variables come from [Variables]. The REST API root for
// transitions is read from the update URL (else the get or create URL): it
// must contain "/rest/api/2", "/rest/api/3" or "/rest/api/latest". Status
// changes use cfg.StatusMap. An invalid cfg is one *itsm.ValidationError
// (wrapping itsm.ErrInvalidConfig) listing every problem, the missing API
// root included. No network I/O happens here.
func NewConnector(cfg httpconn.Config, opts ...itsm.Option) (*Connector, error) {
	var api string
	for _, u := range []string{cfg.Update.URL, cfg.Get.URL, cfg.Create.URL} {
		if m := apiRootRE.FindStringSubmatch(strings.TrimSpace(u)); m != nil {
			api = m[1]
			break
		}
	}
	hc, err := httpconn.NewWithHooks(cfg, httpconn.Hooks{Variables: Variables, Middleware: omitBlankPriority}, opts...)
	if api == "" {
		fe := itsm.FieldError{Field: "update.url",
			Message: "is not a Jira REST API URL (<base>/rest/api/{2|3}/issue/$ticket_id): status transitions need the API root"}
		var ve *itsm.ValidationError
		switch {
		case err == nil:
			_ = hc.Close()
			return nil, &itsm.ValidationError{Errors: []itsm.FieldError{fe}, Component: "jira"}
		case errors.As(err, &ve):
			ve.Errors = append([]itsm.FieldError{fe}, ve.Errors...)
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	// A map that does not compile was reported by httpconn above.
	status, _ := cfg.StatusMap.Compile()
	return &Connector{http: hc, status: status, api: api, target: jiraTarget(cfg, api)}, nil
}

// HTTP returns the underlying HTTP connector, for what the Jira connector
// does not wrap: its redacted Config, and Do for a Jira request of your own
// (sent with the connector's transport, auth, retries and audit).
func (c *Connector) HTTP() *httpconn.Connector { return c.http }

// Preview renders the configured requests without sending them; see
// httpconn.Connector.Preview. Transitions are decided at run time and are
// not part of it.
func (c *Connector) Preview(cs itsm.Case, note *itsm.Note, ticket *itsm.Ticket) ([]httpconn.PreviewRequest, error) {
	return c.http.Preview(cs, note, ticket)
}

// Check makes one harmless authenticated call (GET .../myself with the
// preset); see httpconn.Connector.Check.
func (c *Connector) Check(ctx context.Context) error { return c.http.Check(ctx) }

// Close releases idle connections.
func (c *Connector) Close() error { return c.http.Close() }

// CanFind reports whether the config has a lookup request
// ([itsm.FindCapable]).
func (c *Connector) CanFind() bool { return c.http.CanFind() }

// MaxCallDuration bounds one call, every request, attempt, backoff and
// Retry-After wait included ([itsm.CallBudgeter]): a Create or Update may
// send four requests (the write, the status read, the transitions read and
// the transition), each bounded like one call of the HTTP connector, so the
// budget is four times its budget. itsm.NewSyncer sizes its lease from it.
func (c *Connector) MaxCallDuration() time.Duration {
	return requestsPerWrite * c.http.MaxCallDuration()
}

// StatusMapper returns the config's status and priority maps
// ([itsm.StatusMapperProvider]), so itsm.NewSyncer records the Jira status
// each sync pushed and inbound echoes of it are recognised.
func (c *Connector) StatusMapper() itsm.StatusMapper { return c.http.StatusMapper() }

// Find looks the case's tickets up by their correlation label (a JQL search
// for the label, oldest first) and returns those whose labels hold the key.
func (c *Connector) Find(ctx context.Context, req itsm.SyncRequest) ([]itsm.Ticket, error) {
	return c.http.Find(ctx, req)
}

// CanFindComments reports whether the config has a comment lookup
// ([itsm.CommentFindCapable]); the preset has one.
func (c *Connector) CanFindComments() bool { return c.http.CanFindComments() }

// FindComment looks for the comment of note n by its marker
// ([itsm.CommentFinder]): with the preset, the newest 100 comments
// with their properties expanded, the match checked on each comment's
// "itsmsync" property. A Jira that returns comments without their
// properties makes it an error (wrapping itsm.ErrInvalidResponse), never a
// "not found". See httpconn.Connector.FindComment.
func (c *Connector) FindComment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, bool, error) {
	return c.http.FindComment(ctx, t, req, n)
}

// Get reads the ticket (summary, status name and category).
func (c *Connector) Get(ctx context.Context, t itsm.Ticket) (itsm.Ticket, error) {
	return c.http.Get(ctx, t)
}

// ErrBlankNote is a note without text: Jira refuses an empty comment
// ("Comment body can not be empty!"), so [Connector.Comment] sends nothing
// and returns an *itsm.ValidationError (Input, wrapping
// itsm.ErrInvalidInput) that wraps it.
var ErrBlankNote = errors.New("jira: the note is blank: Jira refuses an empty comment")

// Comment posts a note as a comment. A note whose text is blank (empty,
// white space or control characters only) is refused before anything is
// sent, with an *itsm.ValidationError wrapping [ErrBlankNote].
func (c *Connector) Comment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, error) {
	if OneLine(n.Text) == "" {
		return itsm.Comment{}, &blankNoteError{&itsm.ValidationError{Component: "jira", Subject: "note", Input: true,
			Errors: []itsm.FieldError{{Field: "text", Message: "is blank: Jira refuses an empty comment"}}}}
	}
	return c.http.Comment(ctx, t, req, n)
}

// Create creates the ticket, then moves it to the case's status when that is
// not where the workflow starts. A failed transition is audited, not
// returned: the ticket exists and its link must be stored; the next Update
// tries again and reports it.
func (c *Connector) Create(ctx context.Context, req itsm.SyncRequest) (itsm.Ticket, error) {
	t, err := c.http.Create(ctx, req)
	if err != nil {
		return t, err
	}
	if terr := c.syncStatus(ctx, t, req.Case); terr != nil {
		var sent *requestError
		if !errors.As(terr, &sent) { // request failures are audited by Do
			// A zero start: the connector's clock stamps it (each request
			// of the step was audited with its own duration).
			c.http.Audit(ctx, OpTransition, req.Case, &t, time.Time{}, terr)
		}
	}
	return t, nil
}

// Update sends the fields, then changes the status through a transition
// when the case status maps to another one. A failed status change is an
// error (the fields were updated: the next Update sends them again, which
// is harmless): a *TransitionError, or the failed request's error.
func (c *Connector) Update(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest) (itsm.Ticket, error) {
	out, err := c.http.Update(ctx, t, req)
	if err != nil {
		return out, err
	}
	if err := c.syncStatus(ctx, out, req.Case); err != nil {
		return out, wrap("update ticket "+out.ID+": fields updated, status not changed", err)
	}
	return out, nil
}

// blankNoteError is the validation error of a blank note, also matching
// ErrBlankNote.
type blankNoteError struct{ *itsm.ValidationError }

func (e *blankNoteError) Unwrap() []error { return []error{e.ValidationError, ErrBlankNote} }

// wrapError has its own message and wraps err for errors.Is and errors.As.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// wrap returns "jira: <context>: <err>" wrapping err, with err's own package
// prefix dropped so that the message has one.
func wrap(context string, err error) error {
	msg := err.Error()
	for _, p := range []string{"jira: ", "itsm: ", "httpconn: "} {
		if strings.HasPrefix(msg, p) {
			msg = msg[len(p):]
			break
		}
	}
	return &wrapError{msg: "jira: " + context + ": " + msg, err: err}
}

// requestError marks an error returned by httpconn.Connector.Do (already
// audited).
type requestError struct{ err error }

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

// jiraStatus is a status as Jira returns it.
type jiraStatus struct{ name, category string }

// target is where a case status goes.
type target struct {
	caseStatus itsm.Status
	name       string // "" when the map has no status for it
	category   string
}

// syncStatus moves t to the status cs maps to, when needed.
func (c *Connector) syncStatus(ctx context.Context, t itsm.Ticket, cs *itsm.Case) error {
	if cs == nil || cs.Status == "" || t.ID == "" {
		return nil
	}
	tg := c.targetOf(cs.Status)
	if tg.name == "" && tg.category == "" {
		return nil
	}
	cur, err := c.currentStatus(ctx, t, cs)
	if err != nil {
		return err
	}
	if c.already(cur, tg) {
		return nil
	}
	resp, err := c.http.Do(ctx, httpconn.Request{Op: itsm.OpGet, Method: "GET",
		URL: c.api + "/issue/$ticket_id/transitions?expand=transitions.fields", Case: cs, Ticket: &t})
	if err != nil {
		return &requestError{err}
	}
	if !gjson.ValidBytes(resp.Body) {
		return wrap("ticket "+t.ID+": transitions: body is not json", itsm.ErrInvalidResponse)
	}
	trs := gjson.GetBytes(resp.Body, "transitions")
	tr, ok := c.pick(trs, cur, tg)
	if !ok {
		te := &TransitionError{TicketID: t.ID, Current: cur.name, Target: tg.name, TargetCategory: tg.category}
		trs.ForEach(func(_, v gjson.Result) bool {
			if v.Get("isAvailable").Type != gjson.False {
				te.Available = append(te.Available, strconv.Quote(clip.Bytes(v.Get("name").String(), 64))+" → "+strconv.Quote(clip.Bytes(v.Get("to.name").String(), 64)))
			}
			return len(te.Available) < 20
		})
		return te
	}
	body := transitionBody(tr)
	if _, err := c.http.Do(ctx, httpconn.Request{Op: OpTransition, Method: "POST",
		URL: c.api + "/issue/$ticket_id/transitions", Body: body, Case: cs, Ticket: &t}); err != nil {
		return &requestError{err}
	}
	return nil
}

// currentStatus reads the ticket's status.
func (c *Connector) currentStatus(ctx context.Context, t itsm.Ticket, cs *itsm.Case) (jiraStatus, error) {
	resp, err := c.http.Do(ctx, httpconn.Request{Op: itsm.OpGet, Method: "GET",
		URL: c.api + "/issue/$ticket_id?fields=status", Case: cs, Ticket: &t})
	if err != nil {
		return jiraStatus{}, &requestError{err}
	}
	if !gjson.ValidBytes(resp.Body) {
		return jiraStatus{}, wrap("ticket "+t.ID+": status: body is not json", itsm.ErrInvalidResponse)
	}
	st := gjson.GetBytes(resp.Body, "fields.status")
	return jiraStatus{name: st.Get("name").String(), category: st.Get("statusCategory.key").String()}, nil
}

// targetOf maps a case status to a Jira status name and category.
func (c *Connector) targetOf(s itsm.Status) target {
	tg := target{caseStatus: s}
	tg.name, _ = c.status.ToITSM(string(s))
	if c.status != nil {
		for _, e := range c.status.Map().Categories {
			if statusmap.Normalize(e.Case) == statusmap.Normalize(string(s)) {
				tg.category = strings.ToLower(e.ITSM)
				break
			}
		}
	}
	if tg.category == "" && tg.name != "" {
		tg.category = knownCategories[statusmap.Normalize(tg.name)]
	}
	if tg.category == "" {
		tg.category = caseCategories[s]
	}
	return tg
}

// already reports whether a ticket in status cur needs no transition.
func (c *Connector) already(cur jiraStatus, tg target) bool {
	if tg.name != "" && statusmap.Normalize(cur.name) == statusmap.Normalize(tg.name) {
		return true
	}
	if c.status != nil && cur.name != "" {
		if r, err := c.status.ToCase(cur.name, cur.category); err == nil && !r.Ignored && statusmap.Normalize(r.Value) == statusmap.Normalize(string(tg.caseStatus)) {
			return true
		}
	}
	return tg.name == "" && cur.category != "" && strings.EqualFold(cur.category, tg.category)
}

// pick chooses the transition to take: by target status name, else by
// category (statuses that map back to the case status first).
func (c *Connector) pick(trs gjson.Result, cur jiraStatus, tg target) (gjson.Result, bool) {
	var byName, byCatMapped, byCat gjson.Result
	trs.ForEach(func(_, v gjson.Result) bool {
		if !v.IsObject() || v.Get("isAvailable").Type == gjson.False || jsonID(v.Get("id")) == "" {
			return true
		}
		to := v.Get("to.name").String()
		cat := v.Get("to.statusCategory.key").String()
		if to != "" && cur.name != "" && statusmap.Normalize(to) == statusmap.Normalize(cur.name) {
			return true // a looped transition changes nothing
		}
		if tg.name != "" && statusmap.Normalize(to) == statusmap.Normalize(tg.name) {
			byName = v
			return false
		}
		if tg.category != "" && strings.EqualFold(cat, tg.category) {
			if c.status != nil {
				if r, err := c.status.ToCase(to, ""); err == nil && !r.Ignored &&
					statusmap.Normalize(r.Value) == statusmap.Normalize(string(tg.caseStatus)) && !byCatMapped.Exists() {
					byCatMapped = v
				}
			}
			if !byCat.Exists() {
				byCat = v
			}
		}
		return true
	})
	switch {
	case byName.Exists():
		return byName, true
	case byCatMapped.Exists():
		return byCatMapped, true
	case byCat.Exists():
		return byCat, true
	}
	return gjson.Result{}, false
}

// transitionBody is {"transition":{"id":...}}, with a resolution when the
// transition's screen requires one.
func transitionBody(tr gjson.Result) []byte {
	type named struct {
		Name string `json:"name,omitempty"`
		ID   string `json:"id,omitempty"`
	}
	body := struct {
		Transition named            `json:"transition"`
		Fields     map[string]named `json:"fields,omitempty"`
	}{Transition: named{ID: jsonID(tr.Get("id"))}}
	res := tr.Get("fields.resolution")
	if res.Get("required").Bool() && !res.Get("hasDefaultValue").Bool() {
		var chosen named
		res.Get("allowedValues").ForEach(func(_, v gjson.Result) bool {
			n := named{Name: v.Get("name").String()}
			if n.Name == "" {
				n = named{ID: jsonID(v.Get("id"))}
			}
			if chosen == (named{}) || strings.EqualFold(n.Name, "Done") {
				chosen = n
			}
			return !strings.EqualFold(n.Name, "Done")
		})
		if chosen != (named{}) {
			body.Fields = map[string]named{"resolution": chosen}
		}
	}
	b, _ := json.Marshal(body) // strings only: cannot fail
	return b
}

// jsonID reads an id that Jira sends as a string or a number.
func jsonID(r gjson.Result) string {
	if r.Type == gjson.Number {
		return r.Raw
	}
	if r.Type == gjson.String {
		return strings.TrimSpace(r.Str)
	}
	return ""
}

// knownCategories are the status categories of Jira's common status names,
// used when the status map has no category for a case status.
var knownCategories = map[string]string{
	"to do": "new", "open": "new", "backlog": "new", "new": "new", "reopened": "new",
	"selected for development": "new",
	"in progress":              "indeterminate", "in review": "indeterminate", "review": "indeterminate",
	"on hold": "indeterminate", "pending": "indeterminate", "waiting for support": "indeterminate",
	"waiting for customer": "indeterminate",
	"done":                 "done", "closed": "done", "resolved": "done", "cancelled": "done",
	"canceled": "done", "declined": "done", "won't do": "done",
}

// caseCategories is the last resort: the category a case status belongs to.
var caseCategories = map[itsm.Status]string{
	itsm.StatusOpen:       "new",
	itsm.StatusInProgress: "indeterminate",
	itsm.StatusOnHold:     "indeterminate",
	itsm.StatusResolved:   "done",
	itsm.StatusClosed:     "done",
}

// Verifier returns the verifier of Jira webhooks signed with secret (and,
// for rotation, more secrets): "X-Hub-Signature: sha256=<hex HMAC-SHA256 of
// the body>", callback.JiraHMAC. Pair it with [Parser] and
// [DeliveryIDHeader]. An empty secret is a validation error (errors.As:
// *itsm.ValidationError, matching itsm.ErrInvalidConfig).
func Verifier(secret string, more ...string) (*callback.HMACVerifier, error) {
	return callback.NewHMACVerifier(callback.JiraHMAC(append([]string{secret}, more...)...))
}
