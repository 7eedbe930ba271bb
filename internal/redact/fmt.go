package redact

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
)

// Format writes v as f's verb and flags ask. v is a redacted copy of a
// value, converted to a type without fmt methods (so this does not recurse);
// under %#v that type's name is shown as name ("httpconn.Config"). It is
// the body of the Format methods of the types that hold secrets.
func Format(f fmt.State, verb rune, v any, name string) {
	s := fmt.Sprintf(fmt.FormatString(f, verb), v)
	if verb == 'v' && f.Flag('#') {
		s = strings.Replace(s, reflect.TypeOf(v).String(), name, 1)
	}
	_, _ = io.WriteString(f, s)
}

// Label is how a value that holds credentials (a connector) names itself
// under every fmt verb and as a slog value: its type and its configuration's
// id and name, nothing else.
type Label struct {
	Type, ID, Name string
	// Empty marks a value without a configuration (a zero value).
	Empty bool
}

// String is "<Type>(<ID> "<Name>")", or "<Type>()" when Empty.
func (l Label) String() string {
	if l.Empty {
		return l.Type + "()"
	}
	return fmt.Sprintf("%s(%s %q)", l.Type, l.ID, l.Name)
}

// Format writes String under every verb, quoted for %q.
func (l Label) Format(f fmt.State, verb rune) {
	s := l.String()
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// LogValue is the group of id and name (empty when Empty).
func (l Label) LogValue() slog.Value {
	if l.Empty {
		return slog.GroupValue()
	}
	return slog.GroupValue(slog.String("id", l.ID), slog.String("name", l.Name))
}
