package rt_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// fakeRT is a Request Tracker 5 REST2 server for tests. It enforces the
// rules the package documentation lists with their source in RT's code
// (lib/RT/REST2/...): a string id on create and a number on GET, a 200
// array of per-field messages on PUT with refusals for invalid statuses,
// Location .../transaction/<id> on comment, TicketSQL on a custom field,
// 401 without credentials, custom fields silently skipped on create when
// not applied to the queue, Subject without line breaks cut at 200 bytes.
type fakeRT struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	tickets   map[int]*fakeTicket
	nextID    int
	nextTxn   int
	queues    map[string]*fakeQueue // by name
	cfs       map[string]int        // custom field name → id
	nextCF    int
	admin     bool   // the user may create custom fields
	cfNoApply bool   // custom fields are created without applying them
	denyEdit  bool   // the user lacks ModifyTicket
	token     string // accepted "Authorization: token <t>"
	requests  map[string]int
	// dropCreateAnswer makes the next create succeed in RT and the answer
	// be lost (the connection is cut).
	dropCreateAnswer bool
	// failCommentAfterApply answers the next n comments with 502 after
	// recording them (the note is in RT, the answer is lost).
	failCommentAfterApply int
}

type fakeQueue struct {
	id        int
	name      string
	cfs       []string // applied ticket custom fields
	canCreate bool
}

type fakeTicket struct {
	id       int
	queue    string
	subject  string
	status   string
	priority int
	cf       map[string][]string
	comments []fakeTxn
}

type fakeTxn struct {
	id          int
	kind        string
	subject     string
	content     string
	contentType string
}

// statuses and createStatuses are RT's default lifecycle
// (etc/RT_Config.pm).
var (
	fakeStatuses       = []string{"new", "open", "stalled", "resolved", "rejected", "deleted"}
	fakeCreateStatuses = []string{"new", "open", "resolved"}
)

const (
	fakeUser = "root"
	fakePass = "password"
)

func newFakeRT(t *testing.T) *fakeRT {
	t.Helper()
	f := &fakeRT{t: t, tickets: map[int]*fakeTicket{}, nextID: 1, nextTxn: 100, nextCF: 1,
		queues:   map[string]*fakeQueue{"General": {id: 1, name: "General", canCreate: true}},
		cfs:      map[string]int{},
		requests: map[string]int{}, admin: true, token: "1-14-abcdef"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// withField creates the correlation field and applies it to General.
func (f *fakeRT) withField(name string) *fakeRT {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfs[name] = f.nextCF
	f.nextCF++
	q := f.queues["General"]
	q.cfs = append(q.cfs, name)
	return f
}

func (f *fakeRT) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

func (f *fakeRT) ticket(id int) fakeTicket {
	f.mu.Lock()
	defer f.mu.Unlock()
	tk := f.tickets[id]
	if tk == nil {
		return fakeTicket{}
	}
	return *tk
}

func (f *fakeRT) numTickets() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tickets)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// message is RT's error body (RT::REST2::Util error_as_json).
func message(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"message": msg})
}

func (f *fakeRT) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "token "); ok {
		return tok == f.token
	}
	if b, ok := strings.CutPrefix(h, "Basic "); ok {
		raw, err := base64.StdEncoding.DecodeString(b)
		return err == nil && string(raw) == fakeUser+":"+fakePass
	}
	return false
}

var (
	ticketPath  = regexp.MustCompile(`^/REST/2\.0/ticket/(\d+)$`)
	messagePath = regexp.MustCompile(`^/REST/2\.0/ticket/(\d+)/(comment|correspond)$`)
	attachPath  = regexp.MustCompile(`^/REST/2\.0/ticket/(\d+)/attachments$`)
	queuePath   = regexp.MustCompile(`^/REST/2\.0/queue/([^/]+)$`)
	// The one TicketSQL shape the preset sends.
	cfQuery = regexp.MustCompile(`^CF\.\{([^}]+)\} = '((?:[^'\\]|\\.)*)' AND Queue = '((?:[^'\\]|\\.)*)'$`)
)

func (f *fakeRT) serve(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(r) {
		// RT::REST2::Middleware::Auth
		message(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.Path
	key := r.Method + " " + p
	switch {
	case r.Method == http.MethodPost && p == "/REST/2.0/ticket":
		f.requests["create"]++
		f.create(w, r)
	case r.Method == http.MethodGet && p == "/REST/2.0/tickets":
		f.requests["search"]++
		f.search(w, r)
	case r.Method == http.MethodPost && p == "/REST/2.0/customfield":
		f.requests["create cf"]++
		f.createCF(w, r)
	case ticketPath.MatchString(p):
		id, _ := strconv.Atoi(ticketPath.FindStringSubmatch(p)[1])
		switch r.Method {
		case http.MethodGet:
			f.requests["get"]++
			f.get(w, id)
		case http.MethodPut:
			f.requests["update"]++
			f.update(w, r, id)
		default:
			message(w, http.StatusMethodNotAllowed, "Method not allowed")
		}
	case r.Method == http.MethodPost && messagePath.MatchString(p):
		m := messagePath.FindStringSubmatch(p)
		id, _ := strconv.Atoi(m[1])
		f.requests[m[2]]++
		f.message(w, r, id, m[2])
	case r.Method == http.MethodGet && attachPath.MatchString(p):
		id, _ := strconv.Atoi(attachPath.FindStringSubmatch(p)[1])
		f.requests["attachments"]++
		f.attachments(w, r, id)
	case r.Method == http.MethodGet && queuePath.MatchString(p):
		f.requests["queue"]++
		f.queue(w, queuePath.FindStringSubmatch(p)[1])
	default:
		f.t.Logf("fake RT: unexpected %s", key)
		message(w, http.StatusNotFound, "Not Found")
	}
}

func decode(r *http.Request) (map[string]any, bool) {
	var m map[string]any
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return nil, false
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		return nil, false
	}
	return m, true
}

// cleanSubject is what RT::Ticket does to a Subject: line breaks removed,
// cut to the varchar(200) column in bytes on a character boundary.
func cleanSubject(s string) string {
	s = strings.ReplaceAll(s, "\n", "")
	if len(s) <= 200 {
		return s
	}
	n := 200
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (f *fakeRT) create(w http.ResponseWriter, r *http.Request) {
	body, ok := decode(r)
	if !ok {
		message(w, http.StatusBadRequest, "JSON object must be a HASH")
		return
	}
	qn, _ := body["Queue"].(string)
	if qn == "" {
		message(w, http.StatusBadRequest, "Could not create ticket. Queue not set")
		return
	}
	q := f.queues[qn]
	if q == nil || !q.canCreate {
		// RT 5.0.3 answers this for a queue that does not exist as well
		// (newer versions: 400 "Unable to find queue").
		message(w, http.StatusForbidden, fmt.Sprintf("No permission to create tickets in the queue '%s'", qn))
		return
	}
	status := "new"
	if s, ok := body["Status"].(string); ok {
		if !slices.Contains(fakeCreateStatuses, s) {
			message(w, http.StatusBadRequest, fmt.Sprintf("New tickets can not have status '%s' in this queue.", s))
			return
		}
		status = s
	}
	if c, ok := body["Content"].(string); ok && c != "" {
		if ct, _ := body["ContentType"].(string); ct != "text/plain" && ct != "" {
			message(w, http.StatusBadRequest, "unexpected ContentType")
			return
		}
	}
	subject, _ := body["Subject"].(string)
	tk := &fakeTicket{id: f.nextID, queue: q.name, subject: cleanSubject(subject), status: status, cf: map[string][]string{}}
	switch p := body["Priority"].(type) {
	case string:
		tk.priority, _ = strconv.Atoi(p)
	case float64:
		tk.priority = int(p)
	}
	if cfs, ok := body["CustomFields"].(map[string]any); ok {
		for name, v := range cfs {
			// Writable.pm: a custom field not found for the queue is
			// logged and skipped, the ticket is still created.
			if !slices.Contains(q.cfs, name) {
				continue
			}
			if s, ok := v.(string); ok {
				tk.cf[name] = []string{s}
			}
		}
	}
	f.tickets[tk.id] = tk
	f.nextID++
	f.nextTxn++
	if f.dropCreateAnswer {
		f.dropCreateAnswer = false
		hj, ok := w.(http.Hijacker)
		if ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	w.Header().Set("Location", "/REST/2.0/ticket/"+strconv.Itoa(tk.id)) // relative, as RT 5.0 sends it
	// expand_uid: "id" is the UID's text, a string.
	writeJSON(w, http.StatusCreated, map[string]string{"type": "ticket", "id": strconv.Itoa(tk.id), "_url": f.srv.URL + "/REST/2.0/ticket/" + strconv.Itoa(tk.id)})
}

func (f *fakeRT) cfJSON(cf map[string][]string) []map[string]any {
	out := []map[string]any{}
	for name, vals := range cf {
		out = append(out, map[string]any{"id": strconv.Itoa(f.cfs[name]), "type": "customfield", "name": name, "values": vals})
	}
	return out
}

func (f *fakeRT) get(w http.ResponseWriter, id int) {
	tk := f.tickets[id]
	if tk == nil {
		message(w, http.StatusNotFound, "Resource does not exist")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": tk.id, "Subject": tk.subject, "Status": tk.status, "Priority": strconv.Itoa(tk.priority),
		"Queue":        map[string]any{"id": strconv.Itoa(f.queues[tk.queue].id), "type": "queue"},
		"CustomFields": f.cfJSON(tk.cf),
	})
}

// update follows RT::Record::Update/_UpdateAttributes: one message per
// attribute that differs, "Ticket N: <setter message>".
func (f *fakeRT) update(w http.ResponseWriter, r *http.Request, id int) {
	tk := f.tickets[id]
	if tk == nil {
		message(w, http.StatusNotFound, "Resource does not exist; use POST to create")
		return
	}
	body, ok := decode(r)
	if !ok {
		message(w, http.StatusBadRequest, "JSON object must be a HASH")
		return
	}
	msgs := []string{}
	prefix := fmt.Sprintf("Ticket %d: ", id)
	if s, ok := body["Subject"].(string); ok && cleanSubject(s) != tk.subject {
		if f.denyEdit {
			msgs = append(msgs, prefix+"Permission Denied")
		} else {
			msgs = append(msgs, fmt.Sprintf("%sSubject changed from '%s' to '%s'", prefix, tk.subject, cleanSubject(s)))
			tk.subject = cleanSubject(s)
		}
	}
	if v, present := body["Status"]; present && v != nil {
		s, _ := v.(string)
		switch {
		case s == tk.status:
		case f.denyEdit:
			msgs = append(msgs, prefix+"Permission Denied")
		case !slices.Contains(fakeStatuses, s):
			msgs = append(msgs, fmt.Sprintf("%sStatus '%s' isn't a valid status for this ticket.", prefix, s))
		default:
			msgs = append(msgs, fmt.Sprintf("%sStatus changed from '%s' to '%s'", prefix, tk.status, s))
			tk.status = s
		}
	}
	if v, present := body["Priority"]; present && v != nil {
		var p int
		switch x := v.(type) {
		case string:
			p, _ = strconv.Atoi(x)
		case float64:
			p = int(x)
		}
		if p != tk.priority && !f.denyEdit {
			msgs = append(msgs, fmt.Sprintf("%sPriority changed from '%d' to '%d'", prefix, tk.priority, p))
			tk.priority = p
		}
	}
	writeJSON(w, http.StatusOK, msgs)
}

func (f *fakeRT) message(w http.ResponseWriter, r *http.Request, id int, kind string) {
	tk := f.tickets[id]
	if tk == nil {
		message(w, http.StatusNotFound, "Resource does not exist")
		return
	}
	body, ok := decode(r)
	if !ok {
		message(w, http.StatusBadRequest, "JSON object must be a HASH")
		return
	}
	content, _ := body["Content"].(string)
	ct, _ := body["ContentType"].(string)
	if content != "" && ct == "" {
		message(w, http.StatusBadRequest, "ContentType is a required field for application/json")
		return
	}
	subject, _ := body["Subject"].(string)
	f.nextTxn++
	tk.comments = append(tk.comments, fakeTxn{id: f.nextTxn, kind: kind, subject: cleanSubject(subject), content: content, contentType: ct})
	if f.failCommentAfterApply > 0 {
		f.failCommentAfterApply--
		message(w, http.StatusBadGateway, "Bad Gateway")
		return
	}
	w.Header().Set("Location", "/REST/2.0/transaction/"+strconv.Itoa(f.nextTxn))
	msg := "Comments added"
	if kind == "correspond" {
		msg = "Correspondence added"
	}
	writeJSON(w, http.StatusCreated, []string{msg})
}

// attachments serves GET /ticket/:id/attachments as RT 5.0.3 does (checked
// against a real RT): one attachment per comment, the fields named in
// "fields" (Subject, TransactionId as a string, ContentType) besides type,
// id and _url; orderby=id with order=DESC for newest first (ascending
// otherwise); page and per_page (default 20, at most 100: REST2 "Paging");
// total and pages null; an unknown ticket is 200 with no items. Other
// query parameters are ignored.
func (f *fakeRT) attachments(w http.ResponseWriter, r *http.Request, id int) {
	q := r.URL.Query()
	perPage := 20
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = min(n, 100)
	}
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	fields := strings.Split(q.Get("fields"), ",")
	var txns []fakeTxn
	if tk := f.tickets[id]; tk != nil {
		txns = slices.Clone(tk.comments)
	}
	if q.Get("orderby") == "id" && q.Get("order") == "DESC" {
		slices.Reverse(txns)
	}
	start := min((page-1)*perPage, len(txns))
	txns = txns[start:min(start+perPage, len(txns))]
	items := []map[string]any{}
	for _, tx := range txns {
		it := map[string]any{"type": "attachment", "id": strconv.Itoa(tx.id + 1000),
			"_url": f.srv.URL + "/REST/2.0/attachment/" + strconv.Itoa(tx.id+1000)}
		for _, fl := range fields {
			switch fl {
			case "Subject":
				it["Subject"] = tx.subject
			case "TransactionId":
				it["TransactionId"] = strconv.Itoa(tx.id)
			case "ContentType":
				it["ContentType"] = tx.contentType
			}
		}
		items = append(items, it)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "count": len(items), "page": page, "per_page": perPage, "total": nil, "pages": nil})
}

func unquoteSQL(s string) string {
	return strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(s)
}

// search understands the preset's query only; values compare without case
// (as RT's databases usually do), so a near match is returned and the
// connector must check it.
func (f *fakeRT) search(w http.ResponseWriter, r *http.Request) {
	m := cfQuery.FindStringSubmatch(r.URL.Query().Get("query"))
	if m == nil {
		message(w, http.StatusBadRequest, "Invalid query")
		return
	}
	field, value, queue := m[1], unquoteSQL(m[2]), unquoteSQL(m[3])
	withCF := slices.Contains(strings.Split(r.URL.Query().Get("fields"), ","), "CustomFields")
	items := []map[string]any{}
	ids := make([]int, 0, len(f.tickets))
	for id := range f.tickets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		tk := f.tickets[id]
		if !strings.EqualFold(tk.queue, queue) {
			continue
		}
		if !slices.ContainsFunc(tk.cf[field], func(v string) bool { return strings.EqualFold(v, value) }) {
			continue
		}
		item := map[string]any{"type": "ticket", "id": strconv.Itoa(id), "_url": f.srv.URL + "/REST/2.0/ticket/" + strconv.Itoa(id)}
		if withCF {
			item["CustomFields"] = f.cfJSON(tk.cf)
		}
		items = append(items, item)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(items), "total": len(items), "page": 1, "per_page": 20, "pages": 1, "items": items})
}

func (f *fakeRT) queue(w http.ResponseWriter, name string) {
	q := f.queues[name]
	if q == nil {
		if id, err := strconv.Atoi(name); err == nil {
			for _, c := range f.queues {
				if c.id == id {
					q = c
				}
			}
		}
	}
	if q == nil {
		// RT 5.0 answers 403 for a queue that does not exist (and for one
		// the user may not see).
		message(w, http.StatusForbidden, "Forbidden")
		return
	}
	cfs := []map[string]any{}
	for _, n := range q.cfs {
		cfs = append(cfs, map[string]any{"id": strconv.Itoa(f.cfs[n]), "type": "customfield", "ref": "customfield", "name": n})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": q.id, "Name": q.name, "TicketCustomFields": cfs})
}

func (f *fakeRT) createCF(w http.ResponseWriter, r *http.Request) {
	if !f.admin {
		// RT::CustomField->Create returns (0, "Permission Denied"), which
		// Writable.pm's create_resource answers with 400.
		message(w, http.StatusBadRequest, "Permission Denied")
		return
	}
	body, ok := decode(r)
	if !ok {
		message(w, http.StatusBadRequest, "JSON object must be a HASH")
		return
	}
	name, _ := body["Name"].(string)
	if name == "" || body["LookupType"] != "RT::Queue-RT::Ticket" {
		message(w, http.StatusBadRequest, "Invalid custom field")
		return
	}
	// RT allows several custom fields of one name.
	f.cfs[name] = f.nextCF
	f.nextCF++
	if qid, ok := body["Queue"].(float64); ok && !f.cfNoApply {
		for _, q := range f.queues {
			if q.id == int(qid) {
				q.cfs = append(q.cfs, name)
			}
		}
	}
	w.Header().Set("Location", f.srv.URL+"/REST/2.0/customfield/"+strconv.Itoa(f.cfs[name]))
	writeJSON(w, http.StatusCreated, map[string]string{"type": "customfield", "id": strconv.Itoa(f.cfs[name])})
}
