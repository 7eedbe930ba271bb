package acceptance

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// clock is a settable itsm.Clock shared by every component of a scenario.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// acmeTicket is what the fake AcmeDesk keeps of a ticket: the last body it
// received for it, decoded with json.Number so numbers stay exact.
type acmeTicket struct {
	ID       string
	Body     map[string]any
	Updates  int
	Comments []map[string]any
}

// acmeDesk is a tiny ITSM shaped like the generic webhook preset expects:
// POST /api/tickets answers a numeric id too large for a float64 or an
// int64, so a connector that goes through float64 would lose it.
type acmeDesk struct {
	t      *testing.T
	srv    *httptest.Server
	token  string
	nextID uint64

	mu      sync.Mutex
	tickets map[string]*acmeTicket
	creates int
	paths   []string
	// onCreate, when set, runs after a create is recorded and before the
	// answer is written (a hook to stall the answer).
	onCreate func(r *http.Request)
	// failWith, when set, makes every request answer this status with the
	// request's Authorization value echoed in the body (a careless ITSM).
	failWith int
}

const acmeFirstID = "12345678901234567890"

func newAcmeDesk(t *testing.T, token string) *acmeDesk {
	t.Helper()
	first, err := strconv.ParseUint(acmeFirstID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	a := &acmeDesk{t: t, token: token, nextID: first, tickets: map[string]*acmeTicket{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/tickets", a.create)
	mux.HandleFunc("GET /api/tickets", a.lookup)
	mux.HandleFunc("PUT /api/tickets/{id}", a.update)
	mux.HandleFunc("GET /api/tickets/{id}", a.get)
	mux.HandleFunc("POST /api/tickets/{id}/comments", a.comment)
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.paths = append(a.paths, r.Method+" "+r.URL.EscapedPath())
		fail := a.failWith
		a.mu.Unlock()
		if fail != 0 {
			w.WriteHeader(fail)
			_, _ = w.Write([]byte(`{"error":"denied","you_sent":"` + r.Header.Get("Authorization") + `"}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+a.token {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *acmeDesk) URL() string { return a.srv.URL + "/api" }

func decode(r *http.Request) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	err := dec.Decode(&m)
	return m, err
}

func (a *acmeDesk) create(w http.ResponseWriter, r *http.Request) {
	body, err := decode(r)
	if err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	id := strconv.FormatUint(a.nextID, 10)
	a.nextID++
	a.tickets[id] = &acmeTicket{ID: id, Body: body}
	a.creates++
	hook := a.onCreate
	a.mu.Unlock()
	if hook != nil {
		hook(r)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	// The id as a bare JSON number, as some ITSMs send 64-bit ids.
	_, _ = w.Write([]byte(`{"id": ` + id + `, "status": "open"}`))
}

func (a *acmeDesk) lookup(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("correlation_key")
	var buf bytes.Buffer
	buf.WriteByte('[')
	a.mu.Lock()
	n := 0
	for id, tk := range a.tickets {
		if key != "" && tk.Body["correlation_key"] == key {
			if n > 0 {
				buf.WriteByte(',')
			}
			// A listed record carries its fields, as real list endpoints do:
			// the verified lookup reads the key back from it.
			kj, _ := json.Marshal(key)
			buf.WriteString(`{"id": ` + id + `, "correlation_key": ` + string(kj) + `}`)
			n++
		}
	}
	a.mu.Unlock()
	buf.WriteByte(']')
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
}

func (a *acmeDesk) ticket(w http.ResponseWriter, r *http.Request) *acmeTicket {
	tk := a.tickets[r.PathValue("id")]
	if tk == nil {
		http.Error(w, `{"error":"no such ticket"}`, http.StatusNotFound)
	}
	return tk
}

func (a *acmeDesk) update(w http.ResponseWriter, r *http.Request) {
	body, err := decode(r)
	if err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if tk := a.ticket(w, r); tk != nil {
		tk.Body = body
		tk.Updates++
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *acmeDesk) get(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if tk := a.ticket(w, r); tk != nil {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": json.Number(tk.ID), "title": tk.Body["title"], "status": tk.Body["status"]})
	}
}

func (a *acmeDesk) comment(w http.ResponseWriter, r *http.Request) {
	body, err := decode(r)
	if err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if tk := a.ticket(w, r); tk != nil {
		tk.Comments = append(tk.Comments, body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id": "c-` + strconv.Itoa(len(tk.Comments)) + `"}`))
	}
}

// snapshot returns a copy of the ticket with id, or nil.
func (a *acmeDesk) snapshot(id string) *acmeTicket {
	a.mu.Lock()
	defer a.mu.Unlock()
	tk := a.tickets[id]
	if tk == nil {
		return nil
	}
	cp := *tk
	cp.Comments = append([]map[string]any(nil), tk.Comments...)
	return &cp
}

func (a *acmeDesk) createCount() int { a.mu.Lock(); defer a.mu.Unlock(); return a.creates }

// testContext is the bound every scenario runs under.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
