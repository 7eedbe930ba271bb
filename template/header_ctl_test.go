package template

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeaderFieldValueRules: a header slot takes what RFC 9110 section 5.5
// allows in a field value — no control character but HTAB (so no
// \x00-\x08, \x0a-\x1f, \x7f) — in values, lists and the template's
// literal text alike; HTAB, obs-text and UTF-8 pass.
func TestHeaderFieldValueRules(t *testing.T) {
	t.Parallel()
	tpl, err := Parse("X-$v", Options{Syntax: Header})
	require.NoError(t, err)
	for c := 0; c < 0x80; c++ {
		bad := c < 0x20 && c != '\t' || c == 0x7f
		v := "a" + string(rune(c)) + "b"
		_, err := tpl.Render(Values{"v": String(v)})
		_, lerr := tpl.Render(Values{"v": Strings([]string{"ok", v})})
		_, perr := Parse("X-"+v+"-$v", Options{Syntax: Header})
		if bad {
			assert.ErrorIs(t, err, ErrUnsafeValue, "%#02x", c)
			assert.ErrorIs(t, lerr, ErrUnsafeValue, "%#02x in a list", c)
			assert.ErrorIs(t, perr, ErrSyntax, "%#02x in the literal", c)
			if err != nil {
				assert.NotContains(t, err.Error(), v, "the message never shows the value")
			}
			continue
		}
		assert.NoError(t, err, "%#02x", c)
		assert.NoError(t, lerr, "%#02x", c)
		assert.NoError(t, perr, "%#02x", c)
	}
	out, err := tpl.Render(Values{"v": String("tab\there é \xff")})
	require.NoError(t, err)
	assert.Equal(t, "X-tab\there é \xff", string(out))
	_ = fmt.Sprint()
}
