package clip

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "abc", 3, "abc"},
		{"empty", "", 0, ""},
		{"ascii cut", "abcdef", 3, "abc..."},
		{"inside a 3-byte rune", "ab€cd", 3, "ab..."},
		{"after a 3-byte rune", "ab€cd", 5, "ab€..."},
		{"inside a 4-byte rune", "😀x", 2, "..."},
		{"zero", "abc", 0, "..."},
		{"negative", "abc", -4, "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, Bytes(tt.in, tt.n))
		})
	}
}

func FuzzBytes(f *testing.F) {
	f.Add("ab€cd", 3)
	f.Add("😀😀", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := Bytes(s, n)
		if len(s) <= n {
			if got != s {
				t.Fatalf("short input changed: %q -> %q", s, got)
			}
			return
		}
		body := got[:len(got)-len(Marker)]
		if len(body) > max(n, 0) || s[:len(body)] != body {
			t.Fatalf("Bytes(%q, %d) = %q", s, n, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("split a rune: %q", got)
		}
	})
}

func TestUTF16(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		n      int
		limit  int
		prefix string
	}{
		{"abc", 3, 2, "ab"},
		{"a😀b", 4, 2, "a"}, // the emoji is two units: it does not fit in one
		{"a😀b", 4, 3, "a😀"},
		{"é€", 2, 1, "é"},
		{"a\xffb", 3, 2, "a\xff"}, // an invalid byte is one unit
		{"", 0, 5, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.n, UTF16Len(tt.in), tt.in)
		assert.Equal(t, tt.prefix, UTF16Prefix(tt.in, tt.limit), tt.in)
	}
}
