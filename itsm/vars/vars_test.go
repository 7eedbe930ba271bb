package vars_test

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/template"
)

// fullInput is a case with every field set, a ticket and a note, with times
// outside UTC so the conversion shows.
func fullInput() vars.Input {
	cet := time.FixedZone("CET", 3600)
	return vars.Input{
		Case: &itsm.Case{
			ID:          "CASE-1042",
			Title:       `Brute force on "vpn-gw-01"`,
			Description: "line 1\nline 2",
			Severity:    itsm.SeverityHigh,
			Status:      itsm.StatusInProgress,
			Tags:        []string{"vpn", "auth"},
			Assignee:    "alice@example.com",
			URL:         "https://siem.example.com/cases/1042",
			CreatedAt:   time.Date(2026, 11, 28, 4, 0, 0, 0, cet),
			UpdatedAt:   time.Date(2026, 11, 28, 4, 10, 30, 999, cet),
			Fields:      map[string]any{"hostname": "vpn-gw-01"},
		},
		Ticket: &itsm.Ticket{ID: "10042", Key: "SEC-42"},
		Note: &itsm.Note{ID: "note-7", Text: "Blocked.", Author: "bob",
			CreatedAt: time.Date(2026, 11, 28, 4, 5, 0, 0, cet)},
		Priority:       "High",
		ITSMStatus:     "In Progress",
		CorrelationKey: itsm.CorrelationKey("int-1", "CASE-1042"),
	}
}

func TestVariablesFullCase(t *testing.T) {
	t.Parallel()
	in := fullInput()
	v := vars.Values(in)

	want := map[string]string{
		vars.CaseID:         "CASE-1042",
		vars.CaseName:       `Brute force on "vpn-gw-01"`,
		vars.Description:    "line 1\nline 2",
		vars.Severity:       "high",
		vars.Status:         "in_progress",
		vars.Tags:           "vpn, auth",
		vars.Assignee:       "alice@example.com",
		vars.CaseURL:        "https://siem.example.com/cases/1042",
		vars.CreatedAt:      "2026-11-28T03:00:00Z",
		vars.UpdatedAt:      "2026-11-28T03:10:30Z", // RFC 3339 without fractions
		vars.Priority:       "High",
		vars.ITSMStatus:     "In Progress",
		vars.CorrelationKey: in.CorrelationKey,
		vars.TicketID:       "10042",
		vars.TicketKey:      "SEC-42",
		vars.NoteID:         "note-7",
		vars.NoteText:       "Blocked.",
		vars.NoteAuthor:     "bob",
		vars.NoteCreatedAt:  "2026-11-28T03:05:00Z",
		vars.NoteMarker:     itsm.NoteMarker(in.CorrelationKey, "note-7"),
		"fields.hostname":   "vpn-gw-01",
	}
	// Every documented variable is present: the tables and the function
	// agree.
	var documented []vars.Info
	documented = append(documented, vars.ForCase...)
	documented = append(documented, vars.ForTicket...)
	documented = append(documented, vars.ForNote...)
	for _, info := range documented {
		t.Run(info.Name, func(t *testing.T) {
			assert.NotEmpty(t, info.Description)
			assert.NotEmpty(t, info.Example)
			got, ok := v[info.Name]
			require.True(t, ok, "variable %q missing", info.Name)
			w, ok := want[info.Name]
			require.True(t, ok, "test table lacks %q", info.Name)
			assert.Equal(t, w, got.Text())
		})
	}
	assert.Len(t, v, len(want), "no undocumented variables besides fields.*")
	assert.Equal(t, template.KindStrings, v[vars.Tags].Kind())
	assert.Equal(t, []string{"vpn", "auth"}, v[vars.Tags].List())
	for _, name := range []string{vars.CreatedAt, vars.UpdatedAt, vars.NoteCreatedAt} {
		_, err := time.Parse(time.RFC3339, v[name].Text())
		assert.NoError(t, err, name)
	}
}

func TestVariablesDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    vars.Input
		check func(t *testing.T, v template.Values)
	}{
		{"nil tags are an empty list", vars.Input{Case: &itsm.Case{ID: "C", Title: "t"}}, func(t *testing.T, v template.Values) {
			assert.Equal(t, template.KindStrings, v[vars.Tags].Kind())
			assert.NotNil(t, v[vars.Tags].List())
			assert.Empty(t, v[vars.Tags].List())
		}},
		{"zero times are empty", vars.Input{Case: &itsm.Case{ID: "C", Title: "t"}, Note: &itsm.Note{ID: "n"}}, func(t *testing.T, v template.Values) {
			assert.Equal(t, "", v[vars.CreatedAt].Text())
			assert.Equal(t, "", v[vars.UpdatedAt].Text())
			assert.Equal(t, "", v[vars.NoteCreatedAt].Text())
		}},
		{"ticket key falls back to the id", vars.Input{Ticket: &itsm.Ticket{ID: "77"}}, func(t *testing.T, v template.Values) {
			assert.Equal(t, "77", v[vars.TicketKey].Text())
		}},
		{"no ticket, no note: their variables are absent", vars.Input{Case: &itsm.Case{ID: "C"}}, func(t *testing.T, v template.Values) {
			for _, name := range []string{vars.TicketID, vars.TicketKey, vars.NoteID, vars.NoteText} {
				_, ok := v[name]
				assert.False(t, ok, name)
			}
		}},
		{"no case: mapped values still set", vars.Input{Priority: "P1", ITSMStatus: "Open", CorrelationKey: "k"}, func(t *testing.T, v template.Values) {
			assert.Equal(t, "P1", v[vars.Priority].Text())
			assert.Equal(t, "Open", v[vars.ITSMStatus].Text())
			assert.Equal(t, "k", v[vars.CorrelationKey].Text())
			_, ok := v[vars.CaseID]
			assert.False(t, ok)
		}},
		{"extra added and wins", vars.Input{
			Case:  &itsm.Case{ID: "C", Title: "t"},
			Extra: template.Values{"description_adf": template.Raw(`{"type":"doc"}`), vars.CaseName: template.String("override")},
		}, func(t *testing.T, v template.Values) {
			assert.Equal(t, template.KindRaw, v["description_adf"].Kind())
			assert.Equal(t, "override", v[vars.CaseName].Text())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, vars.Values(tt.in))
		})
	}
}

type point struct{ X, Y int }

func TestVariablesCustomFieldKinds(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", -7200))
	tests := []struct {
		name     string
		value    any
		kind     template.Kind
		text     string
		jsonText string // rendered as a whole JSON value
	}{
		{"nil", nil, template.KindNull, "", `null`},
		{"string", `say "hi"`, template.KindString, `say "hi"`, `"say \"hi\""`},
		{"strings", []string{"a", "b"}, template.KindStrings, "a, b", `["a","b"]`},
		{"bool", true, template.KindBool, "true", `true`},
		{"int", -3, template.KindNumber, "-3", `-3`},
		{"int8", int8(-8), template.KindNumber, "-8", `-8`},
		{"int16", int16(16), template.KindNumber, "16", `16`},
		{"int32", int32(32), template.KindNumber, "32", `32`},
		{"int64", int64(math.MaxInt64), template.KindNumber, "9223372036854775807", `9223372036854775807`},
		{"uint8", uint8(200), template.KindNumber, "200", `200`},
		{"uint16", uint16(65535), template.KindNumber, "65535", `65535`},
		{"uint32", uint32(math.MaxUint32), template.KindNumber, "4294967295", `4294967295`},
		{"uint", uint(7), template.KindRaw, "7", `7`},
		{"uint64 max", uint64(math.MaxUint64), template.KindRaw, "18446744073709551615", `18446744073709551615`},
		{"float32", float32(0.5), template.KindNumber, "0.5", `0.5`},
		{"float64", 1e6, template.KindNumber, "1000000", `1000000`},
		{"float64 NaN", math.NaN(), template.KindNumber, "NaN", `null`},
		{"json.Number int", json.Number("42"), template.KindRaw, "42", `42`},
		{"json.Number float", json.Number("-1.5e3"), template.KindRaw, "-1.5e3", `-1.5e3`},
		{"json.Number NaN is a string", json.Number("NaN"), template.KindString, "NaN", `"NaN"`},
		{"json.Number Inf is a string", json.Number("+Inf"), template.KindString, "+Inf", `"+Inf"`},
		{"json.Number hex is a string", json.Number("0x1p-2"), template.KindString, "0x1p-2", `"0x1p-2"`},
		{"json.Number leading zero is a string", json.Number("007"), template.KindString, "007", `"007"`},
		{"json.Number empty is a string", json.Number(""), template.KindString, "", `""`},
		{"json.Number injection is a string", json.Number(`1,"x":2`), template.KindString, `1,"x":2`, `"1,\"x\":2"`},
		{"time", when, template.KindString, "2026-01-02T05:04:05Z", `"2026-01-02T05:04:05Z"`},
		{"any list", []any{"a", 1, true}, template.KindStrings, "a, 1, true", `["a","1","true"]`},
		{"other type via %v", point{1, 2}, template.KindString, "{1 2}", `"{1 2}"`},
	}
	tpl, err := template.Parse(`{"v": $fields.v}`, template.Options{Name: "field", Syntax: template.JSON,
		Known: vars.Known(vars.ScopeCase)})
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := vars.Values(vars.Input{Case: &itsm.Case{ID: "C", Title: "t", Fields: map[string]any{"v": tt.value}}})
			got, ok := v["fields.v"]
			require.True(t, ok)
			assert.Equal(t, tt.kind, got.Kind())
			assert.Equal(t, tt.text, got.Text())
			out, err := tpl.Render(v)
			require.NoError(t, err)
			require.True(t, json.Valid(out), "%s", out)
			assert.JSONEq(t, `{"v": `+tt.jsonText+`}`, string(out))
		})
	}
}

func TestVariablesRenderThroughTemplates(t *testing.T) {
	t.Parallel()
	v := vars.Values(fullInput())
	tests := []struct {
		name    string
		src     string
		syntax  template.Syntax
		scope   vars.Scope
		extra   []string
		want    string
		wantErr error
	}{
		{"create payload", `{"summary": "[SIEM] $case_name", "labels": $tags, "key": "$correlation_key", "host": "$fields.hostname", "created": "$created_at"}`,
			template.JSON, vars.ScopeCase, nil,
			`{"summary": "[SIEM] Brute force on \"vpn-gw-01\"", "labels": ["vpn","auth"], "key": "` + v[vars.CorrelationKey].Text() + `", "host": "vpn-gw-01", "created": "2026-11-28T03:00:00Z"}`, nil},
		{"case scope rejects ticket id", `{"id": "$ticket_id"}`, template.JSON, vars.ScopeCase, nil, "", template.ErrUnknownVariable},
		{"case scope rejects note text", `$note_text`, template.Text, vars.ScopeCase, nil, "", template.ErrUnknownVariable},
		{"ticket scope accepts ticket id", "https://itsm.example.com/issue/$ticket_id", template.URL, vars.ScopeTicket, nil,
			"https://itsm.example.com/issue/10042", nil},
		{"ticket scope rejects note text", `{"body": "$note_text"}`, template.JSON, vars.ScopeTicket, nil, "", template.ErrUnknownVariable},
		{"note scope accepts note text", `{"body": "$note_text by $note_author on $ticket_key"}`, template.JSON, vars.ScopeNote, nil,
			`{"body": "Blocked. by bob on SEC-42"}`, nil},
		{"misspelled variable", `{"t": "$case_nmae"}`, template.JSON, vars.ScopeNote, nil, "", template.ErrUnknownVariable},
		{"extra variable allowed", `{"d": $description_adf}`, template.JSON, vars.ScopeCase, []string{"description_adf"}, "", template.ErrMissingValue},
		{"extra variable unknown without extra", `{"d": $description_adf}`, template.JSON, vars.ScopeCase, nil, "", template.ErrUnknownVariable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tpl, err := template.Parse(tt.src, template.Options{Name: tt.name, Syntax: tt.syntax,
				Known: vars.Known(tt.scope, tt.extra...)})
			if err == nil {
				var out []byte
				out, err = tpl.Render(v)
				if err == nil {
					require.NoError(t, tt.wantErr)
					if tt.syntax == template.JSON {
						assert.JSONEq(t, tt.want, string(out))
					} else {
						assert.Equal(t, tt.want, string(out))
					}
					return
				}
			}
			require.ErrorIs(t, err, tt.wantErr)
			var te *template.Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.name, te.Template)
		})
	}
}

func TestKnownVariables(t *testing.T) {
	t.Parallel()
	names := func(infos ...[]vars.Info) []string {
		var out []string
		for _, list := range infos {
			for _, i := range list {
				out = append(out, i.Name)
			}
		}
		return out
	}
	caseNames := names(vars.ForCase)
	tests := []struct {
		scope vars.Scope
		extra []string
		want  []string
	}{
		{vars.ScopeCase, nil, append(caseNames, "fields.")},
		{vars.ScopeTicket, nil, append(names(vars.ForCase, vars.ForTicket), "fields.")},
		{vars.ScopeNote, nil, append(names(vars.ForCase, vars.ForTicket, vars.ForNote), "fields.")},
		{vars.ScopeCase, []string{"description_adf"}, append(append([]string{}, caseNames...), "fields.", "description_adf")},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.scope, tt.extra), func(t *testing.T) {
			got := vars.Known(tt.scope, tt.extra...)
			assert.Equal(t, tt.want, got)
		})
	}
	// Results are independent slices: appending to one does not change the
	// next.
	a := vars.Known(vars.ScopeCase)
	_ = append(a, "x")
	assert.NotContains(t, vars.Known(vars.ScopeCase), "x")
}

var correlationKeyRE = regexp.MustCompile(`^itsmsync-[0-9a-f]{16}$`)

func TestCorrelationKey(t *testing.T) {
	t.Parallel()
	// Stable: a fixed value pins the derivation, since tickets in the wild
	// carry it.
	k := itsm.CorrelationKey("int-1", "CASE-1042")
	assert.Equal(t, k, itsm.CorrelationKey("int-1", "CASE-1042"))
	assert.Regexp(t, correlationKeyRE, k)

	inputs := [][2]string{
		{"int-1", "CASE-1042"},
		{"int-2", "CASE-1042"},
		{"int-1", "CASE-1043"},
		{"", ""},
		{"", "x"},
		{"x", ""},
		{"int-1CASE", "-1042"}, // concatenation of another pair
		{"int-1", "case-1042"},
		{"ïñt", "ÇASE \"1\"\n"},
	}
	seen := map[string][2]string{}
	for _, in := range inputs {
		key := itsm.CorrelationKey(in[0], in[1])
		assert.Regexp(t, correlationKeyRE, key, "charset [a-z0-9-] for %q", in)
		prev, dup := seen[key]
		assert.False(t, dup, "%q and %q share key %s", in, prev, key)
		seen[key] = in
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Len(t, keys, len(inputs))
}

func FuzzCorrelationKey(f *testing.F) {
	f.Add("int-1", "CASE-1042")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, integrationID, caseID string) {
		k := itsm.CorrelationKey(integrationID, caseID)
		if !correlationKeyRE.MatchString(k) {
			t.Fatalf("key %q outside [a-z0-9-]", k)
		}
	})
}

func BenchmarkVariables(b *testing.B) {
	in := fullInput()
	b.ReportAllocs()
	for b.Loop() {
		_ = vars.Values(in)
	}
}

// Variables turns a case into template variables; a JSON template parsed
// with KnownVariables renders them escaped for where each lands.
func ExampleValues() {
	c := itsm.Case{
		ID:        "CASE-7",
		Title:     `Login "burst" from 10.0.0.7`,
		Severity:  itsm.SeverityHigh,
		Tags:      []string{"vpn", "auth"},
		CreatedAt: time.Date(2026, 11, 28, 4, 0, 0, 0, time.FixedZone("CET", 3600)),
		Fields:    map[string]any{"hits": 42},
	}
	vals := vars.Values(vars.Input{Case: &c, Priority: "High",
		CorrelationKey: itsm.CorrelationKey("int-1", c.ID)})
	fmt.Println(vals[vars.CreatedAt].Text())

	tpl, err := template.Parse(
		`{"summary": "[SIEM] $case_name", "priority": "$priority", "labels": $tags, "hits": $fields.hits}`,
		template.Options{Name: "create_payload", Syntax: template.JSON, Known: vars.Known(vars.ScopeCase)})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := tpl.Render(vals)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))

	_, err = template.Parse(`{"id": "$ticket_id"}`,
		template.Options{Name: "create_payload", Syntax: template.JSON, Known: vars.Known(vars.ScopeCase)})
	fmt.Println(err != nil)
	// Output:
	// 2026-11-28T03:00:00Z
	// {"summary": "[SIEM] Login \"burst\" from 10.0.0.7", "priority": "High", "labels": ["vpn","auth"], "hits": 42}
	// true
}
