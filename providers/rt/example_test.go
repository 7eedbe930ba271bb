package rt_test

import (
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/rt"
)

// A Request Tracker integration from RT's URL, a queue and an auth token:
// the preset is an ordinary httpconn.Config; Preview shows the create RT
// receives (the token goes out as "Authorization: token <t>", redacted
// here).
func ExamplePreset() {
	cfg, err := rt.Preset(rt.Options{
		BaseURL: "https://rt.example.com",
		Queue:   "Security",
		Auth:    httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "1-14-from-your-vault"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.ID = "example" // normally generated on first save
	c, err := rt.NewConnector(cfg, rt.ConnectorConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	cs := itsm.Case{ID: "CASE-7", Title: "Phishing mail\nreported", Description: "See the SIEM.",
		Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
	reqs, err := c.Preview(cs, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range reqs {
		if r.Op == itsm.OpCreate {
			fmt.Println(r.Method, r.URL)
			fmt.Println("Authorization:", r.Header.Get("Authorization"))
			fmt.Println(r.Body)
		}
	}
	// Output:
	// POST https://rt.example.com/REST/2.0/ticket
	// Authorization: ********
	// {
	//   "Queue": "Security",
	//   "Subject": "Phishing mail reported",
	//   "Content": "See the SIEM.\n\nSIEM case: ",
	//   "ContentType": "text/plain",
	//   "Priority": "100",
	//   "Status": "new",
	//   "CustomFields": {"itsmsync correlation": "itsmsync-54a8cfcb97387fd0"}
	// }
}

// The body RT's Scrip sends on a status change, read by the Parser.
func ExampleParser() {
	body := []byte(`{"version":1,"event":"status","ticket_id":"42","queue":"General","status":"resolved",
		"old_status":"open","transaction_id":"1234","transaction_type":"Status","time":"2025-01-02T03:04:05Z",
		"comment":null,"actor":"root"}`)
	evs, err := rt.Parser{}.Parse(nil, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := evs[0]
	fmt.Println(e.Kind, e.TicketID, e.Status, e.Version, e.EventID, e.OccurredAt.Format("2006-01-02T15:04:05Z"))
	// Output:
	// updated 42 resolved 1234 rt:1234 2025-01-02T03:04:05Z
}
