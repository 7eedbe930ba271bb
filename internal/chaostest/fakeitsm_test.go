package chaostest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fault is what the fake ITSM does to one request instead of answering it
// plainly. The "before" faults store nothing; the "after" faults store first
// (the ITSM committed) and then fail the answer.
type fault string

const (
	faultNone        fault = ""
	faultBefore500   fault = "before-commit 500"
	faultBeforeReset fault = "before-commit reset"
	faultAfter5xx    fault = "after-commit 5xx"
	faultAfterReset  fault = "after-commit reset"
	faultAfterHang   fault = "after-commit hang"
	faultKillBefore  fault = "sender killed before commit"
	faultKillAfter   fault = "sender killed after commit"
	faultListFailure fault = "list 500"
	// workerHeader names the worker (w1, w2 ...) the fake asks the driver to
	// kill; senderHeader names the worker process (w1#7: its 7th spawn), so
	// a comment the fake stored can be matched with a kill of its sender.
	workerHeader      = "X-Chaos-Worker"
	senderHeader      = "X-Chaos-Sender"
	maxFakeRequestLen = 1 << 16
)

// writeFaults are the faults of a create, an update and a comment, drawn
// with these weights once a request is chosen to fail. Killing the sender is
// rarer: a killed worker's cases stay locked until its lease expires.
var writeFaults = []struct {
	fault  fault
	weight int
}{
	{faultBefore500, 3}, {faultBeforeReset, 3}, {faultAfter5xx, 3}, {faultAfterReset, 3}, {faultAfterHang, 3},
	{faultKillBefore, 1}, {faultKillAfter, 1},
}

// drawFault picks one of writeFaults by weight.
func drawFault(rng *rand.Rand) fault {
	total := 0
	for _, w := range writeFaults {
		total += w.weight
	}
	n := rng.IntN(total)
	for _, w := range writeFaults {
		if n < w.weight {
			return w.fault
		}
		n -= w.weight
	}
	return faultNone
}

// fakeTicket is a ticket as the fake keeps it.
type fakeTicket struct {
	ID             string
	CorrelationKey string
	Title          string
	Status         string
	Updates        int
	Comments       []fakeComment
}

// fakeComment is a comment as the fake keeps it: the note id and marker are
// fields of the notes request's body (see chaosConfig).
type fakeComment struct {
	ID     string `json:"id"`
	Body   string `json:"body"`
	NoteID string `json:"note_id"`
	Marker string `json:"marker"`
}

// noteKey names one note on one ticket.
type noteKey struct{ ticketID, noteID string }

// noteCommit is one comment the fake stored: the worker process that sent
// it and the fault that followed the commit (faultNone: answered 201).
type noteCommit struct {
	sender string
	fault  fault
}

// unknowable reports whether the fault hid the commit from its sender: the
// comment was stored, and the answer failed (5xx, reset, held past the
// client's timeout) or the sender was killed before it read it.
func (c noteCommit) unknowable() bool {
	switch c.fault {
	case faultAfter5xx, faultAfterReset, faultAfterHang, faultKillAfter:
		return true
	}
	return false
}

// killRequest asks the chaos driver to SIGKILL the worker that sent a request
// the fake is holding; done is closed once it is dead (or the driver gave up).
type killRequest struct {
	worker string
	done   chan struct{}
}

// fakeITSM is a small ticketing system written without the SDK, shaped like
// the generic HTTP preset expects:
//
//	POST /tickets                 {"title","status","correlation_key"} → 201 {"id"}
//	PUT  /tickets/{id}            {"title","status"}                   → 200 {"id"}
//	GET  /tickets?correlation_key=K                                    → 200 [{"id","correlation_key","title","status"}...]
//	POST /tickets/{id}/comments   {"body","note_id","marker"}          → 201 {"id"}
//	GET  /tickets/{id}/comments                                        → 200 [{"id","body","note_id","marker"}...]
//
// While faults are on, a random share of the calls fails in one of the ways
// of writeFaults (list calls with a plain 500). GET /tickets answers every
// ticket whatever its query, as many real list endpoints do with a
// parameter they do not know (see the package documentation). It never
// reads the SDK's code: it only parses JSON.
type fakeITSM struct {
	t     *testing.T
	srv   *httptest.Server
	kills chan<- killRequest
	stop  chan struct{}

	mu        sync.Mutex
	rng       *rand.Rand
	faultRate float64 // share of the calls that fail, while faulting
	faulting  bool
	nextID    int
	tickets   map[string]*fakeTicket
	order     []string // ticket ids in creation order
	calls     map[string]int
	faults    map[string]int     // "op: fault" → count
	forced    map[string][]fault // faults of the next calls of an op, before any random one
	// commits lists, per note, every comment stored and what followed.
	commits map[noteKey][]noteCommit
	// createFaults counts, per correlation key, the create requests that
	// failed (every one leaves the SDK without knowing whether a ticket
	// was created: creates are never retried on their own).
	createFaults map[string]int
}

func newFakeITSM(t *testing.T, seed uint64, kills chan<- killRequest) *fakeITSM {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := &fakeITSM{
		t:            t,
		kills:        kills,
		stop:         make(chan struct{}),
		rng:          rng,
		faultRate:    0.2 + 0.4*rng.Float64(), // 20–60 %
		nextID:       1000,
		tickets:      map[string]*fakeTicket{},
		calls:        map[string]int{},
		faults:       map[string]int{},
		forced:       map[string][]fault{},
		commits:      map[noteKey][]noteCommit{},
		createFaults: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tickets", f.create)
	mux.HandleFunc("GET /tickets", f.list)
	mux.HandleFunc("PUT /tickets/{id}", f.update)
	mux.HandleFunc("POST /tickets/{id}/comments", f.comment)
	mux.HandleFunc("GET /tickets/{id}/comments", f.listComments)
	f.srv = httptest.NewServer(mux) // 127.0.0.1 only
	t.Cleanup(func() {
		close(f.stop)
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

// URL is the fake's base URL.
func (f *fakeITSM) URL() string { return f.srv.URL }

// setFaulting turns the faults on or off.
func (f *fakeITSM) setFaulting(on bool) {
	f.mu.Lock()
	f.faulting = on
	f.mu.Unlock()
}

// force makes the next calls of op ("create", "update", "comment") fail
// with these faults, in order, whether faults are on or not.
func (f *fakeITSM) force(op string, faults ...fault) {
	f.mu.Lock()
	f.forced[op] = append(f.forced[op], faults...)
	f.mu.Unlock()
}

// pick draws the fault of one write request.
func (f *fakeITSM) pick(op string) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if q := f.forced[op]; len(q) > 0 {
		f.forced[op] = q[1:]
		f.faults[op+": "+string(q[0])]++
		return q[0]
	}
	if !f.faulting || f.rng.Float64() >= f.faultRate {
		return faultNone
	}
	ft := drawFault(f.rng)
	f.faults[op+": "+string(ft)]++
	return ft
}

// write runs one write request: commit stores it (under f.mu, told the
// fault that follows) and returns the success answer; the fault drawn for
// it decides what the sender sees. onFault, when set, is told every fault
// (under f.mu).
func (f *fakeITSM) write(w http.ResponseWriter, r *http.Request, op string, onFault func(fault), commit func(fault) (int, any)) {
	ft := f.pick(op)
	if ft != faultNone && onFault != nil {
		f.mu.Lock()
		onFault(ft)
		f.mu.Unlock()
	}
	switch ft {
	case faultBefore500:
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	case faultBeforeReset:
		reset(w)
		return
	case faultKillBefore:
		// A killed sender learned nothing and recorded nothing: its
		// successor resends. Without a driver to kill it, this is a reset.
		f.killSender(r)
		reset(w)
		return
	}
	f.mu.Lock()
	status, body := commit(ft)
	f.mu.Unlock()
	switch ft {
	case faultAfter5xx:
		code := http.StatusInternalServerError
		if f.coin() {
			code = http.StatusBadGateway
		}
		http.Error(w, `{"error":"upstream failed"}`, code)
	case faultAfterReset:
		reset(w)
	case faultAfterHang:
		select { // hold the answer until the client gives up
		case <-r.Context().Done():
		case <-f.stop:
		case <-time.After(time.Minute):
		}
		reset(w)
	case faultKillAfter:
		f.killSender(r)
		reset(w)
	default:
		writeJSON(w, status, body)
	}
}

// coin is a fair coin from the fake's generator.
func (f *fakeITSM) coin() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.IntN(2) == 0
}

// killSender asks the driver to kill the worker that sent r and waits until
// it is dead; false when no driver listens or the request names no worker.
func (f *fakeITSM) killSender(r *http.Request) bool {
	name := r.Header.Get(workerHeader)
	if name == "" || f.kills == nil {
		return false
	}
	kr := killRequest{worker: name, done: make(chan struct{})}
	select {
	case f.kills <- kr:
	case <-f.stop:
		return false
	case <-time.After(5 * time.Second):
		return false
	}
	select {
	case <-kr.done:
	case <-f.stop:
	case <-time.After(10 * time.Second):
	}
	return true
}

// reset closes the connection without an answer (an RST: linger 0).
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("chaostest: the fake ITSM's server cannot hijack connections")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// readBody decodes a JSON object body of string fields; it answers 400 and
// returns false when the body is not one.
func readBody(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	var m map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFakeRequestLen)).Decode(&m); err != nil {
		http.Error(w, `{"error":"body must be a JSON object"}`, http.StatusBadRequest)
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out, true
}

func (f *fakeITSM) create(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if body["correlation_key"] == "" || body["title"] == "" {
		http.Error(w, `{"error":"title and correlation_key are required"}`, http.StatusBadRequest)
		return
	}
	key := body["correlation_key"]
	f.write(w, r, "create", func(fault) { f.createFaults[key]++ }, func(fault) (int, any) {
		f.nextID++
		id := strconv.Itoa(f.nextID)
		f.tickets[id] = &fakeTicket{ID: id, CorrelationKey: body["correlation_key"], Title: body["title"], Status: body["status"]}
		f.order = append(f.order, id)
		return http.StatusCreated, map[string]string{"id": id}
	})
}

func (f *fakeITSM) update(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if !f.exists(id) {
		http.Error(w, `{"error":"no such ticket"}`, http.StatusNotFound)
		return
	}
	f.write(w, r, "update", nil, func(fault) (int, any) {
		tk := f.tickets[id]
		tk.Title, tk.Status = body["title"], body["status"]
		tk.Updates++
		return http.StatusOK, map[string]string{"id": id}
	})
}

func (f *fakeITSM) comment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if !f.exists(id) {
		http.Error(w, `{"error":"no such ticket"}`, http.StatusNotFound)
		return
	}
	if body["body"] == "" || body["note_id"] == "" {
		http.Error(w, `{"error":"body and note_id are required"}`, http.StatusBadRequest)
		return
	}
	key := noteKey{ticketID: id, noteID: body["note_id"]}
	sender := r.Header.Get(senderHeader)
	f.write(w, r, "comment", nil, func(ft fault) (int, any) {
		tk := f.tickets[id]
		f.nextID++
		c := fakeComment{ID: "c" + strconv.Itoa(f.nextID), Body: body["body"], NoteID: body["note_id"], Marker: body["marker"]}
		tk.Comments = append(tk.Comments, c)
		f.commits[key] = append(f.commits[key], noteCommit{sender: sender, fault: ft})
		return http.StatusCreated, map[string]string{"id": c.ID}
	})
}

func (f *fakeITSM) exists(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tickets[id] != nil
}

// listFault draws a plain 500 for a read while faults are on.
func (f *fakeITSM) listFault(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if !f.faulting || f.rng.Float64() >= f.faultRate {
		return false
	}
	f.faults[op+": "+string(faultListFailure)]++
	return true
}

type listedTicket struct {
	ID             string `json:"id"`
	CorrelationKey string `json:"correlation_key"`
	Title          string `json:"title"`
	Status         string `json:"status"`
}

func (f *fakeITSM) list(w http.ResponseWriter, r *http.Request) {
	if f.listFault("list tickets") {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	f.mu.Lock()
	out := []listedTicket{}
	for _, id := range f.order {
		tk := f.tickets[id]
		out = append(out, listedTicket{ID: tk.ID, CorrelationKey: tk.CorrelationKey, Title: tk.Title, Status: tk.Status})
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeITSM) listComments(w http.ResponseWriter, r *http.Request) {
	if f.listFault("list comments") {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	f.mu.Lock()
	tk := f.tickets[r.PathValue("id")]
	var out []fakeComment
	if tk != nil {
		out = append([]fakeComment{}, tk.Comments...)
	}
	f.mu.Unlock()
	if tk == nil {
		http.Error(w, `{"error":"no such ticket"}`, http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// fakeSnapshot is what the fake holds, for the assertions.
type fakeSnapshot struct {
	byKey        map[string][]*fakeTicket // tickets per correlation key
	tickets      int
	comments     int
	calls        map[string]int
	faults       map[string]int
	commits      map[noteKey][]noteCommit
	createFaults map[string]int
	faultRate    float64
}

func (f *fakeITSM) snapshot() fakeSnapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := fakeSnapshot{byKey: map[string][]*fakeTicket{}, calls: maps.Clone(f.calls), faults: maps.Clone(f.faults),
		commits: map[noteKey][]noteCommit{}, createFaults: maps.Clone(f.createFaults), faultRate: f.faultRate}
	for _, id := range f.order {
		tk := *f.tickets[id]
		tk.Comments = append([]fakeComment(nil), tk.Comments...)
		s.byKey[tk.CorrelationKey] = append(s.byKey[tk.CorrelationKey], &tk)
		s.tickets++
		s.comments += len(tk.Comments)
	}
	for k, v := range f.commits {
		s.commits[k] = slices.Clone(v)
	}
	return s
}

// faultSummary lists the faults by kind, sorted, for the log.
func (s fakeSnapshot) faultSummary() string {
	keys := make([]string, 0, len(s.faults))
	total := 0
	for k, v := range s.faults {
		keys = append(keys, k)
		total += v
	}
	sort.Strings(keys)
	out := fmt.Sprintf("%d faults (rate %.0f %%)", total, 100*s.faultRate)
	for _, k := range keys {
		out += fmt.Sprintf("; %s ×%d", k, s.faults[k])
	}
	return out
}
