package statusmap_test

import (
	"encoding/json"
	"fmt"

	"github.com/itsmsync/itsmsync/statusmap"
)

func Example() {
	var m statusmap.Map
	_ = json.Unmarshal([]byte(`{
	  "entries": [
	    {"itsm": "Open", "case": "open", "preferred": true},
	    {"itsm": "In Progress", "case": "in_progress"},
	    {"itsm": "Done", "case": "closed", "preferred": true},
	    {"itsm": "Resolved", "case": "closed"}
	  ],
	  "categories": [{"itsm": "done", "case": "closed"}],
	  "unmapped": "ignore"
	}`), &m)
	if err := m.Validate(); err != nil {
		fmt.Println(err)
		return
	}

	r, _ := m.ToCase("  RESOLVED ", "")
	fmt.Println(r.Value, r.By)
	r, _ = m.ToCase("Won't Fix", "done")
	fmt.Println(r.Value, r.By)
	r, _ = m.ToCase("Triage", "new")
	fmt.Println("ignored:", r.Ignored)
	label, _ := m.ToITSM("closed")
	fmt.Println(label)
	// Output:
	// closed exact
	// closed category
	// ignored: true
	// Done
}

func ExampleMap_Validate() {
	m := statusmap.Map{
		Entries: []statusmap.Entry{
			{ITSM: "In Progress", Case: "in_progress"},
			{ITSM: "in-progress", Case: "open"},
			{ITSM: "", Case: "closed"},
		},
		Unmapped: statusmap.UseDefault,
	}
	fmt.Println(m.Validate())
	// Output:
	// statusmap: invalid status map: entries[1].itsm: duplicate label "in-progress" (same as entries[0]); entries[2].itsm: empty label; default: empty default with policy "default"
}

// Resolved and closed cases are both sent as "Done", which comes back as
// closed: the Outbound rows choose the label on the way out, the entries
// read it on the way in.
func ExampleMap_outbound() {
	m := statusmap.Map{
		Entries: []statusmap.Entry{
			{ITSM: "To Do", Case: "open"},
			{ITSM: "Done", Case: "closed"},
		},
		Outbound: []statusmap.Entry{
			{Case: "resolved", ITSM: "Done"},
			{Case: "closed", ITSM: "Done"},
		},
		Unmapped: statusmap.Fail,
	}
	c, err := m.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range []string{"open", "resolved", "closed"} {
		label, _ := c.ToITSM(s)
		fmt.Println(s, "→", label)
	}
	r, _ := c.ToCase("Done", "")
	fmt.Println("Done ←", r.Value)

	m.Outbound = append(m.Outbound, statusmap.Entry{Case: "closed", ITSM: "Closed"})
	fmt.Println(m.Validate())
	// Output:
	// open → To Do
	// resolved → Done
	// closed → Done
	// Done ← closed
	// statusmap: invalid status map: outbound[2].case: case value "closed" would be sent as "Closed" here and as "Done" by outbound[1]: a case value can have only one outbound label; outbound[2].itsm: label "Closed" is sent for case value "closed" but no entry maps it back: with policy "error" every update the ITSM reports in that status is refused; add an entry {"itsm": "Closed", "case": ...}
}
