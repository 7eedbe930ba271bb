package template

import (
	"slices"
	"strings"
)

// checkKnown refuses the first variable (in template order) that known does
// not allow. The error lists the known names and suggests the closest one.
func checkKnown(t *Template, known []string) error {
	for i := range t.slots {
		name := t.slots[i].name
		if allowed(name, known) {
			continue
		}
		return &Error{Template: t.opts.Name, Offset: t.slots[i].off, Variable: name,
			Err: ErrUnknownVariable, Detail: knownDetail(name, known)}
	}
	return nil
}

func allowed(name string, known []string) bool {
	for _, k := range known {
		if k == name {
			return true
		}
		if strings.HasSuffix(k, ".") && len(name) > len(k) && strings.HasPrefix(name, k) {
			return true
		}
	}
	return false
}

// knownDetail is "did you mean $x? known variables: $a, $b, $fields.<name>".
func knownDetail(name string, known []string) string {
	names := make([]string, 0, len(known))
	for _, k := range known {
		if k == "" {
			continue
		}
		if strings.HasSuffix(k, ".") {
			k += "<name>"
		}
		names = append(names, "$"+k)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var b strings.Builder
	if s := suggest(name, known); s != "" {
		b.WriteString("did you mean $" + s + "? ")
	}
	if len(names) == 0 {
		b.WriteString("no variables are allowed here")
		return b.String()
	}
	b.WriteString("known variables: ")
	b.WriteString(strings.Join(names, ", "))
	return b.String()
}

// suggest returns the known name closest to name by edit distance, or "" if
// none is close enough to be a likely typo.
func suggest(name string, known []string) string {
	best, bestD := "", len(name)/3+1
	if bestD > 3 {
		bestD = 3
	}
	bestD++ // accept distances up to the limit
	for _, k := range known {
		cand := k
		if strings.HasSuffix(k, ".") {
			// "field.hostname" against "fields.": compare with "fields.hostname".
			rest := name
			if dot := strings.IndexByte(name, '.'); dot >= 0 {
				rest = name[dot+1:]
			} else {
				continue
			}
			cand = k + rest
		}
		if d := editDistance(name, cand); d < bestD {
			best, bestD = cand, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 30 // not worth comparing
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
