package callback_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/providers/jira"
)

// FuzzHandler drives signed garbage through the whole handler (verify,
// parse, dedup, ordering, map, apply) with the Jira parser and the generic
// parser: it never panics and never answers 5xx (the updater and store
// never fail here, so a 5xx would be a handler bug).
func FuzzHandler(f *testing.F) {
	for _, name := range []string{
		"mattermost-webhook-issue-created.json", "mattermost-webhook-issue-updated-resolved.json",
		"mattermost-webhook-server-issue-updated-resolved.json", "mattermost-webhook-issue-deleted.json",
		"mattermost-webhook-cloud-comment-created.json",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "jira", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
	}
	f.Add([]byte(doneBody), false)
	f.Add([]byte(`{"type":"commented","ticket":"10040","comment":{"body":"x"}}`), false)
	f.Add([]byte(`{"type":"updated","ticket":"10040","status":"Done","version":"9223372036854775807"}`), false)
	f.Add([]byte(`{"webhookEvent":"jira:issue_updated","issue":{"key":"TES-41"},"changelog":{"items":[{"field":"status","toString":"Done"}]}}`), true)

	jiraEnv := setupHandler(f, func(c *callback.HandlerConfig) {
		c.Parser = jira.Parser{}
		c.Comments = true
	})
	genericEnv := setupHandler(f, func(c *callback.HandlerConfig) { c.Comments = true })
	f.Fuzz(func(t *testing.T, body []byte, useJira bool) {
		env := genericEnv
		if useJira {
			env = jiraEnv
		}
		env.clock.Advance(time.Second)
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		for k, vs := range env.signer.Sign(body, time.Time{}) {
			r.Header[k] = vs
		}
		w := httptest.NewRecorder()
		env.h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d for body %q", w.Code, body)
		}
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("unexpected status %d", w.Code)
		}
	})
}
