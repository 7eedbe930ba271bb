package httpconn_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/template"
	"github.com/tidwall/gjson"
)

// benchCreatePayload is the Jira-style create payload of the benchmark.
const benchCreatePayload = `{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"[SIEM] $case_name","description":$description,"labels":$tags,"priority":{"name":"$priority"}}}`

// connBenchServer answers every request like a Jira create: 201 with an id.
func connBenchServer(b *testing.B) *httptest.Server {
	b.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		id := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":"%d","key":"SEC-%d","self":"http://jira/rest/api/2/issue/%d"}`, id, id, id)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// processCPU returns the user+system CPU time this process has used (the
// benchmark's client and server both run in it). Under load from other
// processes it is a steadier cost measure than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runConnWorkers runs fn b.N times spread over workers goroutines and reports
// requests per second.
func runConnWorkers(b *testing.B, workers int, fn func() error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := fn(); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	b.StopTimer()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// connectorCreate returns one connector create round trip against srv.
func connectorCreate(b *testing.B, srv *httptest.Server) func() error {
	b.Helper()
	cfg := jiraConfig(srv.URL)
	cfg.Create.Payload = benchCreatePayload
	conn, err := httpconn.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	cs := sampleCase()
	req := itsm.SyncRequest{Case: &cs, CorrelationKey: "itsmsync-0123456789abcdef"}
	ctx := context.Background()
	return func() error {
		t, err := conn.Create(ctx, req)
		if err == nil && t.ID == "" {
			err = fmt.Errorf("no id")
		}
		return err
	}
}

// baselineCreate returns the same round trip with a plain net/http client
// and a tuned transport: render, POST, read capped, gjson parse.
func baselineCreate(b *testing.B, srv *httptest.Server) func() error {
	b.Helper()
	tmpl, err := template.Parse(benchCreatePayload, template.Options{Name: "create", Syntax: template.JSON, Known: vars.Known(vars.ScopeCase)})
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	cs := sampleCase()
	url := srv.URL + "/rest/api/2/issue"
	return func() error {
		vals := vars.Values(vars.Input{Case: &cs, Priority: "High", CorrelationKey: "itsmsync-0123456789abcdef"})
		body, err := tmpl.Render(vals)
		if err != nil {
			return err
		}
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.SetBasicAuth("bot@example.com", "pw-Sup3r-s3cret")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated || gjson.GetBytes(data, "id").String() == "" {
			return fmt.Errorf("bad response %d", resp.StatusCode)
		}
		return nil
	}
}

// BenchmarkConnectorCreate measures render + create + parse round trips on
// loopback: the connector (retries, auth, checks included) beside a
// baseline plain net/http client with a tuned transport doing the same
// render + POST + gjson parse. Compare with benchstat -col /impl.
func BenchmarkConnectorCreate(b *testing.B) {
	for _, workers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("impl=connector/workers=%d", workers), func(b *testing.B) {
			runConnWorkers(b, workers, connectorCreate(b, connBenchServer(b)))
		})
		b.Run(fmt.Sprintf("impl=baseline/workers=%d", workers), func(b *testing.B) {
			runConnWorkers(b, workers, baselineCreate(b, connBenchServer(b)))
		})
	}
}

// BenchmarkConnectorVsBaseline alternates short rounds of the connector and
// the baseline (workers*8 requests each) and reports their ratio, so that
// load from other processes hits both alike. ratio = connector req/s ÷
// baseline req/s; cpu-ratio = baseline CPU per request ÷ connector CPU per
// request.
func BenchmarkConnectorVsBaseline(b *testing.B) {
	for _, workers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			srv := connBenchServer(b)
			conn, base := connectorCreate(b, srv), baselineCreate(b, srv)
			round := workers * 8
			var connTime, baseTime, connCPU, baseCPU time.Duration
			runRound := func(fn func() error, cpu *time.Duration) time.Duration {
				var next atomic.Int64
				var wg sync.WaitGroup
				var failed atomic.Value
				start, cpu0 := time.Now(), processCPU()
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(round) {
							if err := fn(); err != nil {
								failed.Store(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				if err, ok := failed.Load().(error); ok {
					b.Fatal(err)
				}
				if cpu != nil {
					*cpu += processCPU() - cpu0
				}
				return time.Since(start)
			}
			// Warm both connection pools.
			runRound(conn, nil)
			runRound(base, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%2 == 0 {
					connTime += runRound(conn, &connCPU)
					baseTime += runRound(base, &baseCPU)
				} else {
					baseTime += runRound(base, &baseCPU)
					connTime += runRound(conn, &connCPU)
				}
			}
			n := float64(b.N * round)
			b.ReportMetric(n/connTime.Seconds(), "conn-req/s")
			b.ReportMetric(n/baseTime.Seconds(), "base-req/s")
			b.ReportMetric(baseTime.Seconds()/connTime.Seconds(), "ratio")
			// CPU per request (client and server): the throughput ratio a
			// CPU-bound, otherwise idle machine would show.
			b.ReportMetric(baseCPU.Seconds()/connCPU.Seconds(), "cpu-ratio")
		})
	}
}
