package itsmtest

import (
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// Op names what a request to the fake asks for. Faults are matched on it, and
// the per-operation counters are keyed by it.
type Op string

// The operations the fake recognises. A request to a path the fake does not
// know has the empty Op.
const (
	OpCreate      Op = "create"      // POST /rest/api/{v}/issue
	OpUpdate      Op = "update"      // PUT /rest/api/{v}/issue/{idOrKey}
	OpGet         Op = "get"         // GET /rest/api/{v}/issue/{idOrKey}
	OpDelete      Op = "delete"      // DELETE /rest/api/{v}/issue/{idOrKey}
	OpComment     Op = "comment"     // POST /rest/api/{v}/issue/{idOrKey}/comment
	OpComments    Op = "comments"    // GET /rest/api/{v}/issue/{idOrKey}/comment
	OpTransitions Op = "transitions" // GET /rest/api/{v}/issue/{idOrKey}/transitions
	OpTransition  Op = "transition"  // POST /rest/api/{v}/issue/{idOrKey}/transitions
	OpSearch      Op = "search"      // GET|POST /rest/api/{v}/search and /rest/api/{v}/search/jql
	OpMyself      Op = "myself"      // GET /rest/api/{v}/myself and /rest/api/{v}/serverInfo (health checks)
)

// Match selects the requests a fault queue applies to. Every non-empty field
// must match; the zero Match matches every request.
type Match struct {
	// Op is the operation ("" = any).
	Op Op
	// Method is the HTTP method, compared case-insensitively ("" = any).
	Method string
	// Path is a [path.Match] pattern on the URL path, e.g.
	// "/rest/api/3/issue/*/comment" ("" = any).
	Path string
}

// On returns the Match for one operation, whatever its method, path or API
// version.
func On(op Op) Match { return Match{Op: op} }

func (m Match) matches(op Op, r *http.Request) bool {
	if m.Op != "" && m.Op != op {
		return false
	}
	if m.Method != "" && !strings.EqualFold(m.Method, r.Method) {
		return false
	}
	if m.Path != "" {
		ok, err := path.Match(m.Path, r.URL.Path)
		if err != nil || !ok {
			return false
		}
	}
	return true
}

// String describes the match, e.g. "op=create" or "any request".
func (m Match) String() string {
	var parts []string
	if m.Op != "" {
		parts = append(parts, "op="+string(m.Op))
	}
	if m.Method != "" {
		parts = append(parts, "method="+strings.ToUpper(m.Method))
	}
	if m.Path != "" {
		parts = append(parts, "path="+m.Path)
	}
	if len(parts) == 0 {
		return "any request"
	}
	return strings.Join(parts, " ")
}

type faultKind int

const (
	kindPass          faultKind = iota // only a delay; answered normally
	kindStatus                         // status + body, operation not applied
	kindStatusAfter                    // operation applied, then status + body
	kindHangBefore                     // hang, operation not applied
	kindDrop                           // abrupt close, operation not applied
	kindHangAfter                      // operation applied, then hang
	kindResetAfter                     // operation applied, then abrupt close
	kindMalformed                      // operation applied, truncated JSON body
	kindMissingID                      // operation applied, "id" and "key" removed
	kindHTMLNoContent                  // operation applied, 204 text/html
	kindTextPlain                      // operation applied, JSON sent as text/plain
)

// Fault is one scripted misbehaviour of the fake, queued with
// [Server.Fault]. Build one with the constructors below and refine it with
// its methods; a Fault is a value, and every method returns a modified copy.
//
// Whether the operation is applied (the ticket is created, the comment
// posted, the status changed) depends on the kind — [Fault.Applies] tells:
//
//	not applied (the ITSM did nothing):    Status, RetryAfter, DropBeforeProcessing,
//	                                       TimeoutBeforeProcessing
//	applied (the outcome happened):        Delay, StatusAfterApply, TimeoutAfterSend,
//	                                       ResetAfterSend, MalformedJSON, MissingID,
//	                                       HTMLNoContent, JSONAsTextPlain
//
// A client cannot tell a dropped connection or a timeout that was applied from
// one that was not: that ambiguity is exactly what the sync engine must
// survive, and the pairs above let a test script either side of it.
type Fault struct {
	kind   faultKind
	name   string
	status int
	ctype  string
	body   []byte
	hasBod bool
	header http.Header
	delay  time.Duration
	times  int // remaining uses; < 0 means always
}

// Status answers with the status code and a realistic default body for it
// (Jira-shaped JSON for most codes, an HTML proxy page for 502 and 504),
// without applying the operation. Change the body with [Fault.WithBody].
func Status(code int) Fault {
	return Fault{kind: kindStatus, name: "status " + strconv.Itoa(code), status: code, times: 1}
}

// RetryAfter answers with the status code (typically 429 or 503) and a
// Retry-After header of d in whole seconds (rounded up), without applying
// the operation.
func RetryAfter(code int, d time.Duration) Fault {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 0 {
		secs = 0
	}
	f := Status(code).WithHeader("Retry-After", strconv.Itoa(secs))
	f.name = fmt.Sprintf("status %d retry-after %ds", code, secs)
	return f
}

// StatusAfterApply applies the operation and then answers with the status
// code anyway, like a gateway that gives up while the backend completes the
// work (a 502 or 504 whose create really happened).
func StatusAfterApply(code int) Fault {
	return Fault{kind: kindStatusAfter, name: "status " + strconv.Itoa(code) + " after apply", status: code, times: 1}
}

// Delay waits d before answering normally (the operation is applied after the
// wait). The wait ends early, without applying anything and without an
// answer, when the client gives up or the server closes.
func Delay(d time.Duration) Fault {
	return Fault{kind: kindPass, name: "delay " + d.String(), delay: d, times: 1}
}

// TimeoutAfterSend reads the whole request, applies the operation, and then
// never answers: the handler hangs until the client gives up (its context or
// timeout ends the connection) or the server closes (the connection is then
// closed abruptly, never answered). This is the ambiguous case: the ticket
// exists but the client saw a timeout.
func TimeoutAfterSend() Fault {
	return Fault{kind: kindHangAfter, name: "timeout after send", times: 1}
}

// TimeoutBeforeProcessing never answers and does not apply the operation; the
// handler hangs until the client gives up or the server closes (the
// connection is then closed abruptly, never answered).
func TimeoutBeforeProcessing() Fault {
	return Fault{kind: kindHangBefore, name: "timeout before processing", times: 1}
}

// ResetAfterSend reads the whole request, applies the operation, and then
// closes the TCP connection abruptly (SO_LINGER 0, so the peer gets a RST):
// the client sees "connection reset by peer" or an unexpected EOF while the
// ticket exists.
func ResetAfterSend() Fault {
	return Fault{kind: kindResetAfter, name: "reset after send", times: 1}
}

// DropBeforeProcessing reads the request and closes the connection abruptly
// without applying the operation.
func DropBeforeProcessing() Fault {
	return Fault{kind: kindDrop, name: "drop before processing", times: 1}
}

// MalformedJSON applies the operation and answers with its normal status but
// a truncated JSON body (a 204 becomes a 200 with a broken body).
func MalformedJSON() Fault {
	return Fault{kind: kindMalformed, name: "malformed json", times: 1}
}

// MissingID applies the operation and answers normally, but with "id" and
// "key" removed from the JSON body (a create answers 201 {"self": ...}).
func MissingID() Fault {
	return Fault{kind: kindMissingID, name: "missing id", times: 1}
}

// HTMLNoContent applies the operation and answers 204 with
// Content-Type text/html and no body, as Jira Data Center does for some
// writes.
func HTMLNoContent() Fault {
	return Fault{kind: kindHTMLNoContent, name: "204 text/html", times: 1}
}

// JSONAsTextPlain applies the operation and answers normally, but labels the
// JSON body Content-Type text/plain.
func JSONAsTextPlain() Fault {
	return Fault{kind: kindTextPlain, name: "json as text/plain", times: 1}
}

// Times makes the fault apply to the next n matching requests (n < 1 means
// once).
func (f Fault) Times(n int) Fault {
	if n < 1 {
		n = 1
	}
	f.times = n
	return f
}

// Always makes the fault apply to every matching request until
// [Server.ClearFaults] or [Server.Reset]; faults queued behind it never run.
func (f Fault) Always() Fault {
	f.times = -1
	return f
}

// After adds a wait of d before the fault acts (the wait ends early when the
// client gives up or the server closes; nothing is applied then).
func (f Fault) After(d time.Duration) Fault {
	f.delay = d
	return f
}

// WithHeader adds a response header to a status fault (Status, RetryAfter,
// StatusAfterApply); other kinds ignore it.
func (f Fault) WithHeader(key, value string) Fault {
	h := f.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Add(key, value)
	f.header = h
	return f
}

// WithBody replaces the default body of a status fault (Status, RetryAfter,
// StatusAfterApply); other kinds ignore it. An empty contentType means
// application/json.
func (f Fault) WithBody(contentType, body string) Fault {
	if contentType == "" {
		contentType = "application/json;charset=UTF-8"
	}
	f.ctype = contentType
	f.body = []byte(body)
	f.hasBod = true
	return f
}

// Applies reports whether the operation is carried out when this fault is
// served (see [Fault] for the list).
func (f Fault) Applies() bool {
	switch f.kind {
	case kindStatus, kindHangBefore, kindDrop:
		return false
	}
	return true
}

// String names the fault, e.g. "status 503 retry-after 2s" or "reset after
// send"; recorded requests carry it in RecordedRequest.Fault.
func (f Fault) String() string {
	if f.delay > 0 && f.kind != kindPass {
		return f.name + " after " + f.delay.String()
	}
	return f.name
}

// statusBody returns the fault's body and content type for a status fault.
func (f Fault) statusBody() (string, []byte) {
	if f.hasBod {
		return f.ctype, f.body
	}
	return defaultStatusBody(f.status)
}

// defaultStatusBody is what a Jira (or the proxy in front of it) sends with
// the code.
func defaultStatusBody(code int) (string, []byte) {
	switch code {
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		text := strconv.Itoa(code) + " " + http.StatusText(code)
		return "text/html", []byte("<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" +
			text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	case http.StatusBadRequest:
		return jsonType, jiraErrorBody([]string{"The request could not be processed (fault injected by itsmtest)."}, nil)
	case http.StatusUnauthorized:
		return jsonType, jiraErrorBody([]string{"You are not authenticated. Authentication required to perform this operation."}, nil)
	case http.StatusForbidden:
		return jsonType, jiraErrorBody([]string{"You do not have permission to perform this operation."}, nil)
	case http.StatusNotFound:
		return jsonType, jiraErrorBody([]string{msgIssueNotFound}, nil)
	case http.StatusTooManyRequests:
		return jsonType, jiraErrorBody([]string{"Rate limit exceeded."}, nil)
	case http.StatusServiceUnavailable:
		return jsonType, jiraErrorBody([]string{"Service is temporarily unavailable. Please try again later."}, nil)
	}
	if code >= 500 {
		return jsonType, jiraErrorBody([]string{"Internal server error"}, nil)
	}
	return jsonType, jiraErrorBody([]string{http.StatusText(code)}, nil)
}

// faultRule is one queue registered with Server.Fault.
type faultRule struct {
	match  Match
	faults []Fault
}

// takeFault pops the fault for the request, if any. The caller holds s.mu.
func (s *Server) takeFaultLocked(op Op, r *http.Request) (Fault, bool) {
	for i, rule := range s.rules {
		if len(rule.faults) == 0 || !rule.match.matches(op, r) {
			continue
		}
		f := rule.faults[0]
		if f.times > 0 {
			rule.faults[0].times--
			if rule.faults[0].times == 0 {
				rule.faults = rule.faults[1:]
			}
		}
		if len(rule.faults) == 0 {
			s.rules = append(s.rules[:i:i], s.rules[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}

// Fault queues faults for the requests that m matches. The queue is consumed
// in order: the first matching request gets faults[0] (for as many requests
// as its Times, or forever with Always), the next the following one, and so
// on; once the queue is empty, matching requests are served normally.
// Several queues may be registered; a request takes from the first
// registered queue that matches it and is not empty.
//
// Safe for concurrent use, including while requests are being served: each
// queued use is handed to exactly one request.
func (s *Server) Fault(m Match, faults ...Fault) {
	if len(faults) == 0 {
		return
	}
	q := make([]Fault, 0, len(faults))
	for _, f := range faults {
		if f.times == 0 {
			f.times = 1
		}
		q = append(q, f)
	}
	s.mu.Lock()
	s.rules = append(s.rules, &faultRule{match: m, faults: q})
	s.mu.Unlock()
}

// ClearFaults drops every queued fault. Requests already being faulted
// (e.g. hanging) are not released; Close releases them.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.rules = nil
	s.mu.Unlock()
}

// PendingFaults returns how many queued fault uses have not been served yet
// (an Always fault counts as one), so a test can assert its script ran.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.rules {
		for _, f := range r.faults {
			if f.times < 0 {
				n++
			} else {
				n += f.times
			}
		}
	}
	return n
}
