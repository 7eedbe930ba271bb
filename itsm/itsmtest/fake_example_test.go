package itsmtest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/itsmsync/itsmsync/itsm/itsmtest"
)

func ExampleNewServer() {
	srv := itsmtest.NewServer(itsmtest.WithBasicAuth("jane@example.com", "api-token"))
	defer srv.Close()

	body := `{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] Brute force on vpn-1","description":"5 failed logins","labels":["itsmsync-3f2a"]}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/rest/api/2/issue", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("jane@example.com", "api-token")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Replace(string(reply), srv.URL(), "http://fake", 1))

	for _, t := range srv.Tickets() {
		fmt.Printf("%s %s %q labels=%v status=%s\n", t.ID, t.Key, t.Summary, t.Labels, t.Status.Name)
	}
	fmt.Println("creates:", srv.CreateCount())
	// Output:
	// 201 {"id":"10001","key":"SEC-1","self":"http://fake/rest/api/2/issue/10001"}
	// 10001 SEC-1 "[SIEM] Brute force on vpn-1" labels=[itsmsync-3f2a] status=To Do
	// creates: 1
}

func ExampleServer_Fault() {
	srv := itsmtest.NewServer()
	defer srv.Close()

	// The first create is carried out, then the connection is reset before
	// any answer: the client sees an error although the ticket exists. The
	// second create is answered normally.
	srv.Fault(itsmtest.On(itsmtest.OpCreate), itsmtest.ResetAfterSend())
	send := func() error {
		resp, err := http.Post(srv.URL()+"/rest/api/2/issue", "application/json",
			strings.NewReader(`{"fields":{"summary":"once","labels":["itsmsync-3f2a"]}}`))
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	fmt.Println("client saw an error:", send() != nil)
	fmt.Println("tickets after the reset:", len(srv.Tickets()))

	// A careful client looks the ticket up before creating again.
	resp, err := http.Get(srv.URL() + `/rest/api/2/search?jql=labels%3D%22itsmsync-3f2a%22&fields=key`)
	if err != nil {
		fmt.Println(err)
		return
	}
	found, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("found by label:", strings.Contains(string(found), `"total":1`))
	// Output:
	// client saw an error: true
	// tickets after the reset: 1
	// found by label: true
}
