package jira_test

import (
	"strings"
	"testing"

	"github.com/itsmsync/itsmsync/providers/jira"
)

func BenchmarkDescriptionADF40k(b *testing.B) {
	d := strings.Repeat("{code}x{code} *alert* line\n", 40000/27+1)[:40000]
	b.ReportAllocs()
	for b.Loop() {
		jira.DescriptionADF(d, "https://x.example/1")
	}
}
func BenchmarkDescriptionWiki40k(b *testing.B) {
	d := strings.Repeat("{code}x{code} *alert* line\n", 40000/27+1)[:40000]
	b.ReportAllocs()
	for b.Loop() {
		jira.DescriptionWiki(d, "https://x.example/1")
	}
}
