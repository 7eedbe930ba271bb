package template

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// BenchmarkJSONEscape compares the string escaper with gjson's on a 2 KB
// description with quotes, newlines and non-ASCII text.
func BenchmarkJSONEscape(b *testing.B) {
	para := "Alert \"Suspicious login\" fired for user jürgen@example.com from 203.0.113.7 (Zürich, CH).\n" +
		"\tRule: brute_force > 20 failures in 5m; path C:\\Users\\jürgen\\AppData — see «details» ✓\n"
	desc := strings.Repeat(para, 2048/len(para)+1)[:2048]
	buf := make([]byte, 0, 4096)
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(desc)))
		for b.Loop() {
			buf = appendJSONEscaped(buf[:0], desc)
		}
	})
	b.Run("gjson", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(desc)))
		for b.Loop() {
			buf = gjson.AppendJSONString(buf[:0], desc)
		}
	})
}
