package itsmtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

const (
	jsonType         = "application/json;charset=UTF-8"
	jiraTimeLayout   = "2006-01-02T15:04:05.000-0700"
	msgIssueNotFound = "Issue does not exist or you do not have permission to see it."
	msgNoSummary     = "You must specify a summary of the issue."
	msgADF           = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
	msgUnbounded     = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
	// Jira's answers to over-long and multi-line values, as real Jira
	// instances quote them (mozilla/jira-bugzilla-integration#180,
	// ParabolInc/parabol#6066, JRASERVER-64351).
	msgSummaryLong    = "Summary can't exceed 255 characters."
	msgSummaryNewline = "The summary is invalid because it contains newline characters."
	msgTextTooLong    = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
	msgEmptyComment   = "Comment body can not be empty!"
	// jiraTextLimit is jira.text.field.character.limit's default; Jira
	// counts UTF-16 code units (Java string length).
	jiraTextLimit    = 32767
	jiraSummaryLimit = 255
	accountID        = "5b10ac8d82e05b22cc7d4ef5"
)

// StatusDef is a status of the fake's workflow. Category is Jira's status
// category key: "new", "indeterminate" or "done".
type StatusDef struct {
	ID       string
	Name     string
	Category string
}

// Transition is a workflow transition: POST .../transitions with its ID moves
// a ticket to To.
type Transition struct {
	ID   string
	Name string
	To   StatusDef
}

// DefaultTransitions returns the default workflow of Jira Cloud's simplified
// projects: 11 "To Do" (category new), 21 "In Progress" (indeterminate),
// 31 "Done" (done). New tickets start in "To Do".
func DefaultTransitions() []Transition {
	return []Transition{
		{ID: "11", Name: "To Do", To: StatusDef{ID: "10000", Name: "To Do", Category: "new"}},
		{ID: "21", Name: "In Progress", To: StatusDef{ID: "3", Name: "In Progress", Category: "indeterminate"}},
		{ID: "31", Name: "Done", To: StatusDef{ID: "10001", Name: "Done", Category: "done"}},
	}
}

// Ticket is a snapshot of an issue held by the fake. Slices, maps and raw
// JSON are copies: changing them does not change the fake.
type Ticket struct {
	ID      string // numeric id, "10001" upwards
	Key     string // e.g. "SEC-1"
	Project string // project key
	// IssueType is fields.issuetype.name (or its id when only the id was
	// sent); "Task" when the create named none.
	IssueType string
	Summary   string
	// Description is fields.description exactly as last sent: a JSON string
	// through API v2, an Atlassian Document Format object through v3; nil
	// when never set or cleared. DescriptionText flattens either.
	Description json.RawMessage
	Labels      []string
	Priority    string // priority name ("" when not set)
	Status      StatusDef
	// Fields holds every other field as last sent, raw (custom fields,
	// assignee, components, ...), keyed by field id.
	Fields   map[string]json.RawMessage
	Comments []Comment
	Created  time.Time
	Updated  time.Time
	// APIVersion is the REST API version the ticket was created through
	// ("2", "3" or "latest"; "" for tickets made otherwise).
	APIVersion string
}

// DescriptionText returns the description as plain text: the string of a v2
// description, or the text of an ADF document (blocks separated by "\n").
func (t Ticket) DescriptionText() string { return richText(t.Description) }

// HasLabel reports whether the ticket carries the label (exact match).
func (t Ticket) HasLabel(label string) bool { return slices.Contains(t.Labels, label) }

func (t *Ticket) clone() Ticket {
	c := *t
	c.Description = slices.Clone(t.Description)
	c.Labels = slices.Clone(t.Labels)
	if t.Fields != nil {
		c.Fields = make(map[string]json.RawMessage, len(t.Fields))
		for k, v := range t.Fields {
			c.Fields[k] = slices.Clone(v)
		}
	}
	c.Comments = make([]Comment, len(t.Comments))
	for i, cm := range t.Comments {
		c.Comments[i] = cm.clone()
	}
	return c
}

// Comment is a comment on a ticket.
type Comment struct {
	ID string // "10100" upwards
	// Body is the body exactly as sent: a JSON string (v2) or an ADF object
	// (v3). Text flattens either.
	Body    json.RawMessage
	Created time.Time
	// APIVersion is the REST API version the comment was posted through.
	APIVersion string
	// Properties are the comment's entity properties, as given in the add
	// comment body's "properties" (Jira's Comment schema: "A list of
	// comment properties. Optional on create and update."). A get comments
	// request returns them only when its expand lists "properties".
	Properties []Property
}

// Property is one entity property of a comment: a key and a JSON value.
type Property struct {
	Key   string
	Value json.RawMessage
}

// Text returns the comment body as plain text.
func (c Comment) Text() string { return richText(c.Body) }

func (c Comment) clone() Comment {
	c.Body = slices.Clone(c.Body)
	if c.Properties != nil {
		ps := make([]Property, len(c.Properties))
		for i, p := range c.Properties {
			ps[i] = Property{Key: p.Key, Value: slices.Clone(p.Value)}
		}
		c.Properties = ps
	}
	return c
}

// Property limits of Jira's entity properties (the set comment property
// operation: "The maximum length is 255 characters" for the key, a value of
// at most 32768 bytes as JSON).
const (
	maxPropertyKey   = 255
	maxPropertyValue = 32768
)

// commentProperties reads the "properties" of an add comment body: absent or
// null is none; anything else must be an array of {"key": non-empty string
// of at most 255 characters, "value": any JSON of at most 32768 bytes}.
// The message is "" when the properties are acceptable.
func commentProperties(v gjson.Result) ([]Property, string) {
	if !v.Exists() || v.Type == gjson.Null {
		return nil, ""
	}
	if !v.IsArray() {
		return nil, "properties must be an array"
	}
	var out []Property
	msg := ""
	v.ForEach(func(_, p gjson.Result) bool {
		key, val := p.Get("key"), p.Get("value")
		switch {
		case !p.IsObject():
			msg = "each property must be an object with key and value"
		case key.Type != gjson.String || key.Str == "" || utf8.RuneCountInString(key.Str) > maxPropertyKey:
			msg = "a property key must be a string of 1 to 255 characters"
		case !val.Exists():
			msg = "a property needs a value"
		case len(val.Raw) > maxPropertyValue:
			msg = "a property value must be at most 32768 bytes"
		default:
			out = append(out, Property{Key: key.Str, Value: json.RawMessage(val.Raw)})
			return true
		}
		return false
	})
	if msg != "" {
		return nil, msg
	}
	return out, ""
}

// response is what a handler produces; faults may rewrite it before it is
// written.
type response struct {
	status int
	ctype  string
	body   []byte
	header http.Header
}

func (s *Server) write(w http.ResponseWriter, resp response) int {
	h := w.Header()
	for k, vs := range resp.header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if resp.ctype != "" {
		h.Set("Content-Type", resp.ctype)
	}
	if resp.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	if resp.status != http.StatusNoContent && len(resp.body) > 0 {
		_, _ = w.Write(resp.body)
	}
	return resp.status
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		return jiraError(http.StatusInternalServerError, []string{"itsmtest: " + err.Error()}, nil)
	}
	return response{status: status, ctype: jsonType, body: b}
}

func jiraErrorBody(msgs []string, errs map[string]string) []byte {
	if msgs == nil {
		msgs = []string{}
	}
	if errs == nil {
		errs = map[string]string{}
	}
	b, _ := json.Marshal(struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}{msgs, errs})
	return b
}

func jiraError(status int, msgs []string, errs map[string]string) response {
	return response{status: status, ctype: jsonType, body: jiraErrorBody(msgs, errs)}
}

func notFound() response { return jiraError(http.StatusNotFound, []string{msgIssueNotFound}, nil) }

func malformed(resp response) response {
	if resp.status == http.StatusNoContent || len(resp.body) == 0 {
		return response{status: http.StatusOK, ctype: jsonType, body: []byte(`{"id":"10`)}
	}
	resp.body = resp.body[:len(resp.body)/2]
	return resp
}

func removeIDs(body []byte) []byte {
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		return body
	}
	for _, k := range []string{"id", "key"} {
		if b, err := sjson.DeleteBytes(body, k); err == nil {
			body = b
		}
	}
	return body
}

// route is a parsed request path.
type route struct {
	op       Op
	version  string // "2", "3", "latest"
	id       string // issue id or key
	enhanced bool   // /search/jql
	info     bool   // /serverInfo rather than /myself
	badVerb  bool   // known path, wrong method
	allow    string
}

func parseRoute(method, p string) route {
	rest, ok := strings.CutPrefix(p, "/rest/api/")
	if !ok {
		return route{}
	}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	v := seg[0]
	if v != "2" && v != "3" && v != "latest" {
		return route{}
	}
	rt := route{version: v}
	seg = seg[1:]
	pick := func(allow string, byMethod map[string]Op) route {
		if op, ok := byMethod[method]; ok {
			rt.op = op
			return rt
		}
		rt.badVerb, rt.allow = true, allow
		return rt
	}
	switch {
	case len(seg) == 1 && seg[0] == "issue":
		return pick("POST", map[string]Op{http.MethodPost: OpCreate})
	case len(seg) == 2 && seg[0] == "issue" && seg[1] != "":
		rt.id = seg[1]
		return pick("GET, PUT, DELETE", map[string]Op{http.MethodGet: OpGet, http.MethodPut: OpUpdate, http.MethodDelete: OpDelete})
	case len(seg) == 3 && seg[0] == "issue" && seg[1] != "" && seg[2] == "comment":
		rt.id = seg[1]
		return pick("GET, POST", map[string]Op{http.MethodPost: OpComment, http.MethodGet: OpComments})
	case len(seg) == 3 && seg[0] == "issue" && seg[1] != "" && seg[2] == "transitions":
		rt.id = seg[1]
		return pick("GET, POST", map[string]Op{http.MethodGet: OpTransitions, http.MethodPost: OpTransition})
	case len(seg) == 1 && seg[0] == "search":
		return pick("GET, POST", map[string]Op{http.MethodGet: OpSearch, http.MethodPost: OpSearch})
	case len(seg) == 2 && seg[0] == "search" && seg[1] == "jql":
		rt.enhanced = true
		return pick("GET, POST", map[string]Op{http.MethodGet: OpSearch, http.MethodPost: OpSearch})
	case len(seg) == 1 && (seg[0] == "myself" || seg[0] == "serverInfo"):
		rt.info = seg[0] == "serverInfo"
		return pick("GET", map[string]Op{http.MethodGet: OpMyself})
	}
	return route{version: v}
}

// handle serves an authenticated request. It returns the response and the
// webhook events the change caused (fired by the caller, outside the lock).
func (s *Server) handle(r *http.Request, rt route, body []byte) (response, []Event) {
	if rt.badVerb {
		resp := jiraError(http.StatusMethodNotAllowed, []string{"Method " + r.Method + " is not allowed for this resource."}, nil)
		resp.header = http.Header{"Allow": {rt.allow}}
		return resp, nil
	}
	base := s.base(r)
	switch rt.op {
	case OpCreate:
		return s.create(rt, base, body)
	case OpUpdate:
		return s.update(r, rt, base, body)
	case OpGet:
		return s.get(r, rt, base), nil
	case OpDelete:
		return s.del(rt)
	case OpComment:
		return s.comment(rt, base, body)
	case OpComments:
		return s.comments(r, rt, base), nil
	case OpTransitions:
		return s.listTransitions(rt, base), nil
	case OpTransition:
		return s.transition(rt, base, body)
	case OpSearch:
		return s.search(r, rt, base, body), nil
	case OpMyself:
		return s.myself(rt, base), nil
	}
	return jiraError(http.StatusNotFound, []string{"null for uri: " + base + r.URL.Path}, nil), nil
}

func (s *Server) base(r *http.Request) string {
	if u := s.URL(); u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func issueSelf(base, version, id string) string {
	return base + "/rest/api/" + version + "/issue/" + id
}

func (s *Server) create(rt route, base string, body []byte) (response, []Event) {
	if resp, ok := checkJSONObject(body); !ok {
		return resp, nil
	}
	ch, errs := s.parseChange(gjson.GetBytes(body, "fields"), gjson.GetBytes(body, "update"), rt.version, modeCreate)
	if ch.summary == nil && errs["summary"] == "" && errs["fields"] == "" && errs["update"] == "" {
		errs["summary"] = msgNoSummary
	}
	project := DefaultProject
	if ch.project != nil {
		project = *ch.project
	}
	if s.cfg.projects != nil && !s.cfg.projects[project] {
		errs["project"] = "valid project is required"
	}
	if len(errs) > 0 {
		return jiraError(http.StatusBadRequest, nil, errs), nil
	}
	prefix := project
	if s.cfg.keyPrefix != "" {
		prefix = s.cfg.keyPrefix
	}

	s.mu.Lock()
	now := s.cfg.clock.Now()
	t := &Ticket{
		ID:         strconv.Itoa(s.nextIssueID),
		Project:    project,
		IssueType:  "Task",
		Status:     s.initialStatus(),
		Created:    now,
		Updated:    now,
		APIVersion: rt.version,
	}
	s.nextIssueID++
	s.keySeq[prefix]++
	t.Key = prefix + "-" + strconv.Itoa(s.keySeq[prefix])
	comments := ch.apply(t)
	for _, c := range comments {
		s.addCommentLocked(t, c, rt.version)
	}
	s.tickets = append(s.tickets, t)
	s.notifyLocked()
	s.byID[t.ID] = t
	s.byKey[t.Key] = t
	events := []Event{s.createdEventLocked(t)}
	resp := jsonResponse(http.StatusCreated, map[string]string{"id": t.ID, "key": t.Key, "self": issueSelf(base, rt.version, t.ID)})
	s.mu.Unlock()
	return resp, events
}

func (s *Server) update(r *http.Request, rt route, base string, body []byte) (response, []Event) {
	if resp, ok := checkJSONObject(body); !ok {
		return resp, nil
	}
	ch, errs := s.parseChange(gjson.GetBytes(body, "fields"), gjson.GetBytes(body, "update"), rt.version, modeUpdate)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findLocked(rt.id)
	if t == nil {
		return notFound(), nil
	}
	if len(errs) > 0 {
		return jiraError(http.StatusBadRequest, nil, errs), nil
	}
	events := s.applyLocked(t, ch, rt.version, "issue_updated")
	if q := r.URL.Query().Get("returnIssue"); q == "true" {
		return jsonResponse(http.StatusOK, s.issueJSONLocked(t, base, rt.version, nil)), events
	}
	return response{status: http.StatusNoContent}, events
}

// applyLocked applies a change, adds its comments, and returns the events.
func (s *Server) applyLocked(t *Ticket, ch change, version, eventType string) []Event {
	before := t.clone()
	comments := ch.apply(t)
	t.Updated = s.cfg.clock.Now()
	s.notifyLocked()
	var events []Event
	if ev, ok := s.updatedEventLocked(before, t, eventType); ok {
		events = append(events, ev)
	}
	for _, body := range comments {
		c := s.addCommentLocked(t, body, version)
		events = append(events, s.commentEventLocked(t, c))
	}
	return events
}

func (s *Server) get(r *http.Request, rt route, base string) response {
	fields := fieldList(r.URL.Query().Get("fields"))
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findLocked(rt.id)
	if t == nil {
		return notFound()
	}
	return jsonResponse(http.StatusOK, s.issueJSONLocked(t, base, rt.version, fields))
}

func (s *Server) del(rt route) (response, []Event) {
	s.mu.Lock()
	t := s.findLocked(rt.id)
	if t == nil {
		s.mu.Unlock()
		return notFound(), nil
	}
	ev := s.deleteLocked(t)
	s.mu.Unlock()
	return response{status: http.StatusNoContent}, []Event{ev}
}

func (s *Server) comment(rt route, base string, body []byte) (response, []Event) {
	if resp, ok := checkJSONObject(body); !ok {
		return resp, nil
	}
	cb, msg := commentBody(gjson.GetBytes(body, "body"), rt.version)
	props, pmsg := commentProperties(gjson.GetBytes(body, "properties"))
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findLocked(rt.id)
	if t == nil {
		return notFound(), nil
	}
	if msg != "" {
		return jiraError(http.StatusBadRequest, nil, map[string]string{"comment": msg}), nil
	}
	if pmsg != "" {
		return jiraError(http.StatusBadRequest, nil, map[string]string{"properties": pmsg}), nil
	}
	c := s.addCommentLocked(t, cb, rt.version)
	if props != nil {
		c.Properties = props
		t.Comments[len(t.Comments)-1].Properties = props
	}
	t.Updated = c.Created
	return jsonResponse(http.StatusCreated, s.commentJSON(t, c, base, rt.version)), []Event{s.commentEventLocked(t, c)}
}

// DefaultCommentsPage is the page size of get comments when the request
// gives no maxResults (the Jira Cloud platform REST API's OpenAPI document:
// "maxResults ... default to 50").
const DefaultCommentsPage = 50

// comments serves get comments (GET .../issue/{id}/comment) with the query
// parameters the Jira Cloud platform REST API documents for it: startAt,
// maxResults (default [DefaultCommentsPage]), orderBy ("created",
// "+created" or "-created"; any other value is a 400, "Returned if orderBy
// is set to a value other than created") and expand, a comma-separated
// list. Cloud documents only renderedBody for this operation's expand and
// properties for Get comments by IDs (POST .../comment/list); the fake
// serves "properties" here too — each comment's properties, an empty array
// for a comment without any — which is what the Jira preset's comment
// lookup assumes (it requires the field, so a Jira that does not expand
// makes the lookup fail instead of reading "not found"). Any other
// parameter, and any other expand value, is ignored, as Jira ignores them.
func (s *Server) comments(r *http.Request, rt route, base string) response {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("startAt"))
	start = max(start, 0)
	size := DefaultCommentsPage
	if v, err := strconv.Atoi(q.Get("maxResults")); err == nil && v >= 0 {
		size = v
	}
	switch q.Get("orderBy") {
	case "", "created", "+created", "-created":
	default:
		return jiraError(http.StatusBadRequest, []string{"orderBy must be created, +created or -created"}, nil)
	}
	newestFirst := q.Get("orderBy") == "-created"
	withProps := false
	for _, e := range strings.Split(q.Get("expand"), ",") {
		withProps = withProps || strings.TrimSpace(e) == "properties"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findLocked(rt.id)
	if t == nil {
		return notFound()
	}
	all := slices.Clone(t.Comments) // created order
	if newestFirst {
		slices.Reverse(all)
	}
	page := all[min(start, len(all)):]
	page = page[:min(size, len(page))]
	list := make([]any, len(page))
	for i, c := range page {
		cj := s.commentJSON(t, c, base, rt.version)
		if withProps {
			ps := make([]any, len(c.Properties))
			for j, p := range c.Properties {
				ps[j] = map[string]any{"key": p.Key, "value": json.RawMessage(p.Value)}
			}
			cj["properties"] = ps
		}
		list[i] = cj
	}
	return jsonResponse(http.StatusOK, map[string]any{"startAt": start, "maxResults": size, "total": len(all), "comments": list})
}

func (s *Server) addCommentLocked(t *Ticket, body json.RawMessage, version string) Comment {
	c := Comment{ID: strconv.Itoa(s.nextComment), Body: slices.Clone(body), Created: s.cfg.clock.Now(), APIVersion: version}
	s.nextComment++
	t.Comments = append(t.Comments, c)
	s.notifyLocked()
	return c
}

func (s *Server) commentJSON(t *Ticket, c Comment, base, version string) map[string]any {
	return map[string]any{
		"self":      issueSelf(base, version, t.ID) + "/comment/" + c.ID,
		"id":        c.ID,
		"author":    s.user(base),
		"body":      richAs(c.Body, version),
		"created":   c.Created.Format(jiraTimeLayout),
		"updated":   c.Created.Format(jiraTimeLayout),
		"jsdPublic": true,
	}
}

func (s *Server) user(base string) map[string]any {
	return map[string]any{
		"self":         base + "/rest/api/2/user?accountId=" + accountID,
		"accountId":    accountID,
		"displayName":  "itsmtest",
		"emailAddress": "itsmtest@example.invalid",
		"active":       true,
		"timeZone":     "UTC",
		"accountType":  "atlassian",
	}
}

func (s *Server) listTransitions(rt route, base string) response {
	s.mu.Lock()
	t := s.findLocked(rt.id)
	s.mu.Unlock()
	if t == nil {
		return notFound()
	}
	list := make([]any, len(s.cfg.transitions))
	for i, tr := range s.cfg.transitions {
		list[i] = map[string]any{
			"id": tr.ID, "name": tr.Name, "to": statusJSON(tr.To, base),
			"hasScreen": false, "isGlobal": true, "isInitial": false, "isAvailable": true,
			"isConditional": false, "isLooped": false,
		}
	}
	return jsonResponse(http.StatusOK, map[string]any{"expand": "transitions", "transitions": list})
}

func (s *Server) transition(rt route, base string, body []byte) (response, []Event) {
	if resp, ok := checkJSONObject(body); !ok {
		return resp, nil
	}
	id := gjson.GetBytes(body, "transition.id")
	var tr *Transition
	if id.Exists() {
		for i := range s.cfg.transitions {
			if s.cfg.transitions[i].ID == id.String() {
				tr = &s.cfg.transitions[i]
			}
		}
	}
	ch, errs := s.parseChange(gjson.GetBytes(body, "fields"), gjson.GetBytes(body, "update"), rt.version, modeTransition)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findLocked(rt.id)
	if t == nil {
		return notFound(), nil
	}
	switch {
	case !id.Exists() || id.String() == "":
		return jiraError(http.StatusBadRequest, []string{"Missing 'transition' identifier"}, nil), nil
	case tr == nil:
		return jiraError(http.StatusBadRequest, []string{"Transition id '" + id.String() + "' is not valid for this issue."}, nil), nil
	case len(errs) > 0:
		return jiraError(http.StatusBadRequest, nil, errs), nil
	}
	to := tr.To
	ch.status = &to
	eventType := "issue_generic"
	switch to.Category {
	case "done":
		eventType = "issue_resolved"
	case "indeterminate":
		eventType = "issue_work_started"
	}
	return response{status: http.StatusNoContent}, s.applyLocked(t, ch, rt.version, eventType)
}

func (s *Server) myself(rt route, base string) response {
	if rt.info {
		return jsonResponse(http.StatusOK, map[string]any{
			"baseUrl": base, "version": "1001.0.0-SNAPSHOT", "deploymentType": "Cloud",
			"serverTitle": "itsmtest", "buildNumber": 100280,
		})
	}
	return jsonResponse(http.StatusOK, s.user(base))
}

func (s *Server) initialStatus() StatusDef { return s.cfg.transitions[0].To }

func (s *Server) statusByName(name string) (StatusDef, bool) {
	for _, tr := range s.cfg.transitions {
		if strings.EqualFold(tr.To.Name, name) {
			return tr.To, true
		}
	}
	for _, st := range s.cfg.extraStatuses {
		if strings.EqualFold(st.Name, name) {
			return st, true
		}
	}
	return StatusDef{}, false
}

func checkJSONObject(body []byte) (response, bool) {
	if !gjson.ValidBytes(body) {
		return jiraError(http.StatusBadRequest, []string{"Unexpected character in the request body: the body is not valid JSON."}, nil), false
	}
	if !gjson.ParseBytes(body).IsObject() {
		return jiraError(http.StatusBadRequest, []string{"Can not deserialize the request body: a JSON object is expected."}, nil), false
	}
	return response{}, true
}

// Issue representation.

var categoryInfo = map[string]struct {
	id         int
	name, colr string
}{
	"new":           {2, "To Do", "blue-gray"},
	"indeterminate": {4, "In Progress", "yellow"},
	"done":          {3, "Done", "green"},
}

func statusJSON(st StatusDef, base string) map[string]any {
	ci, ok := categoryInfo[st.Category]
	if !ok {
		ci = struct {
			id         int
			name, colr string
		}{1, "No Category", "medium-gray"}
	}
	return map[string]any{
		"self": base + "/rest/api/2/status/" + st.ID, "description": "", "name": st.Name, "id": st.ID,
		"statusCategory": map[string]any{
			"self": base + "/rest/api/2/statuscategory/" + strconv.Itoa(ci.id),
			"id":   ci.id, "key": st.Category, "colorName": ci.colr, "name": ci.name,
		},
	}
}

func (s *Server) priorityJSON(name, base string) any {
	if name == "" {
		return nil
	}
	id := name
	for i, p := range s.cfg.priorities {
		if strings.EqualFold(p, name) {
			id = strconv.Itoa(i + 1)
		}
	}
	return map[string]any{"self": base + "/rest/api/2/priority/" + id, "name": name, "id": id}
}

// issueFieldsLocked renders every field of t for the API version.
func (s *Server) issueFieldsLocked(t *Ticket, base, version string) map[string]any {
	labels := t.Labels
	if labels == nil {
		labels = []string{}
	}
	comments := make([]any, len(t.Comments))
	for i, c := range t.Comments {
		comments[i] = s.commentJSON(t, c, base, version)
	}
	f := map[string]any{
		"summary":     t.Summary,
		"description": richAs(t.Description, version),
		"labels":      labels,
		"priority":    s.priorityJSON(t.Priority, base),
		"project":     map[string]any{"self": base + "/rest/api/2/project/" + t.Project, "key": t.Project, "name": t.Project},
		"issuetype":   map[string]any{"name": t.IssueType, "subtask": false},
		"status":      statusJSON(t.Status, base),
		"created":     t.Created.Format(jiraTimeLayout),
		"updated":     t.Updated.Format(jiraTimeLayout),
		"comment":     map[string]any{"comments": comments, "maxResults": len(comments), "total": len(comments), "startAt": 0},
	}
	if t.Status.Category == "done" {
		f["resolution"] = map[string]any{"name": "Done"}
	} else {
		f["resolution"] = nil
	}
	for k, v := range t.Fields {
		f[k] = v
	}
	return f
}

// issueJSONLocked renders t; fields nil means every field, else only those
// named.
func (s *Server) issueJSONLocked(t *Ticket, base, version string, fields []string) map[string]any {
	all := s.issueFieldsLocked(t, base, version)
	if fields != nil {
		picked := map[string]any{}
		for _, name := range fields {
			if v, ok := all[name]; ok {
				picked[name] = v
			}
		}
		all = picked
	}
	return map[string]any{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     t.ID, "self": issueSelf(base, version, t.ID), "key": t.Key, "fields": all,
	}
}

// fieldList parses a "fields" parameter: nil for every field ("", "*all",
// "*navigable"), else the names (exclusions "-x" dropped).
func fieldList(p string) []string {
	if p == "" {
		return nil
	}
	var out []string
	for _, f := range strings.Split(p, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "*all" || f == "*navigable":
			return nil
		case f == "" || strings.HasPrefix(f, "-"):
		default:
			out = append(out, f)
		}
	}
	if out == nil {
		return []string{}
	}
	return out
}

// Changes sent by a client.

type changeMode int

const (
	modeCreate changeMode = iota
	modeUpdate
	modeTransition
)

// change is a validated set of field operations.
type change struct {
	summary     *string
	description json.RawMessage
	descSet     bool
	labels      []string
	labelsSet   bool
	labelAdd    []string
	labelRemove []string
	priority    *string
	project     *string
	issueType   *string
	status      *StatusDef
	raw         map[string]json.RawMessage
	comments    []json.RawMessage
}

// apply changes t and returns the comment bodies to add.
func (ch change) apply(t *Ticket) []json.RawMessage {
	if ch.summary != nil {
		t.Summary = *ch.summary
	}
	if ch.descSet {
		t.Description = slices.Clone(ch.description)
	}
	if ch.labelsSet {
		t.Labels = slices.Clone(ch.labels)
	}
	for _, l := range ch.labelAdd {
		if !slices.Contains(t.Labels, l) {
			t.Labels = append(t.Labels, l)
		}
	}
	for _, l := range ch.labelRemove {
		t.Labels = slices.DeleteFunc(t.Labels, func(x string) bool { return x == l })
	}
	if ch.priority != nil {
		t.Priority = *ch.priority
	}
	if ch.project != nil {
		t.Project = *ch.project
	}
	if ch.issueType != nil {
		t.IssueType = *ch.issueType
	}
	if ch.status != nil {
		t.Status = *ch.status
	}
	for k, v := range ch.raw {
		if t.Fields == nil {
			t.Fields = map[string]json.RawMessage{}
		}
		if v == nil {
			delete(t.Fields, k)
			continue
		}
		t.Fields[k] = slices.Clone(v)
	}
	return ch.comments
}

var customField = regexp.MustCompile(`^customfield_[0-9]+$`)

// systemFields are the Jira system fields a create or edit screen commonly
// has, kept raw.
var systemFields = map[string]bool{
	"assignee": true, "reporter": true, "components": true, "duedate": true, "environment": true,
	"fixVersions": true, "versions": true, "parent": true, "timetracking": true, "security": true,
}

func cannotSet(name string) string {
	return "Field '" + name + "' cannot be set. It is not on the appropriate screen, or unknown."
}

// parseChange validates "fields" and "update" and returns the change and the
// field errors (never nil).
func (s *Server) parseChange(fields, update gjson.Result, version string, mode changeMode) (change, map[string]string) {
	ch := change{}
	errs := map[string]string{}
	if fields.Exists() && !fields.IsObject() && fields.Type != gjson.Null {
		errs["fields"] = "Can not deserialize 'fields': a JSON object is expected."
		return ch, errs
	}
	seen := map[string]bool{}
	fields.ForEach(func(k, v gjson.Result) bool {
		seen[k.String()] = true
		s.setField(&ch, errs, k.String(), v, version, mode)
		return true
	})
	if update.Exists() && !update.IsObject() && update.Type != gjson.Null {
		errs["update"] = "Can not deserialize 'update': a JSON object is expected."
		return ch, errs
	}
	update.ForEach(func(k, ops gjson.Result) bool {
		name := k.String()
		if seen[name] {
			errs[name] = "Field '" + name + "' cannot be set in both 'fields' and 'update'."
			return true
		}
		if !ops.IsArray() {
			errs[name] = "Operations on '" + name + "' must be a JSON array."
			return true
		}
		ops.ForEach(func(_, op gjson.Result) bool {
			if !op.IsObject() {
				errs[name] = "Each operation on '" + name + "' must be a JSON object."
				return false
			}
			op.ForEach(func(verb, val gjson.Result) bool {
				s.updateOp(&ch, errs, name, verb.String(), val, version, mode)
				return true
			})
			return true
		})
		return true
	})
	return ch, errs
}

func (s *Server) updateOp(ch *change, errs map[string]string, name, verb string, val gjson.Result, version string, mode changeMode) {
	switch {
	case name == "comment" && verb == "add":
		body, msg := commentBody(val.Get("body"), version)
		if msg != "" {
			errs["comment"] = msg
			return
		}
		ch.comments = append(ch.comments, body)
	case name == "labels" && (verb == "add" || verb == "remove"):
		if val.Type != gjson.String {
			errs["labels"] = "Operation value must be a string"
			return
		}
		l := val.String()
		if msg := labelProblem(l); msg != "" {
			errs["labels"] = msg
			return
		}
		if verb == "add" {
			ch.labelAdd = append(ch.labelAdd, l)
		} else {
			ch.labelRemove = append(ch.labelRemove, l)
		}
	case verb == "set":
		s.setField(ch, errs, name, val, version, mode)
	default:
		errs[name] = "Field '" + name + "' does not support operation '" + verb + "'"
	}
}

func labelProblem(l string) string {
	switch {
	case l == "":
		return "The label can not be empty."
	case strings.ContainsAny(l, " \t\r\n"):
		return "The label '" + l + "' contains spaces which is invalid."
	case len(l) > 255:
		return "The label '" + l[:32] + "...' is longer than 255 characters."
	}
	return ""
}

func (s *Server) setField(ch *change, errs map[string]string, name string, v gjson.Result, version string, mode changeMode) {
	switch name {
	case "summary":
		if v.Type != gjson.String || strings.TrimSpace(v.String()) == "" {
			errs[name] = msgNoSummary
			return
		}
		if strings.ContainsAny(v.String(), "\r\n") {
			errs[name] = msgSummaryNewline
			return
		}
		if javaLen(v.String()) > jiraSummaryLimit {
			errs[name] = msgSummaryLong
			return
		}
		sum := v.String()
		ch.summary = &sum
	case "description", "environment":
		if v.Type == gjson.Null {
			if name == "description" {
				ch.description, ch.descSet = nil, true
			} else {
				setRaw(ch, name, nil)
			}
			return
		}
		if msg := richProblem(v, version); msg != "" {
			errs[name] = msg
			return
		}
		if name == "description" {
			ch.description, ch.descSet = json.RawMessage(v.Raw), true
		} else {
			setRaw(ch, name, json.RawMessage(v.Raw))
		}
	case "labels":
		if v.Type == gjson.Null {
			ch.labels, ch.labelsSet = nil, true
			return
		}
		if !v.IsArray() {
			errs[name] = "Operation value must be an array of strings"
			return
		}
		var labels []string
		for _, l := range v.Array() {
			if l.Type != gjson.String {
				errs[name] = "Operation value must be an array of strings"
				return
			}
			if msg := labelProblem(l.String()); msg != "" {
				errs[name] = msg
				return
			}
			if !slices.Contains(labels, l.String()) {
				labels = append(labels, l.String())
			}
		}
		ch.labels, ch.labelsSet = labels, true
	case "priority":
		p, msg := s.priorityName(v)
		if msg != "" {
			errs[name] = msg
			return
		}
		ch.priority = &p
	case "project":
		if mode != modeCreate {
			errs[name] = cannotSet(name)
			return
		}
		key := v.Get("key")
		if !v.IsObject() || key.Type != gjson.String || key.String() == "" {
			errs[name] = "project is required"
			return
		}
		k := strings.ToUpper(key.String())
		ch.project = &k
	case "issuetype":
		n := v.Get("name")
		if !n.Exists() {
			n = v.Get("id")
		}
		if !v.IsObject() || n.String() == "" {
			errs[name] = "The issue type selected is invalid."
			return
		}
		it := n.String()
		ch.issueType = &it
	case "resolution":
		if mode != modeTransition {
			errs[name] = cannotSet(name)
			return
		}
		setRaw(ch, name, json.RawMessage(v.Raw))
	case "status":
		errs[name] = cannotSet(name)
	default:
		if customField.MatchString(name) || systemFields[name] || s.cfg.extraFields[name] {
			if v.Type == gjson.Null {
				setRaw(ch, name, nil)
			} else {
				setRaw(ch, name, json.RawMessage(v.Raw))
			}
			return
		}
		errs[name] = cannotSet(name)
	}
}

func setRaw(ch *change, name string, v json.RawMessage) {
	if ch.raw == nil {
		ch.raw = map[string]json.RawMessage{}
	}
	ch.raw[name] = v
}

func (s *Server) priorityName(v gjson.Result) (string, string) {
	if !v.IsObject() {
		return "", "Specify the Priority (id or name) in the string format"
	}
	if n := v.Get("name"); n.Exists() {
		for _, p := range s.cfg.priorities {
			if strings.EqualFold(p, n.String()) {
				return p, ""
			}
		}
		return "", "Priority name '" + n.String() + "' is not valid"
	}
	if id := v.Get("id"); id.Exists() {
		i, err := strconv.Atoi(id.String())
		if err == nil && i >= 1 && i <= len(s.cfg.priorities) {
			return s.cfg.priorities[i-1], ""
		}
		return "", "Priority with id '" + id.String() + "' does not exist"
	}
	return "", "Specify the Priority (id or name) in the string format"
}

// richProblem checks a rich-text value: an ADF document through v3, a string
// through v2.
//
// Both versions refuse a value over jira.text.field.character.limit
// (32,767 by default): a v2 string by its length, a v3 document by the
// length of its JSON (an assumption: Jira stores the document, and its JSON
// is never shorter than the text).
func richProblem(v gjson.Result, version string) string {
	if version == "3" {
		if !validADF(v) {
			return msgADF
		}
		if javaLen(v.Raw) > jiraTextLimit {
			return msgTextTooLong
		}
		return ""
	}
	if v.Type != gjson.String {
		return "Operation value must be a string"
	}
	if javaLen(v.String()) > jiraTextLimit {
		return msgTextTooLong
	}
	return ""
}

// validADF checks the root of an ADF document and, recursively, what
// Atlassian's ADF JSON schema requires of every node: a type, content as
// an array, text nodes with non-empty text, marks as objects with a type,
// and link marks with an href.
func validADF(v gjson.Result) bool {
	if !v.IsObject() || v.Get("type").String() != "doc" || v.Get("version").Int() != 1 || !v.Get("content").IsArray() {
		return false
	}
	var node func(n gjson.Result, depth int) bool
	node = func(n gjson.Result, depth int) bool {
		if depth > 64 || !n.IsObject() || n.Get("type").Type != gjson.String || n.Get("type").String() == "" {
			return false
		}
		if n.Get("type").String() == "text" && (n.Get("text").Type != gjson.String || n.Get("text").String() == "") {
			return false
		}
		if m := n.Get("marks"); m.Exists() {
			if !m.IsArray() {
				return false
			}
			for _, mk := range m.Array() {
				if !mk.IsObject() || mk.Get("type").String() == "" {
					return false
				}
				if mk.Get("type").String() == "link" && mk.Get("attrs.href").Type != gjson.String {
					return false
				}
			}
		}
		c := n.Get("content")
		if !c.Exists() {
			return true
		}
		if !c.IsArray() {
			return false
		}
		for _, child := range c.Array() {
			if !node(child, depth+1) {
				return false
			}
		}
		return true
	}
	for _, child := range v.Get("content").Array() {
		if !node(child, 1) {
			return false
		}
	}
	return true
}

// javaLen is the length of s as Jira (Java) counts it: UTF-16 code units.
func javaLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func commentBody(v gjson.Result, version string) (json.RawMessage, string) {
	if !v.Exists() || v.Type == gjson.Null {
		return nil, msgEmptyComment
	}
	if msg := richProblem(v, version); msg != "" {
		return nil, msg
	}
	if strings.TrimSpace(richText(json.RawMessage(v.Raw))) == "" {
		return nil, msgEmptyComment
	}
	return json.RawMessage(v.Raw), ""
}

// richText flattens a rich-text value (JSON string or ADF document) to text.
func richText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	v := gjson.ParseBytes(raw)
	if v.Type == gjson.String {
		return v.String()
	}
	if !v.IsObject() {
		return ""
	}
	var blocks []string
	var cur strings.Builder
	var walk func(n gjson.Result)
	walk = func(n gjson.Result) {
		switch n.Get("type").String() {
		case "text":
			cur.WriteString(n.Get("text").String())
			return
		case "hardBreak":
			cur.WriteByte('\n')
			return
		case "mention", "emoji":
			cur.WriteString(n.Get("attrs.text").String())
			return
		}
		for _, c := range n.Get("content").Array() {
			walk(c)
		}
		switch n.Get("type").String() {
		case "paragraph", "heading", "codeBlock":
			blocks = append(blocks, cur.String())
			cur.Reset()
		}
	}
	walk(v)
	if cur.Len() > 0 {
		blocks = append(blocks, cur.String())
	}
	return strings.Join(blocks, "\n")
}

// richAs renders a stored rich-text value for the API version: v3 answers
// ADF (a stored string becomes one paragraph per line), v2 answers a string
// (a stored ADF document is flattened).
func richAs(raw json.RawMessage, version string) any {
	if len(raw) == 0 {
		return nil
	}
	v := gjson.ParseBytes(raw)
	if version == "3" {
		if v.Type == gjson.String {
			return textToADF(v.String())
		}
		return raw
	}
	if v.Type == gjson.String {
		return raw
	}
	return richText(raw)
}

func textToADF(text string) map[string]any {
	var content []any
	for _, line := range strings.Split(text, "\n") {
		p := map[string]any{"type": "paragraph", "content": []any{}}
		if line != "" {
			p["content"] = []any{map[string]any{"type": "text", "text": line}}
		}
		content = append(content, p)
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}
