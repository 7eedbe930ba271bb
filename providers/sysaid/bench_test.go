package sysaid_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/itsmsync/itsmsync/providers/sysaid"
)

func BenchmarkParserSample(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "sr_created_sample.json"))
	if err != nil {
		b.Fatal(err)
	}
	p := sysaid.Parser{}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := p.Parse(nil, body); err != nil {
			b.Fatal(err)
		}
	}
}
