package callback_test

import (
	"runtime/metrics"
	"time"
)

// schedHist samples the Go runtime's histograms of goroutine scheduling
// latency (time spent runnable before running) and of GC stop-the-world
// pauses, so a benchmark can tell what a latency tail is made of.
type schedHist struct {
	samples []metrics.Sample
}

func newSchedHist() *schedHist {
	return &schedHist{samples: []metrics.Sample{
		{Name: "/sched/latencies:seconds"},
		{Name: "/sched/pauses/total/gc:seconds"},
	}}
}

// snapshot returns the current bucket counts of both histograms.
func (h *schedHist) snapshot() [2]*metrics.Float64Histogram {
	metrics.Read(h.samples)
	var out [2]*metrics.Float64Histogram
	for i, s := range h.samples {
		src := s.Value.Float64Histogram()
		out[i] = &metrics.Float64Histogram{Counts: append([]uint64(nil), src.Counts...), Buckets: src.Buckets}
	}
	return out
}

// histDelta accumulates after − before into acc (allocated on first use).
func histDelta(acc **metrics.Float64Histogram, before, after *metrics.Float64Histogram) {
	if *acc == nil {
		*acc = &metrics.Float64Histogram{Counts: make([]uint64, len(after.Counts)), Buckets: after.Buckets}
	}
	for i := range after.Counts {
		(*acc).Counts[i] += after.Counts[i] - before.Counts[i]
	}
}

// histQuantile returns the upper bound of the bucket holding quantile q, and
// the number of samples.
func histQuantile(h *metrics.Float64Histogram, q float64) (time.Duration, uint64) {
	if h == nil {
		return 0, 0
	}
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	if n == 0 {
		return 0, 0
	}
	want := uint64(float64(n) * q)
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen > want {
			return time.Duration(h.Buckets[i+1] * float64(time.Second)), n
		}
	}
	return time.Duration(h.Buckets[len(h.Buckets)-1] * float64(time.Second)), n
}
