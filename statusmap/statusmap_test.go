package statusmap

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"In Progress", "in progress"},
		{"  IN   PROGRESS ", "in progress"},
		{"in-progress", "in progress"},
		{"in_progress", "in progress"},
		{"in -_ progress", "in progress"},
		{"-done-", "done"},
		{"\tTo\u00a0Do\n", "to do"},
		{"ÉTÉ", "été"},
		{"\u212a", "k"}, // Kelvin sign folds like K
		{"straße", "straße"},
		{"\xff", "\ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, Normalize(tt.in))
		})
	}
}

func TestEqualNormMatchesNormalize(t *testing.T) {
	pairs := [][2]string{
		{"In Progress", "in_progress"}, {"Done", "done "}, {"Done", "Don"},
		{"a b", "ab"}, {"K", "\u212a"}, {"", " - "}, {"x", ""}, {"ΣΑΣ", "σας"},
	}
	for _, p := range pairs {
		assert.Equal(t, Normalize(p[0]) == Normalize(p[1]), equalNorm(p[0], p[1]), "%q vs %q", p[0], p[1])
	}
}

func sample() Map {
	return Map{
		Entries: []Entry{
			{ITSM: "Open", Case: "open", Preferred: true},
			{ITSM: "To Do", Case: "open"},
			{ITSM: "In Progress", Case: "in_progress"},
			{ITSM: "Resolved", Case: "closed"},
			{ITSM: "Done", Case: "closed", Preferred: true},
			{ITSM: "Closed", Case: "closed"},
		},
		Categories: []Entry{
			{ITSM: "new", Case: "open"},
			{ITSM: "indeterminate", Case: "in_progress"},
			{ITSM: "done", Case: "closed"},
		},
	}
}

func TestToCase(t *testing.T) {
	tests := []struct {
		name            string
		policy          Policy
		def             string
		label, category string
		want            Result
		wantErr         error
	}{
		{name: "exact", label: "Done", want: Result{Value: "closed", By: Exact}},
		{name: "case and space", label: "  in   PROGRESS ", want: Result{Value: "in_progress", By: Exact}},
		{name: "separators", label: "to-do", want: Result{Value: "open", By: Exact}},
		{name: "exact wins over category", label: "Resolved", category: "new", want: Result{Value: "closed", By: Exact}},
		{name: "category", label: "Awaiting QA", category: "indeterminate", want: Result{Value: "in_progress", By: Category}},
		{name: "category normalized", label: "Shipped", category: " DONE", want: Result{Value: "closed", By: Category}},
		{name: "ignore zero policy", label: "Weird", want: Result{Ignored: true}},
		{name: "ignore explicit", policy: Ignore, label: "Weird", category: "unknown", want: Result{Ignored: true}},
		{name: "default", policy: UseDefault, def: "open", label: "Weird", want: Result{Value: "open", By: Default}},
		{name: "default empty fails", policy: UseDefault, label: "Weird", wantErr: ErrUnmapped},
		{name: "fail", policy: Fail, label: "Weird", category: "x", wantErr: ErrUnmapped},
		{name: "unknown policy fails", policy: "bogus", label: "Weird", wantErr: ErrUnmapped},
		{name: "empty label", policy: Fail, label: "", wantErr: ErrUnmapped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sample()
			m.Unmapped, m.Default = tt.policy, tt.def
			got, err := m.ToCase(tt.label, tt.category)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				var ue *UnmappedError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, tt.label, ue.Label)
				assert.Equal(t, tt.category, ue.Category)
				assert.True(t, strings.HasPrefix(err.Error(), "statusmap: "), err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			// The compiled index gives the same answer (when the map is valid).
			if m.Validate() == nil {
				c, err := m.Compile()
				require.NoError(t, err)
				got2, err := c.ToCase(tt.label, tt.category)
				require.NoError(t, err)
				assert.Equal(t, tt.want, got2)
			}
		})
	}
}

func TestToITSM(t *testing.T) {
	m := sample()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"closed", "Done", true},             // preferred, though not first
		{"open", "Open", true},               // preferred and first
		{"in_progress", "In Progress", true}, // only entry
		{"IN PROGRESS", "In Progress", true},
		{"on_hold", "", false},
		{"", "", false},
	}
	c, err := m.Compile()
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := m.ToITSM(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
			got, ok = c.ToITSM(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("first entry without preferred", func(t *testing.T) {
		m := Map{Entries: []Entry{{ITSM: "Resolved", Case: "closed"}, {ITSM: "Closed", Case: "closed"}}}
		got, ok := m.ToITSM("closed")
		assert.True(t, ok)
		assert.Equal(t, "Resolved", got)
		c, err := m.Compile()
		require.NoError(t, err)
		got, _ = c.ToITSM("closed")
		assert.Equal(t, "Resolved", got)
	})
}

func TestNilMap(t *testing.T) {
	var m *Map
	r, err := m.ToCase("x", "y")
	require.NoError(t, err)
	assert.True(t, r.Ignored)
	_, ok := m.ToITSM("open")
	assert.False(t, ok)
	assert.NoError(t, m.Validate())
	c, err := m.Compile()
	require.NoError(t, err)
	r, err = c.ToCase("x", "")
	require.NoError(t, err)
	assert.True(t, r.Ignored)

	var nc *Compiled
	r, err = nc.ToCase("x", "")
	require.NoError(t, err)
	assert.True(t, r.Ignored)
	_, ok = nc.ToITSM("open")
	assert.False(t, ok)
	assert.Equal(t, Map{}, nc.Map())
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		m      Map
		fields []string
	}{
		{name: "zero value is valid", m: Map{}},
		{name: "sample is valid", m: sample()},
		{
			name:   "empty label and case",
			m:      Map{Entries: []Entry{{ITSM: " ", Case: "open"}, {ITSM: "Open", Case: ""}}},
			fields: []string{"entries[0].itsm", "entries[1].case"},
		},
		{
			name:   "duplicate after normalization",
			m:      Map{Entries: []Entry{{ITSM: "In Progress", Case: "in_progress"}, {ITSM: "in-progress", Case: "open"}}},
			fields: []string{"entries[1].itsm"},
		},
		{
			name:   "two preferred for one value",
			m:      Map{Entries: []Entry{{ITSM: "Done", Case: "closed", Preferred: true}, {ITSM: "Closed", Case: "Closed", Preferred: true}}},
			fields: []string{"entries[1].preferred"},
		},
		{
			name:   "duplicate category and empty category",
			m:      Map{Categories: []Entry{{ITSM: "done", Case: "closed"}, {ITSM: "DONE", Case: "resolved"}, {ITSM: "", Case: ""}}},
			fields: []string{"categories[1].itsm", "categories[2].itsm", "categories[2].case"},
		},
		{
			name:   "default policy without default",
			m:      Map{Unmapped: UseDefault},
			fields: []string{"default"},
		},
		{
			name:   "unknown policy",
			m:      Map{Unmapped: "drop"},
			fields: []string{"unmapped"},
		},
		{
			name: "everything at once",
			m: Map{
				Entries:  []Entry{{ITSM: "", Case: ""}, {ITSM: "a", Case: "x", Preferred: true}, {ITSM: "A", Case: "x", Preferred: true}},
				Unmapped: "nope",
			},
			fields: []string{"entries[0].itsm", "entries[0].case", "entries[2].itsm", "entries[2].preferred", "unmapped"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
			var cve *itsm.ValidationError
			require.ErrorAs(t, cerr, &cve)
			assert.Equal(t, ve.Errors, cve.Errors)
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Field)
				assert.NotEmpty(t, fe.Message)
			}
			assert.Equal(t, tt.fields, got)
			assert.True(t, strings.HasPrefix(err.Error(), "statusmap: invalid status map: "), err.Error())
		})
	}
}

func TestPresets(t *testing.T) {
	presets := map[string]func() Map{
		"JiraStatuses": JiraStatuses, "JiraPriorities": JiraPriorities,
		"ServiceNowStates": ServiceNowStates, "ServiceNowPriorities": ServiceNowPriorities,
		"SysAidStatuses": SysAidStatuses, "SysAidPriorities": SysAidPriorities,
	}
	statuses := []string{"open", "in_progress", "on_hold", "resolved", "closed"}
	severities := []string{"low", "medium", "high", "critical"}
	for name, f := range presets {
		t.Run(name, func(t *testing.T) {
			m := f()
			require.NoError(t, m.Validate())
			allowed := statuses
			if strings.Contains(name, "Priorit") {
				allowed = severities
			}
			for _, e := range append(append([]Entry(nil), m.Entries...), m.Categories...) {
				assert.Contains(t, allowed, e.Case, "entry %q", e.ITSM)
			}
			// Every ITSM label round-trips: label -> case -> preferred label -> same case.
			for _, e := range m.Entries {
				r, err := m.ToCase(e.ITSM, "")
				require.NoError(t, err)
				back, ok := m.ToITSM(r.Value)
				require.True(t, ok)
				r2, err := m.ToCase(back, "")
				require.NoError(t, err)
				assert.Equal(t, r.Value, r2.Value)
			}
			// A fresh copy each call.
			m.Entries[0].Case = "changed"
			assert.NotEqual(t, "changed", f().Entries[0].Case)
		})
	}

	t.Run("jira table from the issue", func(t *testing.T) {
		s, p := JiraStatuses(), JiraPriorities()
		for label, want := range map[string]string{"Done": "closed", "Resolved": "closed", "Closed": "closed", "To Do": "open", "In Progress": "in_progress"} {
			r, err := s.ToCase(label, "")
			require.NoError(t, err)
			assert.Equal(t, want, r.Value, label)
		}
		r, err := s.ToCase("Code Review", "indeterminate")
		require.NoError(t, err)
		assert.Equal(t, Result{Value: "in_progress", By: Category}, r)
		back, _ := s.ToITSM("closed")
		assert.Equal(t, "Done", back)
		for sev, want := range map[string]string{"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"} {
			got, ok := p.ToITSM(sev)
			assert.True(t, ok)
			assert.Equal(t, want, got)
		}
		r, _ = p.ToCase("Highest", "")
		assert.Equal(t, "critical", r.Value)
		r, _ = p.ToCase("lowest", "")
		assert.Equal(t, "low", r.Value)
	})
	t.Run("servicenow codes", func(t *testing.T) {
		m := ServiceNowStates()
		for code, want := range map[string]string{"1": "open", "2": "in_progress", "3": "on_hold", "6": "resolved", "7": "closed", "8": "closed"} {
			r, err := m.ToCase(code, "")
			require.NoError(t, err)
			assert.Equal(t, want, r.Value, code)
		}
		back, _ := m.ToITSM("closed")
		assert.Equal(t, "7", back)
	})
	t.Run("sysaid ids", func(t *testing.T) {
		m := SysAidStatuses()
		r, _ := m.ToCase("3", "")
		assert.Equal(t, "closed", r.Value)
		r, _ = m.ToCase("7", "")
		assert.True(t, r.Ignored, "deleted is not mapped")
		sp := SysAidPriorities()
		back, _ := sp.ToITSM("critical")
		assert.Equal(t, "1", back)
	})
}

func TestJSONRoundTrip(t *testing.T) {
	in := `{"entries":[{"itsm":"OPEN","case":"open","preferred":true},{"itsm":"Resolved","case":"closed"}],"default":"open","unmapped":"default"}`
	var m Map
	require.NoError(t, json.Unmarshal([]byte(in), &m))
	require.NoError(t, m.Validate())
	r, err := m.ToCase("anything", "")
	require.NoError(t, err)
	assert.Equal(t, Result{Value: "open", By: Default}, r)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))

	// The zero value serializes to an empty table.
	out, err = json.Marshal(Map{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"entries":[]}`, string(out))
}

func TestConcurrentUse(t *testing.T) {
	m := JiraStatuses()
	c, err := m.Compile()
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				r, err := m.ToCase("done", "")
				assert.NoError(t, err)
				assert.Equal(t, "closed", r.Value)
				r, err = c.ToCase("DONE", "")
				assert.NoError(t, err)
				assert.Equal(t, "closed", r.Value)
				_, _ = m.ToITSM("open")
				_, _ = c.ToITSM("open")
			}
		}()
	}
	wg.Wait()
}

func TestCompileCopies(t *testing.T) {
	m := sample()
	c, err := m.Compile()
	require.NoError(t, err)
	m.Entries[0].Case = "changed"
	r, err := c.ToCase("Open", "")
	require.NoError(t, err)
	assert.Equal(t, "open", r.Value)
	assert.Equal(t, "open", c.Map().Entries[0].Case)
}

func TestBlankLabelMatchesNothing(t *testing.T) {
	// An invalid map with a blank row does not turn blank labels into matches.
	m := Map{Entries: []Entry{{ITSM: " ", Case: "closed"}}, Categories: []Entry{{ITSM: "", Case: "open"}}}
	r, err := m.ToCase("  ", "")
	require.NoError(t, err)
	assert.True(t, r.Ignored)
}

func TestErrorsAreTyped(t *testing.T) {
	var err error = &UnmappedError{Label: "x", Policy: Fail}
	assert.True(t, errors.Is(err, ErrUnmapped))
	assert.False(t, errors.Is(err, itsm.ErrInvalidConfig))
	assert.Equal(t, `statusmap: no mapping for "x"`, err.Error())
	err = &UnmappedError{Label: "x", Category: "c", Policy: "odd"}
	assert.Equal(t, `statusmap: no mapping for "x" (category "c"): unknown policy "odd"`, err.Error())
}

func FuzzToCase(f *testing.F) {
	f.Add("Done", "done", "In Progress", "in_progress", "closed", "default", true)
	f.Add(" in-PROGRESS ", "", "in_progress", "x", "", "error", false)
	f.Add("\xff\xfe", "\u212a", "k", "K", "open", "bogus", true)
	f.Fuzz(func(t *testing.T, label, category, itsmLabel, caseValue, def, policy string, preferred bool) {
		m := Map{
			Entries:    []Entry{{ITSM: itsmLabel, Case: caseValue, Preferred: preferred}, {ITSM: label + "x", Case: def}},
			Categories: []Entry{{ITSM: category, Case: caseValue}},
			Default:    def,
			Unmapped:   Policy(policy),
		}
		verr := m.Validate()
		r, err := m.ToCase(label, category)
		if err != nil {
			if !errors.Is(err, ErrUnmapped) {
				t.Fatalf("untyped error %v", err)
			}
		} else if r.Ignored == (r.By != Unmatched) {
			t.Fatalf("inconsistent result %+v", r)
		}
		if equalNorm(label, itsmLabel) && Normalize(itsmLabel) != "" && (err != nil || r.By != Exact || r.Value != caseValue) {
			t.Fatalf("exact label %q not matched: %+v %v", label, r, err)
		}
		back, ok := m.ToITSM(caseValue)
		if ok && !equalNorm(back, itsmLabel) && !equalNorm(back, label+"x") {
			t.Fatalf("reverse %q not an entry label", back)
		}
		if verr == nil {
			c, cerr := m.Compile()
			if cerr != nil {
				t.Fatalf("valid map does not compile: %v", cerr)
			}
			r2, err2 := c.ToCase(label, category)
			if (err == nil) != (err2 == nil) || r != r2 {
				t.Fatalf("compiled differs: %+v %v vs %+v %v", r, err, r2, err2)
			}
			b2, ok2 := c.ToITSM(caseValue)
			if ok != ok2 || back != b2 {
				t.Fatalf("compiled reverse differs: %q %v vs %q %v", back, ok, b2, ok2)
			}
		} else if !errors.Is(verr, itsm.ErrInvalidConfig) {
			t.Fatalf("untyped validation error %v", verr)
		}
		if Normalize(Normalize(label)) != Normalize(label) {
			t.Fatalf("normalize not idempotent on %q", label)
		}
	})
}

func BenchmarkToCase(b *testing.B) {
	m := JiraStatuses()
	c, err := m.Compile()
	require.NoError(b, err)
	b.Run("Map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = m.ToCase("Resolved", "done")
		}
	})
	b.Run("Compiled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = c.ToCase("Resolved", "done")
		}
	})
}
