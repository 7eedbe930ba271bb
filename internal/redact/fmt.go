package redact

import (
	"fmt"
	"io"
	"reflect"
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
