package servicenow_test

import (
	"testing"

	"github.com/itsmsync/itsmsync/providers/servicenow"
)

func BenchmarkParser(b *testing.B) {
	body := []byte(`{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","table":"incident","operation":"update",
		"state":"6","previous_state":"2","sys_mod_count":"8","sys_updated_on":"2026-11-28 03:14:00","event_id":"c537bae64f411200adf9f8e18110c76e:8"}`)
	p := servicenow.Parser{Table: servicenow.DefaultTable}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := p.Parse(nil, body); err != nil {
			b.Fatal(err)
		}
	}
}
