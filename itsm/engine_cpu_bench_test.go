//go:build unix

package itsm_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// envFakeProcess makes TestBenchFakeServerProcess serve the itsmtest fake
// for BenchmarkSyncFirstCPU from a child process.
const envFakeProcess = "ITSMSYNC_BENCH_FAKE_SERVER_PROCESS"

// TestBenchFakeServerProcess is not a test: run by BenchmarkSyncFirstCPU as
// a child process, it serves the fake on loopback, prints its URL and exits
// when its stdin closes. Skipped otherwise.
func TestBenchFakeServerProcess(t *testing.T) {
	if os.Getenv(envFakeProcess) != "1" {
		t.Skip("helper process of BenchmarkSyncFirstCPU")
	}
	srv := itsmtest.NewServer(itsmtest.WithoutRecording())
	defer srv.Close()
	fmt.Println(srv.URL())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// fakeInChildProcess starts the fake in a child process (so getrusage of
// this process counts the client alone) and returns a connector to it.
func fakeInChildProcess(b *testing.B) *httpconn.Connector {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestBenchFakeServerProcess$")
	cmd.Env = append(os.Environ(), envFakeProcess+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	cfg := fakeJiraConfig(strings.TrimSpace(line))
	cfg.Timeouts = httpconn.Timeouts{}
	cfg.Retry = httpconn.RetryConfig{}
	conn, err := httpconn.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn
}

// processCPU is the CPU time (user+system) this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSyncFirstCPU puts the engine's CPU cost of a first sync (create +
// comment, memstore) next to the raw connector calls', measured in the same
// rounds so that load from other processes hits both alike. One op is one
// round of three interleaved legs of syncsPerRound syncs each, one worker:
//
//   - raw: conn.Create + conn.Comment against the itsmtest fake on loopback;
//   - syncer: Syncer.Sync of a new case with one note, same connector and
//     fake, on memstore;
//   - engine: Syncer.Sync with a connector that answers at once (the
//     engine alone: store bookkeeping, leases, cooldown, audit plumbing).
//
// Sub-benchmark server=child runs the fake in a child process, so the CPU
// (getrusage of this process) is the client's alone — the measure;
// server=inprocess counts the fake's share too. Metrics: raw-cpu-ns, syncer-cpu-ns and
// engine-cpu-ns per sync; engine/raw = engine-cpu-ns ÷ raw-cpu-ns (the
// issue's "engine CPU ≤ 10 % of the raw connector call"); e2e-overhead =
// (syncer − raw) ÷ raw.
func BenchmarkSyncFirstCPU(b *testing.B) {
	b.Run("server=child", func(b *testing.B) { benchSyncFirstCPU(b, fakeInChildProcess(b)) })
	b.Run("server=inprocess", func(b *testing.B) {
		_, conn := benchServer(b)
		benchSyncFirstCPU(b, conn)
	})
}

func benchSyncFirstCPU(b *testing.B, conn *httpconn.Connector) {
	const syncsPerRound = 200
	ctx := context.Background()
	syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: testIntegration})
	if err != nil {
		b.Fatal(err)
	}
	engine, err := itsm.NewSyncer(&nopConn{}, memstore.New(), itsm.SyncerConfig{IntegrationID: testIntegration})
	if err != nil {
		b.Fatal(err)
	}
	var rawCPU, syncCPU, engCPU time.Duration
	n := 0
	legs := []func(round int) error{
		func(round int) error { // raw
			t0 := processCPU()
			defer func() { rawCPU += processCPU() - t0 }()
			for i := range syncsPerRound {
				c := benchCase("raw-"+strconv.Itoa(round)+"-", i)
				req := itsm.SyncRequest{Case: &c, CorrelationKey: itsm.CorrelationKey(testIntegration, c.ID)}
				t, err := conn.Create(ctx, req)
				if err != nil {
					return err
				}
				if _, err := conn.Comment(ctx, t, req, benchNote[0]); err != nil {
					return err
				}
			}
			return nil
		},
		func(round int) error { // syncer
			t0 := processCPU()
			defer func() { syncCPU += processCPU() - t0 }()
			for i := range syncsPerRound {
				if _, err := syncer.Sync(ctx, benchCase("s-"+strconv.Itoa(round)+"-", i), benchNote); err != nil {
					return err
				}
			}
			return nil
		},
		func(round int) error { // engine
			t0 := processCPU()
			defer func() { engCPU += processCPU() - t0 }()
			for i := range syncsPerRound {
				if _, err := engine.Sync(ctx, benchCase("e-"+strconv.Itoa(round)+"-", i), benchNote); err != nil {
					return err
				}
			}
			return nil
		},
	}
	b.ReportAllocs()
	for round := 0; b.Loop(); round++ {
		// Rotate the order of the legs each round.
		for k := range legs {
			if err := legs[(k+round)%len(legs)](round); err != nil {
				b.Fatal(err)
			}
		}
		n += syncsPerRound
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
	b.ReportMetric(per(rawCPU), "raw-cpu-ns")
	b.ReportMetric(per(syncCPU), "syncer-cpu-ns")
	b.ReportMetric(per(engCPU), "engine-cpu-ns")
	b.ReportMetric(per(engCPU)/per(rawCPU), "engine/raw")
	b.ReportMetric((per(syncCPU)-per(rawCPU))/per(rawCPU), "e2e-overhead")
}
