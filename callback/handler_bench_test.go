package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/statusmap"
)

// benchBody is the real Cloud "In Progress → Done" capture, compacted and
// with the avatar URL maps dropped so it weighs about 6 KB, its timestamp
// written as 13 digits at tsOff so each request can carry a later one (or
// the ordering rule would make every request after the first stale).
func benchBody(b *testing.B) (body []byte, tsOff int) {
	b.Helper()
	raw := readJiraFixture(b, "mattermost-webhook-issue-updated-resolved.json")
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		b.Fatal(err)
	}
	body = buf.Bytes()
	for _, p := range []string{"user.avatarUrls", "issue.fields.project.avatarUrls"} {
		var err error
		if body, err = sjson.DeleteBytes(body, p); err != nil {
			b.Fatal(err)
		}
	}
	// Put the timestamp first so it is easy to rewrite in place.
	body, _ = sjson.DeleteBytes(body, "timestamp")
	body = append([]byte(`{"timestamp":1000000000000,`), body[1:]...)
	return body, len(`{"timestamp":`)
}

// withTimestamp writes ts (13 digits) into a copy of body.
func withTimestamp(dst, body []byte, tsOff int, ts int64) []byte {
	dst = append(dst[:0], body...)
	strconv.AppendInt(dst[:tsOff], ts, 10)
	return dst
}

type noopUpdater struct{ n atomic.Int64 }

func (u *noopUpdater) ApplyTicketChange(context.Context, callback.TicketChange) error {
	u.n.Add(1)
	return nil
}

// benchHandler is the Jira preset over a memstore with TES-41 linked.
func benchHandler(b *testing.B) (*callback.Handler, *callback.HMACVerifier, *noopUpdater) {
	b.Helper()
	store := memstore.New()
	if err := store.PutLink(context.Background(), itsm.Link{IntegrationID: hIntegration, CaseID: "case-1", TicketID: "10040", TicketKey: "TES-41"}); err != nil {
		b.Fatal(err)
	}
	v, err := callback.NewHMACVerifier(callback.JiraHMAC(hSecret))
	if err != nil {
		b.Fatal(err)
	}
	sm := statusmap.JiraStatuses()
	compiled, err := sm.Compile()
	if err != nil {
		b.Fatal(err)
	}
	u := &noopUpdater{}
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: hIntegration, Store: store, StatusMap: compiled, Updater: u,
			EchoWindow: itsm.Off,
		},
		Verifier: v, Parser: jira.Parser{}, DeliveryIDHeader: jira.DeliveryIDHeader,
	})
	if err != nil {
		b.Fatal(err)
	}
	return h, v, u
}

// bareHandler only reads the body: the baseline.
var bareHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
})

// floorHandler is the bare handler plus the two full passes over the body
// that any handler must make before trusting it: the HMAC check and one JSON
// validation (valid). floor - bare is the floor of handler - bare.
func floorHandler(b *testing.B, valid func([]byte) bool) http.Handler {
	b.Helper()
	v, err := callback.NewHMACVerifier(callback.JiraHMAC(hSecret))
	if err != nil {
		b.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := v.Verify(r, body); err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !valid(body) {
			http.Error(w, "malformed", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }

// BenchmarkHandler compares the handler end to end (HMAC verify, Jira
// parse, dedup claim, link lookup, ordering, status map, no-op updater,
// state advance) with a bare handler that only reads the body, on the same
// requests, and with the floor: the bare handler plus the HMAC check and one
// JSON validation of the body (floorHandler), with callback.ValidJSON or
// gjson.ValidBytes. Every request has its own delivery id and a later timestamp,
// so none is short-circuited as a duplicate or stale. Requests are built
// and signed in batches outside the timer. CPU per event beyond the bare
// handler = ns/op(handler) - ns/op(bare).
func BenchmarkHandler(b *testing.B) {
	body, tsOff := benchBody(b)
	for _, bc := range []struct {
		name string
		h    func(b *testing.B) (http.Handler, *noopUpdater)
	}{
		{"bare", func(*testing.B) (http.Handler, *noopUpdater) { return bareHandler, nil }},
		{"floor", func(b *testing.B) (http.Handler, *noopUpdater) { return floorHandler(b, callback.ValidJSON), nil }},
		{"floor_gjson", func(b *testing.B) (http.Handler, *noopUpdater) { return floorHandler(b, gjson.ValidBytes), nil }},
		{"handler", func(b *testing.B) (http.Handler, *noopUpdater) {
			h, _, u := benchHandler(b)
			return h, u
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h, u := bc.h(b)
			signer, _ := callback.NewHMACVerifier(callback.JiraHMAC(hSecret))
			const batch = 512
			reqs := make([]*http.Request, batch)
			ws := make([]discardWriter, batch)
			bodies := make([][]byte, batch)
			var seq int64
			prepare := func() {
				for i := range reqs {
					seq++
					bodies[i] = withTimestamp(bodies[i], body, tsOff, 1550286940507+seq)
					r := httptest.NewRequest(http.MethodPost, "/itsm/callback", bytes.NewReader(bodies[i]))
					for k, vs := range signer.Sign(bodies[i], time.Time{}) {
						r.Header[k] = vs
					}
					r.Header.Set(jira.DeliveryIDHeader, "d-"+strconv.FormatInt(seq, 10))
					reqs[i] = r
					ws[i] = discardWriter{h: http.Header{}}
				}
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.StopTimer()
			n := 0
			var cpu time.Duration
			for {
				prepare()
				b.StartTimer()
				c0 := processCPU()
				for i := 0; i < batch && n < b.N; i++ {
					h.ServeHTTP(&ws[i], reqs[i])
					if ws[i].code != 0 && ws[i].code != http.StatusOK {
						b.Fatalf("status %d", ws[i].code)
					}
					n++
				}
				cpu += processCPU() - c0
				b.StopTimer()
				if n >= b.N {
					break
				}
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			if u != nil && u.n.Load() != int64(b.N) {
				b.Fatalf("applied %d of %d", u.n.Load(), b.N)
			}
		})
	}
}

// BenchmarkLoopback runs both handlers behind a real net/http server on
// 127.0.0.1 under the same load: parallel clients (GOMAXPROCS×4 goroutines)
// with keep-alive, each request with a fresh body (later timestamp), its
// HMAC signature and a new delivery id — the same client work for both.
// The req/s metric is the throughput; compare the two in one run.
func BenchmarkLoopback(b *testing.B) {
	body, tsOff := benchBody(b)
	for _, name := range []string{"bare", "handler"} {
		b.Run(name, func(b *testing.B) {
			var h http.Handler = bareHandler
			var u *noopUpdater
			if name == "handler" {
				h, _, u = benchHandler(b)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			signer, _ := callback.NewHMACVerifier(callback.JiraHMAC(hSecret))
			var seq atomic.Int64
			var failed atomic.Int64
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.SetParallelism(4)
			start := time.Now()
			c0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 0, len(body))
				for pb.Next() {
					s := seq.Add(1)
					buf = withTimestamp(buf, body, tsOff, 1550286940507+s)
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/itsm/callback", bytes.NewReader(buf))
					for k, vs := range signer.Sign(buf, time.Time{}) {
						req.Header[k] = vs
					}
					req.Header.Set(jira.DeliveryIDHeader, "d-"+strconv.FormatInt(s, 10))
					resp, err := client.Do(req)
					if err != nil {
						failed.Add(1)
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						failed.Add(1)
					}
				}
			})
			b.StopTimer()
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			// Client and server share this process: this is the CPU of
			// both per request.
			b.ReportMetric(float64((processCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d of %d requests failed", f, b.N)
			}
			if u != nil && u.n.Load() == 0 {
				b.Fatal("nothing applied")
			}
		})
	}
}

// BenchmarkApplier is the apply path alone (what a reconciler pays per
// event).
func BenchmarkApplier(b *testing.B) {
	h, _, _ := benchHandler(b)
	a := h.Applier()
	ctx := context.Background()
	ev := []callback.Event{{Kind: callback.EventUpdated, TicketID: "10040", Status: "Done", StatusCategory: "done"}}
	base := time.UnixMilli(1550286940507)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		ev[0].OccurredAt = base.Add(time.Duration(i) * time.Millisecond)
		if _, err := a.Apply(ctx, fmt.Sprint("d-", i), ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoopbackRatio puts both servers on 127.0.0.1 at once and sends
// them the same load in alternating rounds (bare, handler, handler, bare,
// ...), so the machine's noise hits both alike; it reports each one's req/s
// over all rounds and their ratio (handler/bare). b.N is the number of
// requests per server per round; use -benchtime=2000x or so.
//
// It also reports each server's p50 and p99 latency per request over the
// same rounds, and p99-ratio (handler/bare). Sub-benchmark fresh sends
// every request with a new delivery id (each one is applied); replay sends
// again, in turn, the same 256 deliveries the handler applied before the
// timer started (each one is a dedup hit).
func BenchmarkLoopbackRatio(b *testing.B) {
	b.Run("fresh", func(b *testing.B) { loopbackRatio(b, false) })
	b.Run("replay", func(b *testing.B) { loopbackRatio(b, true) })
}

func loopbackRatio(b *testing.B, replay bool) {
	const replaySet = 256
	body, tsOff := benchBody(b)
	h, _, u := benchHandler(b)
	servers := [2]*httptest.Server{httptest.NewServer(bareHandler), httptest.NewServer(h)}
	defer servers[0].Close()
	defer servers[1].Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	signer, _ := callback.NewHMACVerifier(callback.JiraHMAC(hSecret))
	const workers, rounds = 8, 6
	var seq atomic.Int64
	var lat [2][]time.Duration // per server, every request's latency
	load := func(server, n int) (time.Duration, error) {
		url := servers[server].URL + "/itsm/callback"
		var next atomic.Int64
		var firstErr atomic.Value
		start := time.Now()
		done := make(chan []time.Duration)
		for range workers {
			go func() {
				var mine []time.Duration
				defer func() { done <- mine }()
				buf := make([]byte, 0, len(body))
				for next.Add(1) <= int64(n) {
					t0 := time.Now()
					s := seq.Add(1)
					if replay {
						s %= replaySet
					}
					buf = withTimestamp(buf, body, tsOff, 1550286940507+s)
					req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(buf))
					for k, vs := range signer.Sign(buf, time.Time{}) {
						req.Header[k] = vs
					}
					req.Header.Set(jira.DeliveryIDHeader, "d-"+strconv.FormatInt(s, 10))
					resp, err := client.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						_ = resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
					}
					mine = append(mine, time.Since(t0))
				}
			}()
		}
		for range workers {
			lat[server] = append(lat[server], <-done...)
		}
		if err, _ := firstErr.Load().(error); err != nil {
			return 0, err
		}
		return time.Since(start), nil
	}
	if replay {
		if _, err := load(1, replaySet); err != nil {
			b.Fatal(err)
		}
		lat[1] = lat[1][:0]
	}
	applied := u.n.Load()
	var total [2]time.Duration
	hist := newSchedHist()
	var schedLat, gcPause [2]*metrics.Float64Histogram
	b.ResetTimer()
	for r := range rounds {
		order := [2]int{0, 1}
		if r%2 == 1 {
			order = [2]int{1, 0}
		}
		for _, i := range order {
			h0 := hist.snapshot()
			d, err := load(i, b.N)
			if err != nil {
				b.Fatal(err)
			}
			h1 := hist.snapshot()
			histDelta(&schedLat[i], h0[0], h1[0])
			histDelta(&gcPause[i], h0[1], h1[1])
			total[i] += d
		}
	}
	b.StopTimer()
	bare := float64(rounds*b.N) / total[0].Seconds()
	handler := float64(rounds*b.N) / total[1].Seconds()
	b.ReportMetric(bare, "bare-req/s")
	b.ReportMetric(handler, "handler-req/s")
	b.ReportMetric(handler/bare, "ratio")
	// Latency per request (client send to response read), same rounds.
	var p50, p99 [2]float64
	for i := range lat {
		slices.Sort(lat[i])
		p50[i] = float64(lat[i][len(lat[i])*50/100].Microseconds())
		p99[i] = float64(lat[i][len(lat[i])*99/100].Microseconds())
	}
	b.ReportMetric(p50[0], "bare-p50-µs")
	b.ReportMetric(p50[1], "handler-p50-µs")
	b.ReportMetric(p99[0], "bare-p99-µs")
	b.ReportMetric(p99[1], "handler-p99-µs")
	b.ReportMetric(p99[1]/p99[0], "p99-ratio")
	// What the tail is made of: the Go scheduler's p99 wait of a runnable
	// goroutine, and GC stop-the-world pauses (count and p99), per server.
	for i, name := range [2]string{"bare", "handler"} {
		sl, _ := histQuantile(schedLat[i], 0.99)
		gp, n := histQuantile(gcPause[i], 0.99)
		b.ReportMetric(float64(sl.Microseconds()), name+"-sched-p99-µs")
		b.ReportMetric(float64(gp.Microseconds()), name+"-gc-pause-p99-µs")
		b.ReportMetric(float64(n), name+"-gc-pauses")
	}
	if u.n.Load() == 0 {
		b.Fatal("nothing applied")
	}
	if replay && u.n.Load() != applied {
		b.Fatalf("replays applied %d events: not dedup hits", u.n.Load()-applied)
	}
}
