package statusmap

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// doneForBoth sends resolved and closed as "Done", which comes back as closed.
func doneForBoth() Map {
	m := sample()
	m.Outbound = []Entry{{ITSM: "Done", Case: "resolved"}, {ITSM: "Done", Case: "closed"}, {ITSM: "To Do", Case: "on_hold"}}
	return m
}

func TestOutboundToITSM(t *testing.T) {
	t.Parallel()
	m := doneForBoth()
	c, err := m.Compile()
	require.NoError(t, err)
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"resolved", "Done", true}, // outbound only: no entry has resolved
		{"closed", "Done", true},   // outbound, same label as resolved
		{"On-Hold", "To Do", true}, // normalized case value
		{"open", "Open", true},     // no outbound row: the preferred entry
		{"in_progress", "In Progress", true},
		{"new", "", false},
		{" ", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := m.ToITSM(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
			got, ok = c.ToITSM(tt.in)
			assert.Equal(t, tt.ok, ok, "compiled")
			assert.Equal(t, tt.want, got, "compiled")
		})
	}
	// The way in is unchanged: "Done" is one case value.
	r, err := c.ToCase("done", "")
	require.NoError(t, err)
	assert.Equal(t, Result{Value: "closed", By: Exact}, r)
	// Compile copies the rows.
	m2 := doneForBoth()
	c, err = m2.Compile()
	require.NoError(t, err)
	m2.Outbound[0].ITSM = "changed"
	got, _ := c.ToITSM("resolved")
	assert.Equal(t, "Done", got)
	assert.Equal(t, "Done", c.Map().Outbound[0].ITSM)
}

func TestOutboundOnlyMap(t *testing.T) {
	t.Parallel()
	// No entries: nothing comes back, and unknown labels cannot be checked.
	m := Map{Outbound: []Entry{{ITSM: "Done", Case: "resolved"}, {ITSM: "Done", Case: "closed"}}, Unmapped: Fail}
	c, err := m.Compile()
	require.NoError(t, err)
	got, ok := c.ToITSM("closed")
	assert.True(t, ok)
	assert.Equal(t, "Done", got)
	_, ok = c.ToITSM("open")
	assert.False(t, ok)
}

func TestOutboundValidate(t *testing.T) {
	t.Parallel()
	withOut := func(base Map, rows ...Entry) Map { base.Outbound = rows; return base }
	entries := []Entry{{ITSM: "Open", Case: "open"}, {ITSM: "Done", Case: "closed"}}
	tests := []struct {
		name   string
		m      Map
		fields []string
		msg    []string // parts of the messages, in order
	}{
		{name: "many case values to one label", m: doneForBoth()},
		{
			name:   "empty rows",
			m:      withOut(Map{}, Entry{ITSM: "", Case: "closed"}, Entry{ITSM: "Done", Case: " _ "}),
			fields: []string{"outbound[0].itsm", "outbound[1].case"},
			msg:    []string{"empty label", "empty case value"},
		},
		{
			name:   "two labels for one case value",
			m:      withOut(Map{}, Entry{ITSM: "Done", Case: "closed"}, Entry{ITSM: "Closed", Case: "CLOSED"}),
			fields: []string{"outbound[1].case"},
			msg:    []string{`case value "CLOSED" would be sent as "Closed" here and as "Done" by outbound[0]: a case value can have only one outbound label`},
		},
		{
			name:   "same row twice",
			m:      withOut(Map{}, Entry{ITSM: "Done", Case: "closed"}, Entry{ITSM: "done", Case: "closed"}),
			fields: []string{"outbound[1].case"},
			msg:    []string{`duplicate row for case value "closed" (same as outbound[0])`},
		},
		{
			name:   "preferred",
			m:      withOut(Map{}, Entry{ITSM: "Done", Case: "closed", Preferred: true}),
			fields: []string{"outbound[0].preferred"},
			msg:    []string{"preferred has no meaning in outbound rows"},
		},
		{
			name:   "unknown label with policy error",
			m:      withOut(Map{Entries: entries, Unmapped: Fail}, Entry{ITSM: "Resolved", Case: "resolved"}),
			fields: []string{"outbound[0].itsm"},
			msg:    []string{`label "Resolved" is sent for case value "resolved" but no entry maps it back: with policy "error" every update the ITSM reports in that status is refused; add an entry {"itsm": "Resolved", "case": ...}`},
		},
		{
			name:   "unknown label with policy default",
			m:      withOut(Map{Entries: entries, Unmapped: UseDefault, Default: "open"}, Entry{ITSM: "Resolved", Case: "resolved"}),
			fields: []string{"outbound[0].itsm"},
			msg:    []string{`with policy "default" the ITSM reporting it would move the case to "open"`},
		},
		{
			name: "unknown label whose default is its own case value",
			m:    withOut(Map{Entries: entries, Unmapped: UseDefault, Default: "Resolved"}, Entry{ITSM: "Resolved", Case: "resolved"}),
		},
		{
			name: "unknown label with policy ignore",
			m:    withOut(Map{Entries: entries, Unmapped: Ignore}, Entry{ITSM: "Resolved", Case: "resolved"}),
		},
		{
			name: "unknown label that a category may map",
			m:    withOut(Map{Entries: entries, Categories: []Entry{{ITSM: "done", Case: "closed"}}, Unmapped: Fail}, Entry{ITSM: "Resolved", Case: "resolved"}),
		},
		{
			name: "label known after normalization",
			m:    withOut(Map{Entries: entries, Unmapped: Fail}, Entry{ITSM: " DONE ", Case: "resolved"}),
		},
		{
			name: "everything at once, with the entries' own errors first",
			m: withOut(Map{Entries: []Entry{{ITSM: "Done", Case: "closed"}, {ITSM: "done", Case: "open"}}, Unmapped: Fail},
				Entry{ITSM: "Gone", Case: "closed"}, Entry{ITSM: "Done", Case: "closed"}, Entry{Case: "x", Preferred: true}),
			fields: []string{"entries[1].itsm", "outbound[0].itsm", "outbound[1].case", "outbound[2].itsm", "outbound[2].preferred"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.m.Validate()
			_, cerr := tt.m.Compile()
			if len(tt.fields) == 0 {
				assert.NoError(t, err)
				assert.NoError(t, cerr)
				return
			}
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			require.ErrorIs(t, cerr, itsm.ErrInvalidConfig)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			var got []string
			for i, fe := range ve.Errors {
				got = append(got, fe.Field)
				if i < len(tt.msg) {
					assert.Contains(t, fe.Message, tt.msg[i])
				}
			}
			assert.Equal(t, tt.fields, got)
			assert.True(t, strings.HasPrefix(err.Error(), "statusmap: invalid status map: "), err.Error())
		})
	}
}

func TestOutboundJSON(t *testing.T) {
	t.Parallel()
	var m Map
	require.NoError(t, json.Unmarshal([]byte(`{"entries": [{"itsm": "Done", "case": "closed"}],
	  "outbound": [{"case": "resolved", "itsm": "Done"}, {"case": "closed", "itsm": "Done"}]}`), &m))
	require.NoError(t, m.Validate())
	got, _ := m.ToITSM("resolved")
	assert.Equal(t, "Done", got)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"entries": [{"itsm": "Done", "case": "closed"}],
	  "outbound": [{"itsm": "Done", "case": "resolved"}, {"itsm": "Done", "case": "closed"}]}`, string(b))
	b, err = json.Marshal(Map{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"entries": []}`, string(b), "no outbound key when there are no rows")
}
