package sysaid_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/providers/sysaid"
)

// expiryMode is how the fake answers a request whose session expired.
type expiryMode int

const (
	expire401 expiryMode = iota
	expireRedirect
	expireHTML
)

// fakeSysAid is a small SysAid REST API: a login that sets JSESSIONID,
// sessions the test can expire, service records as info lists, search,
// close, and the webhook subscription call.
type fakeSysAid struct {
	t        *testing.T
	user     string
	password string // as SysAid stores it (the login body carries it URL-encoded)

	mu           sync.Mutex
	sessions     map[string]bool
	nextSession  int
	logins       int
	loginStatus  int // when non-zero, the login answers this status
	mode         expiryMode
	records      map[string]map[string]any // id -> key -> value
	notes        map[string][]string
	nextID       int
	creates      int // POST /api/v1/sr received with a valid session
	authHeaders  int // API requests that carried an Authorization header
	subscription map[string]any
	tokens       map[string]bool // access tokens issued for the application key
	tokenCalls   int
}

// Application key and account of the fake's developer API.
const (
	fakeAccount      = "acct-1"
	fakeClientID     = "client-1"
	fakeClientSecret = "client-SECRET-1"
)

// accessToken is POST /connect/v1/access-tokens as developers.sysaid.com
// documents it: the account id header and the application key, answered
// with {"token", "tokenType", "expiresIn"}.
func (f *fakeSysAid) accessToken(w http.ResponseWriter, r *http.Request, body []byte) {
	f.tokenCalls++
	var in map[string]string
	if r.Header.Get("x-sysaid-accountid") != fakeAccount {
		writeJSON(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "Invalid request parameters"})
		return
	}
	if json.Unmarshal(body, &in) != nil || in["clientId"] != fakeClientID || in["clientSecret"] != fakeClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Unauthorized"})
		return
	}
	tok := "tok-" + strconv.Itoa(f.tokenCalls)
	if f.tokens == nil {
		f.tokens = map[string]bool{}
	}
	f.tokens[tok] = true
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "tokenType": "Bearer", "expiresIn": 86400})
}

func (f *fakeSysAid) subscribe(w http.ResponseWriter, body []byte) {
	var sub map[string]any
	if json.Unmarshal(body, &sub) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "bad body"})
		return
	}
	f.subscription = sub
	writeJSON(w, http.StatusCreated, map[string]any{"id": 12, "url": sub["url"], "secret": "whsec-from-sysaid"})
}

func newFakeSysAid(t *testing.T, user, password string) (*fakeSysAid, *httptest.Server) {
	t.Helper()
	f := &fakeSysAid{t: t, user: user, password: password, sessions: map[string]bool{},
		records: map[string]map[string]any{}, notes: map[string][]string{}, nextID: 147}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeSysAid) expireAll(mode expiryMode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = map[string]bool{}
	f.mode = mode
}

func (f *fakeSysAid) stats() (logins, creates, records, authHeaders int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.creates, len(f.records), f.authHeaders
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSysAid) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/api/v1/login" {
		f.login(w, r, body)
		return
	}
	if r.URL.Path == "/connect/v1/access-tokens" {
		f.accessToken(w, r, body)
		return
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && f.tokens[tok] && r.URL.Path == "/connect/v1/webhooks" {
		f.subscribe(w, body)
		return
	}
	if r.Header.Get("Authorization") != "" {
		f.authHeaders++
	}
	c, err := r.Cookie("JSESSIONID")
	if err != nil || !f.sessions[c.Value] {
		switch f.mode {
		case expireRedirect:
			w.Header().Set("Location", "/Login.jsp")
			w.WriteHeader(http.StatusFound)
		case expireHTML:
			w.Header().Set("Content-Type", "text/html;charset=UTF-8")
			_, _ = io.WriteString(w, "<html><body><form action=\"Login.jsp\">login</form></body></html>")
		default:
			writeJSON(w, http.StatusUnauthorized, map[string]any{"status": 401, "message": "Unauthorized"})
		}
		return
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodPost && path == "/api/v1/sr":
		f.creates++
		info, ok := infoMap(body)
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": "bad info"})
			return
		}
		f.nextID++
		id := strconv.Itoa(f.nextID)
		f.records[id] = info
		writeJSON(w, http.StatusOK, record(id, info))
	case r.Method == http.MethodGet && path == "/api/v1/sr/search":
		// A free-text search: a record matches when any of its fields
		// mentions the text (not only the description the preset writes
		// the key into), listed by id, oldest first.
		q := r.URL.Query().Get("query")
		out := []any{}
		for n := 1; n <= f.nextID; n++ {
			id := strconv.Itoa(n)
			rec, ok := f.records[id]
			if !ok || q == "" {
				continue
			}
			for _, v := range rec {
				if strings.Contains(fmt.Sprint(v), q) {
					out = append(out, record(id, rec))
					break
				}
			}
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodGet && path == "/api/v1/sr":
		writeJSON(w, http.StatusOK, []any{})
	case r.Method == http.MethodPost && path == "/connect/v1/webhooks":
		f.subscribe(w, body)
	case strings.HasPrefix(path, "/api/v1/sr/"):
		rest := strings.TrimPrefix(path, "/api/v1/sr/")
		id, action, _ := strings.Cut(rest, "/")
		rec, ok := f.records[id]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Service record not found"})
			return
		}
		switch {
		case r.Method == http.MethodGet && action == "":
			writeJSON(w, http.StatusOK, record(id, rec))
		case r.Method == http.MethodPut && action == "close":
			var in map[string]any
			_ = json.Unmarshal(body, &in)
			rec["status"] = "3"
			rec["solution"] = in["solution"]
			writeJSON(w, http.StatusOK, map[string]any{})
		case r.Method == http.MethodPut && action == "":
			var in struct {
				Info []struct {
					Key   string          `json:"key"`
					Value json.RawMessage `json:"value"`
				} `json:"info"`
			}
			if json.Unmarshal(body, &in) != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"message": "bad info"})
				return
			}
			for _, e := range in.Info {
				if e.Key == "notes" {
					var notes []map[string]string
					_ = json.Unmarshal(e.Value, &notes)
					for _, n := range notes {
						if strings.TrimSpace(n["text"]) == "" {
							// Assumption (SysAid does not document it): a
							// blank note is refused rather than stored.
							writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Note text is empty"})
							return
						}
					}
					for _, n := range notes {
						f.notes[id] = append(f.notes[id], n["text"])
					}
					continue
				}
				var s string
				_ = json.Unmarshal(e.Value, &s)
				rec[e.Key] = s
			}
			writeJSON(w, http.StatusOK, map[string]any{})
		default:
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{})
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "no such endpoint"})
	}
}

func (f *fakeSysAid) login(w http.ResponseWriter, r *http.Request, body []byte) {
	f.logins++
	if f.logins > sysaid.LoginLimit && f.loginStatus == 0 {
		// SysAid allows 2 logins per 5 minutes per user; a test runs
		// within one window.
		w.Header().Set("Retry-After", "300")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too many login attempts"})
		return
	}
	if f.loginStatus != 0 {
		if f.loginStatus == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "300")
		}
		writeJSON(w, f.loginStatus, map[string]any{"message": "login refused"})
		return
	}
	var in map[string]string
	if r.Method != http.MethodPost || json.Unmarshal(body, &in) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "bad login"})
		return
	}
	pw, err := url.QueryUnescape(in["password"])
	if err != nil || in["user_name"] != f.user || pw != f.password {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Invalid user name or password"})
		return
	}
	f.nextSession++
	sid := fmt.Sprintf("sess-%04d", f.nextSession)
	f.sessions[sid] = true
	http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: sid, Path: "/", HttpOnly: true})
	writeJSON(w, http.StatusOK, map[string]any{"user": map[string]any{"id": "2", "name": f.user}, "language": "en"})
}

func infoMap(body []byte) (map[string]any, bool) {
	var in struct {
		Info []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"info"`
	}
	if json.Unmarshal(body, &in) != nil || len(in.Info) == 0 {
		return nil, false
	}
	m := map[string]any{}
	for _, e := range in.Info {
		m[e.Key] = e.Value
	}
	return m, true
}

func record(id string, rec map[string]any) map[string]any {
	info := []map[string]any{}
	for _, k := range []string{"title", "description", "status", "priority"} {
		if v, ok := rec[k]; ok {
			info = append(info, map[string]any{"key": k, "value": v, "valueCaption": v})
		}
	}
	return map[string]any{"id": id, "canUpdate": true, "info": info}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
