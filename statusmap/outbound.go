package statusmap

import (
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
)

// findCase returns the index of the first row whose case value matches
// caseValue, or -1. A blank case value matches nothing.
func findCase(rows []Entry, caseValue string) int {
	if blank(caseValue) {
		return -1
	}
	for i := range rows {
		if equalNorm(rows[i].Case, caseValue) {
			return i
		}
	}
	return -1
}

// validateOutbound checks the Outbound rows: each needs a case value and a
// label, Preferred is refused (it means nothing there), one case value may
// not have two rows (two different labels is a conflict: which one is
// sent?), and a label must come back to a case value when the map would
// otherwise refuse or misread the ITSM reporting it: with Entries set, no
// Categories, and the Fail policy (every echo of the label would be an
// error) or the UseDefault policy with a Default other than the row's case
// value (every echo would move the case to Default). With the Ignore policy,
// or when a category may map it, an unknown label is accepted.
func (m *Map) validateOutbound() []itsm.FieldError {
	var errs []itsm.FieldError
	add := func(i int, part, format string, args ...any) {
		errs = append(errs, itsm.FieldError{Field: fmt.Sprintf("outbound[%d].%s", i, part), Message: fmt.Sprintf(format, args...)})
	}
	seen := make(map[string]int, len(m.Outbound))
	for i, o := range m.Outbound {
		caseKey, label := Normalize(o.Case), Normalize(o.ITSM)
		if caseKey == "" {
			add(i, "case", "empty case value")
		}
		if label == "" {
			add(i, "itsm", "empty label")
		}
		if o.Preferred {
			add(i, "preferred", "preferred has no meaning in outbound rows: each case value has one outbound label")
		}
		if caseKey != "" {
			if j, dup := seen[caseKey]; dup {
				first := m.Outbound[j]
				if label != "" && Normalize(first.ITSM) != label {
					add(i, "case", "case value %q would be sent as %q here and as %q by outbound[%d]: a case value can have only one outbound label",
						o.Case, o.ITSM, first.ITSM, j)
				} else {
					add(i, "case", "duplicate row for case value %q (same as outbound[%d])", o.Case, j)
				}
			} else {
				seen[caseKey] = i
			}
		}
		if label == "" || caseKey == "" || len(m.Entries) == 0 || len(m.Categories) > 0 || find(m.Entries, o.ITSM) >= 0 {
			continue
		}
		switch m.Unmapped {
		case Fail:
			add(i, "itsm", "label %q is sent for case value %q but no entry maps it back: with policy %q every update the ITSM reports in that status is refused; add an entry {\"itsm\": %q, \"case\": ...}",
				o.ITSM, o.Case, Fail, o.ITSM)
		case UseDefault:
			if def := Normalize(m.Default); def != "" && def != caseKey {
				add(i, "itsm", "label %q is sent for case value %q but no entry maps it back: with policy %q the ITSM reporting it would move the case to %q; add an entry {\"itsm\": %q, \"case\": ...}",
					o.ITSM, o.Case, UseDefault, m.Default, o.ITSM)
			}
		}
	}
	return errs
}
