package itsmtest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const markerProps = `[{"key":"itsmsync","value":{"marker":"itsmsync-note-0123456789abcdef0123456789abcdef"}}]`

func TestCommentProperties(t *testing.T) {
	t.Parallel()
	s := setup(t)
	key := create(t, s, "with properties")
	path := "/rest/api/2/issue/" + key + "/comment"

	r := call(t, s, "POST", path, `{"body":"plain"}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	r = call(t, s, "POST", path, `{"body":"marked","properties":`+markerProps+`}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	r = call(t, s, "POST", "/rest/api/3/issue/"+key+"/comment", `{"body":`+adfHello+`,"properties":[{"key":"other","value":7}]}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))

	tk, _ := s.Ticket(key)
	require.Len(t, tk.Comments, 3)
	assert.Empty(t, tk.Comments[0].Properties)
	require.Len(t, tk.Comments[1].Properties, 1)
	assert.Equal(t, "itsmsync", tk.Comments[1].Properties[0].Key)
	assert.JSONEq(t, `{"marker":"itsmsync-note-0123456789abcdef0123456789abcdef"}`, string(tk.Comments[1].Properties[0].Value))

	// Without expand=properties, no properties.
	r = call(t, s, "GET", path, "")
	require.Equal(t, http.StatusOK, r.status)
	assert.False(t, r.json().Get("comments.1.properties").Exists())

	tests := []struct {
		name   string
		query  string
		ids    []string
		props  []string // raw properties per comment, "" = absent
		total  int64
		status int
	}{
		{name: "expanded, created order", query: "?expand=properties", ids: []string{"10100", "10101", "10102"},
			props: []string{`[]`, markerProps, `[{"key":"other","value":7}]`}, total: 3, status: 200},
		{name: "expand list with renderedBody, newest first", query: "?expand=renderedBody,properties&orderBy=-created",
			ids: []string{"10102", "10101", "10100"}, props: []string{`[{"key":"other","value":7}]`, markerProps, `[]`}, total: 3, status: 200},
		{name: "page of one, unknown params ignored", query: "?orderBy=-created&maxResults=1&expand=properties&jql=nonsense&foo=bar",
			ids: []string{"10102"}, props: []string{`[{"key":"other","value":7}]`}, total: 3, status: 200},
		{name: "startAt", query: "?startAt=2&expand=properties", ids: []string{"10102"}, props: []string{`[{"key":"other","value":7}]`}, total: 3, status: 200},
		{name: "startAt past the end", query: "?startAt=9", ids: nil, total: 3, status: 200},
		{name: "expand of something else", query: "?expand=renderedBody", ids: []string{"10100", "10101", "10102"}, props: []string{"", "", ""}, total: 3, status: 200},
		{name: "bad orderBy", query: "?orderBy=updated", status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "GET", path+tc.query, "")
			require.Equal(t, tc.status, r.status, string(r.body))
			if tc.status != 200 {
				return
			}
			assert.Equal(t, tc.total, r.json().Get("total").Int())
			got := r.json().Get("comments").Array()
			require.Len(t, got, len(tc.ids))
			for i, c := range got {
				assert.Equal(t, tc.ids[i], c.Get("id").String())
				if tc.props[i] == "" {
					assert.False(t, c.Get("properties").Exists())
				} else {
					assert.JSONEq(t, tc.props[i], c.Get("properties").Raw)
				}
			}
		})
	}

	bad := []struct{ name, props string }{
		{"not an array", `{"key":"a","value":1}`},
		{"item not an object", `["a"]`},
		{"no key", `[{"value":1}]`},
		{"empty key", `[{"key":"","value":1}]`},
		{"key too long", `[{"key":"` + strings.Repeat("k", 256) + `","value":1}]`},
		{"no value", `[{"key":"a"}]`},
		{"value too large", `[{"key":"a","value":"` + strings.Repeat("v", 32768) + `"}]`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", path, `{"body":"x","properties":`+tc.props+`}`)
			require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
			assert.NotEmpty(t, r.json().Get("errors.properties").String())
		})
	}
	tk, _ = s.Ticket(key)
	assert.Len(t, tk.Comments, 3, "a refused comment is not stored")
}

// TestCommentStoredThenFault: a comment stored and then answered with a 502
// or a dropped connection is there, with its properties, for a lookup.
func TestCommentStoredThenFault(t *testing.T) {
	t.Parallel()
	for _, f := range []Fault{StatusAfterApply(http.StatusBadGateway), ResetAfterSend()} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			key := create(t, s, "faulted")
			s.Fault(On(OpComment), f)
			r, err := try(context.Background(), s, "POST", "/rest/api/2/issue/"+key+"/comment", `{"body":"x","properties":`+markerProps+`}`)
			if err == nil {
				assert.Equal(t, http.StatusBadGateway, r.status)
			}
			r = call(t, s, "GET", "/rest/api/2/issue/"+key+"/comment?expand=properties&orderBy=-created&maxResults=100", "")
			require.Equal(t, http.StatusOK, r.status)
			assert.JSONEq(t, markerProps, r.json().Get("comments.0.properties").Raw)
		})
	}
}
