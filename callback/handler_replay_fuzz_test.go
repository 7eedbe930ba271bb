package callback_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/statusmap"
)

// The replay fuzz targets pair each verifier with the handler. The fuzzer
// picks a body the genuine sender signs and the delivery ids, independently;
// the attacker then re-sends the signed delivery under other unsigned ids,
// without one, in another header spelling, and the sender retries it. The
// property: an event is applied at most once per signed content — after
// the first delivery, no copy applies anything. Their seed corpora are in
// testdata/fuzz.

// replayEnv is a handler over a fresh memstore (case-1 ↔ 10040 / TES-41)
// with comments and created events applied, so that every kind of event can
// be applied, and a counting updater.
type replayEnv struct {
	h       *callback.Handler
	clock   *hClock
	applied int
}

func newReplayEnv(t *testing.T, sm callback.CaseMapper, v func(*hClock, *memstore.Store) callback.Verifier, p callback.Parser, idHeader string) *replayEnv {
	t.Helper()
	e := &replayEnv{clock: &hClock{t: time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)}}
	store := memstore.New()
	if err := store.PutLink(context.Background(), itsm.Link{IntegrationID: hIntegration, CaseID: "case-1", TicketID: "10040", TicketKey: "TES-41"}); err != nil {
		t.Fatal(err)
	}
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: hIntegration, Store: store, StatusMap: sm, Comments: true, ApplyCreated: true,
			Updater: callback.CaseUpdaterFunc(func(context.Context, callback.TicketChange) error {
				e.applied++
				return nil
			}),
		},
		Verifier: v(e.clock, store), Parser: p, DeliveryIDHeader: idHeader,
	}, itsm.WithClock(e.clock))
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

// send serves one request (a second later than the last: events without a
// time of their own take the receive time, so a replay would look newer)
// and returns how many events it applied.
func (e *replayEnv) send(t *testing.T, body []byte, hdr http.Header) int {
	t.Helper()
	e.clock.Advance(time.Second)
	r := httptest.NewRequest(http.MethodPost, "/itsm/callback", strings.NewReader(string(body)))
	for k, vs := range hdr {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("status %d for body %q", w.Code, body)
	}
	if w.Code != http.StatusOK {
		return 0
	}
	var rep struct{ Applied int }
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("summary %q: %v", w.Body.String(), err)
	}
	if rep.Applied > 0 && e.applied == 0 {
		t.Fatalf("summary says %d applied, the updater saw none", rep.Applied)
	}
	return rep.Applied
}

func withHeader(h http.Header, kv ...string) http.Header {
	c := h.Clone()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			c.Del(kv[i])
			continue
		}
		c.Set(kv[i], kv[i+1])
	}
	return c
}

func compiledJira(f *testing.F) callback.CaseMapper {
	f.Helper()
	sm := statusmap.JiraStatuses()
	c, err := sm.Compile()
	if err != nil {
		f.Fatal(err)
	}
	return c
}

// FuzzReplayHMACJira: Jira signs the body only (X-Hub-Signature), and its
// X-Atlassian-Webhook-Identifier is not covered. Re-sending the signed
// body under any other id, or none, applies nothing more.
func FuzzReplayHMACJira(f *testing.F) {
	sm := compiledJira(f)
	signer, err := callback.NewHMACVerifier(callback.JiraHMAC(hSecret))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, id1, id2 string) {
		e := newReplayEnv(t, sm, func(*hClock, *memstore.Store) callback.Verifier { return signer }, jira.Parser{}, jira.DeliveryIDHeader)
		signed := signer.Sign(body, time.Time{})
		first := e.send(t, body, withHeader(signed, jira.DeliveryIDHeader, id1))
		replays := 0
		for _, id := range []string{id2, "", id1, id2 + "-x"} {
			replays += e.send(t, body, withHeader(signed, jira.DeliveryIDHeader, id))
		}
		if replays != 0 {
			t.Fatalf("signed body applied %d more times after %d (ids %q, %q)", replays, first, id1, id2)
		}
	})
}

// FuzzReplayStandardWebhooks: the signature covers the message id, its
// timestamp and the body. The genuine sender signs (id, body); copies in
// the svix-* spelling, with both spellings, with an extra unsigned
// webhook-id, and the sender's retries re-signed later, apply nothing
// more. A second id is another message: it may apply once, then never
// again.
func FuzzReplayStandardWebhooks(f *testing.F) {
	sm := compiledJira(f)
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	parser := genericParser(f)
	f.Fuzz(func(t *testing.T, body []byte, id1, id2 string, svix bool) {
		var v *callback.StandardWebhooksVerifier
		e := newReplayEnv(t, sm, func(c *hClock, _ *memstore.Store) callback.Verifier {
			var err error
			v, err = callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{Secrets: []string{secret}}, itsm.WithClock(c))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}, parser, "webhook-id")
		spell := func(h http.Header, toSvix bool) http.Header {
			if !toSvix {
				return h
			}
			out := http.Header{}
			for k, vs := range h {
				out["Svix-"+strings.TrimPrefix(k, "Webhook-")] = vs
			}
			return out
		}
		for _, id := range []string{id1, id2} {
			signed := v.SignHeaders(id, e.clock.Now(), body)
			first := e.send(t, body, spell(signed, svix))
			replays := e.send(t, body, spell(signed, !svix))
			both := spell(signed, true)
			for k, vs := range signed {
				both[k] = vs
			}
			replays += e.send(t, body, both)
			replays += e.send(t, body, withHeader(spell(signed, true), callback.HeaderWebhookID, id+"-fresh"))
			replays += e.send(t, body, spell(v.SignHeaders(id, e.clock.Now(), body), svix)) // the sender's retry
			if replays != 0 {
				t.Fatalf("message %q applied %d more times after %d", id, replays, first)
			}
		}
	})
}

// FuzzReplayToken: a callback token authenticates the sender, not the
// delivery id: the same body re-sent under other ids, or none, applies
// nothing more.
func FuzzReplayToken(f *testing.F) {
	sm := compiledJira(f)
	parser := genericParser(f)
	const idHeader = "X-Delivery-Id"
	f.Fuzz(func(t *testing.T, body []byte, id1, id2 string) {
		var token string
		e := newReplayEnv(t, sm, func(c *hClock, store *memstore.Store) callback.Verifier {
			tokens, err := callback.NewTokens(store, callback.TokensConfig{TouchInterval: itsm.Off}, itsm.WithClock(c))
			if err != nil {
				t.Fatal(err)
			}
			it, err := tokens.Generate(context.Background(), callback.TokenRequest{IntegrationID: hIntegration, AppName: "fuzz"})
			if err != nil {
				t.Fatal(err)
			}
			token = it.Token
			return &callback.TokenVerifier{Tokens: tokens, IntegrationID: hIntegration}
		}, parser, idHeader)
		auth := http.Header{"Authorization": {"Bearer " + token}}
		first := e.send(t, body, withHeader(auth, idHeader, id1))
		replays := 0
		for _, id := range []string{id2, "", id1} {
			replays += e.send(t, body, withHeader(auth, idHeader, id))
		}
		if replays != 0 {
			t.Fatalf("body applied %d more times after %d (ids %q, %q)", replays, first, id1, id2)
		}
	})
}
