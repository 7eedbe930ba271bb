package statusmap

// Compiled is a validated Map with a precomputed index: lookups are one hash
// of the normalized label. It is immutable and safe for concurrent use; it
// does not see later changes to the Map it was compiled from.
type Compiled struct {
	m          Map
	labels     map[string]string // normalized ITSM label -> case value
	categories map[string]string // normalized category -> case value
	reverse    map[string]string // normalized case value -> ITSM label
}

// Compile validates m (returning [Map.Validate]'s *itsm.ValidationError)
// and builds the index.
// The Map's slices are copied, so m may be changed afterwards. A nil Map
// compiles to an empty one.
func (m *Map) Compile() (*Compiled, error) {
	if m == nil {
		m = &Map{}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	c := &Compiled{
		m: Map{
			Entries:    append([]Entry(nil), m.Entries...),
			Categories: append([]Entry(nil), m.Categories...),
			Default:    m.Default,
			Unmapped:   m.Unmapped,
			Outbound:   append([]Entry(nil), m.Outbound...),
		},
		labels:     make(map[string]string, len(m.Entries)),
		categories: make(map[string]string, len(m.Categories)),
		reverse:    make(map[string]string),
	}
	for _, e := range m.Entries {
		c.labels[Normalize(e.ITSM)] = e.Case
		k := Normalize(e.Case)
		if _, ok := c.reverse[k]; !ok || e.Preferred {
			c.reverse[k] = e.ITSM
		}
	}
	// A Preferred entry may come after a plain one; fix those up.
	for _, e := range m.Entries {
		if e.Preferred {
			c.reverse[Normalize(e.Case)] = e.ITSM
		}
	}
	for _, e := range m.Categories {
		c.categories[Normalize(e.ITSM)] = e.Case
	}
	// Outbound rows win over the entries (Validate allows one per value).
	for _, e := range m.Outbound {
		c.reverse[Normalize(e.Case)] = e.ITSM
	}
	return c, nil
}

// Map returns a copy of the map c was compiled from. A nil *Compiled (like
// a nil *Map) maps nothing and ignores every label.
func (c *Compiled) Map() Map {
	if c == nil {
		return Map{}
	}
	return Map{
		Entries:    append([]Entry(nil), c.m.Entries...),
		Categories: append([]Entry(nil), c.m.Categories...),
		Default:    c.m.Default,
		Unmapped:   c.m.Unmapped,
		Outbound:   append([]Entry(nil), c.m.Outbound...),
	}
}

// ToCase is [Map.ToCase] through the index; it gives the same results.
func (c *Compiled) ToCase(label, category string) (Result, error) {
	if c == nil {
		return Result{Ignored: true}, nil
	}
	if v, ok := c.labels[Normalize(label)]; ok {
		return Result{Value: v, By: Exact}, nil
	}
	if category != "" {
		if v, ok := c.categories[Normalize(category)]; ok {
			return Result{Value: v, By: Category}, nil
		}
	}
	return unmapped(c.m.Unmapped, c.m.Default, label, category)
}

// ToITSM is [Map.ToITSM] through the index; it gives the same results.
func (c *Compiled) ToITSM(caseValue string) (string, bool) {
	if c == nil {
		return "", false
	}
	v, ok := c.reverse[Normalize(caseValue)]
	return v, ok
}
