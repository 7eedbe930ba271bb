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
