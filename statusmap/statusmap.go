package statusmap

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/itsmsync/itsmsync/itsm"
)

// Policy says what ToCase does with a label that neither an entry nor a
// category maps. The zero value ("") means [Ignore].
type Policy string

// Unmapped-label policies.
const (
	// Ignore reports the label as ignored (Result.Ignored) with a nil error:
	// the caller changes nothing and should audit the event. It is the
	// zero-value policy.
	Ignore Policy = "ignore"
	// UseDefault maps the label to Map.Default.
	UseDefault Policy = "default"
	// Fail returns an *UnmappedError wrapping [ErrUnmapped].
	Fail Policy = "error"
)

// Valid reports whether p is a known policy ("" counts as Ignore).
func (p Policy) Valid() bool {
	switch p {
	case "", Ignore, UseDefault, Fail:
		return true
	}
	return false
}

// Entry is one row of the "Status Mapping" table: an ITSM label and the case
// value it maps to. Several entries may share one case value (Done, Resolved,
// Closed → closed); Preferred marks the entry whose ITSM label is used in the
// reverse direction (closed → Done). In Map.Categories, ITSM holds a category
// key (Jira statusCategory "new"/"indeterminate"/"done", a ServiceNow state
// code) and Preferred has no effect.
type Entry struct {
	ITSM      string `json:"itsm"`
	Case      string `json:"case"`
	Preferred bool   `json:"preferred,omitempty"`
}

// Map maps ITSM labels (statuses, or priorities) to case values and back. It
// is plain data: its JSON form is the "Status Mapping" table of the
// integration's config drawer, and the zero value is an empty map with the
// Ignore policy.
//
// Matching is case-insensitive (Unicode simple case folding, as
// strings.EqualFold) and whitespace-tolerant: leading and trailing spaces are
// dropped and inner runs of spaces, '-' and '_' count as one separator, so
// "In Progress", "in-progress", " IN_PROGRESS " and "in  progress" are the
// same label. Separators cannot create ambiguity at lookup time because
// Validate rejects two entries whose labels normalize alike.
//
// The methods of Map only read it and are safe for concurrent use as long as
// nobody modifies the Map at the same time. They scan the entries (tables are
// a few dozen rows at most) without allocating; for a precomputed index use
// [Map.Compile], whose result is immutable.
type Map struct {
	// Entries map ITSM labels to case values, many to one.
	Entries []Entry `json:"entries"`
	// Categories are the fallback when no entry matches: a category key
	// (Jira statusCategory key, ServiceNow state code) to a case value.
	Categories []Entry `json:"categories,omitempty"`
	// Default is the case value used for an unmapped label when Unmapped is
	// UseDefault.
	Default string `json:"default,omitempty"`
	// Unmapped is the policy for a label nothing maps; "" means Ignore.
	Unmapped Policy `json:"unmapped,omitempty"`
	// Outbound, when set, chooses the ITSM label sent for a case value,
	// before the entries do (see [Map.ToITSM]). Several case values may
	// share one label (resolved and closed → "Done") even though that label
	// maps back to one case value through Entries; each case value has at
	// most one row. A case value without a row is sent as the entries say.
	// Preferred has no meaning here. Nil or empty leaves the entries alone.
	Outbound []Entry `json:"outbound,omitempty"`
}

// MatchKind says how ToCase found its value.
type MatchKind string

// Match kinds.
const (
	// Unmatched: nothing mapped the label (Result.Ignored is set).
	Unmatched MatchKind = ""
	// Exact: an entry's ITSM label matched (after normalization).
	Exact MatchKind = "exact"
	// Category: no label matched, the category did.
	Category MatchKind = "category"
	// Default: nothing matched and the policy is UseDefault.
	Default MatchKind = "default"
)

// Result is the outcome of mapping an ITSM label to a case value.
type Result struct {
	// Value is the case value as written in the map ("" when Ignored).
	Value string
	// By says which step of the fallback chain produced Value.
	By MatchKind
	// Ignored is set when nothing mapped the label and the policy is
	// Ignore: the caller must not change anything (and should audit it).
	Ignored bool
}

// ToCase maps an ITSM label to a case value through the fallback chain: the
// entry whose label matches, else the category entry matching category (pass
// "" when the ITSM sends none), else the Unmapped policy. With Ignore it
// returns Result{Ignored: true} and a nil error; with UseDefault the Default
// value; with Fail (or an unknown policy, or UseDefault with an empty
// Default) an *UnmappedError wrapping [ErrUnmapped]. A nil Map maps nothing
// and ignores every label.
func (m *Map) ToCase(label, category string) (Result, error) {
	if m == nil {
		return Result{Ignored: true}, nil
	}
	if i := find(m.Entries, label); i >= 0 {
		return Result{Value: m.Entries[i].Case, By: Exact}, nil
	}
	if i := find(m.Categories, category); i >= 0 {
		return Result{Value: m.Categories[i].Case, By: Category}, nil
	}
	return unmapped(m.Unmapped, m.Default, label, category)
}

func unmapped(p Policy, def, label, category string) (Result, error) {
	switch p {
	case "", Ignore:
		return Result{Ignored: true}, nil
	case UseDefault:
		if strings.TrimSpace(def) != "" {
			return Result{Value: def, By: Default}, nil
		}
	}
	return Result{}, &UnmappedError{Label: label, Category: category, Policy: p}
}

// ToITSM maps a case value to the ITSM label sent for it: the label of its
// Outbound row, else of the Preferred entry for that case value, else of
// the first entry for it. It reports false when neither an Outbound row nor
// an entry has that case value. Case values match like labels
// (case-insensitive, separator-tolerant). A nil Map maps nothing.
func (m *Map) ToITSM(caseValue string) (string, bool) {
	if m == nil {
		return "", false
	}
	if i := findCase(m.Outbound, caseValue); i >= 0 {
		return m.Outbound[i].ITSM, true
	}
	first := -1
	for i := range m.Entries {
		if !equalNorm(m.Entries[i].Case, caseValue) {
			continue
		}
		if m.Entries[i].Preferred {
			return m.Entries[i].ITSM, true
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return "", false
	}
	return m.Entries[first].ITSM, true
}

// Validate checks the map and returns nil, or an *itsm.ValidationError
// (wrapping itsm.ErrInvalidConfig, message "itsm: invalid status map: ...")
// listing every problem at once, each with a field path such as
// "entries[2].itsm" (a config embedding the map prefixes it with its own
// field name): empty labels or case values, two labels that normalize alike
// (duplicates), duplicate categories, two Preferred entries for one case
// value, an unknown Unmapped policy, an empty Default with the
// UseDefault policy, and in Outbound: empty rows, Preferred set, two rows
// for one case value (two different labels for it is a conflict), and a
// label that would not come back: with Entries set, no Categories, and the
// Fail policy (the ITSM reporting that label would be refused) or UseDefault
// with a Default other than the row's case value (the case would move to
// Default). With Ignore, or with Categories that may map it, a label the
// entries do not know is accepted. A nil Map is valid (it maps nothing).
func (m *Map) Validate() error {
	if m == nil {
		return nil
	}
	var errs []itsm.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, itsm.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	checkRows := func(name string, rows []Entry, checkPreferred bool) {
		seen := make(map[string]int, len(rows))
		preferred := make(map[string]int)
		for i, e := range rows {
			key := Normalize(e.ITSM)
			if key == "" {
				add(fmt.Sprintf("%s[%d].itsm", name, i), "empty label")
			} else if j, dup := seen[key]; dup {
				add(fmt.Sprintf("%s[%d].itsm", name, i), "duplicate label %q (same as %s[%d])", e.ITSM, name, j)
			} else {
				seen[key] = i
			}
			caseKey := Normalize(e.Case)
			if caseKey == "" {
				add(fmt.Sprintf("%s[%d].case", name, i), "empty case value")
			}
			if checkPreferred && e.Preferred && caseKey != "" {
				if j, dup := preferred[caseKey]; dup {
					add(fmt.Sprintf("%s[%d].preferred", name, i), "second preferred entry for %q (first is %s[%d])", e.Case, name, j)
				} else {
					preferred[caseKey] = i
				}
			}
		}
	}
	checkRows("entries", m.Entries, true)
	checkRows("categories", m.Categories, false)
	if !m.Unmapped.Valid() {
		add("unmapped", "unknown policy %q (want %q, %q or %q)", string(m.Unmapped), Ignore, UseDefault, Fail)
	}
	if m.Unmapped == UseDefault && Normalize(m.Default) == "" {
		add("default", "empty default with policy %q", UseDefault)
	}
	errs = append(errs, m.validateOutbound()...)
	if len(errs) > 0 {
		return &itsm.ValidationError{Errors: errs, Component: "statusmap", Subject: validationSubject}
	}
	return nil
}

// validationSubject names a Map in validation messages.
const validationSubject = "status map"

// find returns the index of the row whose ITSM label matches label, or -1. A
// blank label matches nothing (not even a blank row of an invalid map).
func find(rows []Entry, label string) int {
	if blank(label) {
		return -1
	}
	for i := range rows {
		if equalNorm(rows[i].ITSM, label) {
			return i
		}
	}
	return -1
}

// Normalize returns the form labels are compared in: case-folded (the
// smallest rune of each Unicode simple-folding orbit, then lowercased where
// possible), trimmed, and with every inner run of whitespace, '-' and '_'
// replaced by one space. Two labels match when their normalized forms are
// equal. Invalid UTF-8 bytes are kept as U+FFFD.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	it := normIter{s: s}
	for {
		r, ok := it.next()
		if !ok {
			return b.String()
		}
		b.WriteRune(r)
	}
}

// equalNorm reports whether Normalize(a) == Normalize(b) without allocating.
func equalNorm(a, b string) bool {
	ia, ib := normIter{s: a}, normIter{s: b}
	for {
		ra, oka := ia.next()
		rb, okb := ib.next()
		if oka != okb {
			return false
		}
		if !oka {
			return true
		}
		if ra != rb {
			return false
		}
	}
}

// blank reports whether s normalizes to "".
func blank(s string) bool {
	it := normIter{s: s}
	_, ok := it.next()
	return !ok
}

// MarshalJSON writes the map with "entries" as an array even when empty, so
// a UI can always iterate the table.
func (m Map) MarshalJSON() ([]byte, error) {
	type plain Map // without this method
	p := plain(m)
	if p.Entries == nil {
		p.Entries = []Entry{}
	}
	return json.Marshal(p)
}

// normIter yields the runes of the normalized form of s.
type normIter struct {
	s       string
	i       int
	started bool // a non-separator rune was yielded
	pending bool // a separator run was seen after a yielded rune
}

func isSep(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r == '-' || r == '_' || '\t' <= r && r <= '\r'
	}
	return r == 0x85 || r == 0xA0 || unicode.IsSpace(r)
}

func (it *normIter) next() (rune, bool) {
	for it.i < len(it.s) {
		r, size := rune(it.s[it.i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(it.s[it.i:])
		}
		if isSep(r) {
			it.i += size
			if it.started {
				it.pending = true
			}
			continue
		}
		if it.pending {
			// Emit the single separator; the rune is read again next call.
			it.pending = false
			return ' ', true
		}
		it.i += size
		it.started = true
		return fold(r), true
	}
	return 0, false
}

// fold maps r to a canonical member of its simple case-folding orbit, so that
// fold(a) == fold(b) exactly when strings.EqualFold would match a and b.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	lo := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < lo {
			lo = f
		}
	}
	return unicode.ToLower(lo)
}
