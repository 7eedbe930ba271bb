package sysaid

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
)

// Provider is the httpconn.Config.Provider value of the preset.
const Provider = "sysaid"

// DefaultName is the integration name a preset gets when Options.Name is
// empty.
const DefaultName = "SysAid"

// Options are what a host asks its user for. The zero value of each optional
// field means its default; it is plain data.
type Options struct {
	// Name is the integration name (default [DefaultName]).
	Name string `json:"name,omitempty"`
	// BaseURL is the SysAid server, e.g. "https://acme.sysaidit.com" (cloud)
	// or an on-premises "https://helpdesk.example.com". Required; https
	// unless the host is a loopback address (tests); no path, query or
	// credentials.
	BaseURL string `json:"base_url"`
	// Username and Password are the SysAid user the connector logs in as
	// (an administrator allowed to use the REST API). They are stored in the
	// config's Auth (type basic), so they are redacted when the config is
	// marshaled and kept on edit — but they are never sent as an
	// Authorization header: [NewConnector] posts them to /api/v1/login only.
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
	// Info are extra info entries (key → value) written into new service
	// records, e.g. {"problem_type": "Security", "sr_type": "1"}. Values are
	// literal text.
	Info map[string]string `json:"info,omitempty"`
}

// Validate reports every problem of o at once as an *itsm.ValidationError
// (wrapping itsm.ErrInvalidConfig), each naming its JSON field ("base_url",
// "username", "info.<key>"). It never includes the password.
func (o Options) Validate() error {
	_, err := o.normalize()
	return err
}

func (o Options) normalize() (Options, error) {
	var errs []itsm.FieldError
	add := func(field, msg string) { errs = append(errs, itsm.FieldError{Field: field, Message: msg}) }
	base, err := baseURL(o.BaseURL)
	if err != nil {
		add("base_url", err.Error())
	}
	o.BaseURL = base
	if o.Name == "" {
		o.Name = DefaultName
	}
	if strings.TrimSpace(o.Username) == "" {
		add("username", "is required")
	} else if strings.ContainsAny(o.Username, ":\r\n\x00") {
		add("username", "must not contain ':' or control characters")
	}
	for _, k := range sortedKeys(o.Info) {
		field := "info." + k
		if k == "" || strings.ContainsAny(k, "\"\\$\r\n\x00") || len(k) > 128 {
			field = "info"
			add(field, fmt.Sprintf("key %q is not a plain field name", clip.Bytes(k, 40)))
		}
		if len(o.Info[k]) > 4096 {
			add(field, fmt.Sprintf("the value of %q is longer than 4096 bytes", clip.Bytes(k, 40)))
		}
	}
	if len(errs) > 0 {
		return o, &itsm.ValidationError{Errors: errs, Component: "sysaid", Subject: "options"}
	}
	return o, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func baseURL(raw string) (string, error) { return baseurl.Check(raw, "https://acme.sysaidit.com") }

// jsonText escapes s for a JSON string literal inside a template (JSON
// escaping, "$" doubled).
func jsonText(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	q := strings.TrimSuffix(b.String(), "\n")
	return strings.ReplaceAll(q[1:len(q)-1], "$", "$$")
}

// info renders an info list template from key/value template pairs.
func info(pairs [][2]string) string {
	var b strings.Builder
	b.WriteString("{\n  \"info\": [")
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    {\"key\": \"%s\", \"value\": \"%s\"}", p[0], p[1])
	}
	b.WriteString("\n  ]\n}")
	return b.String()
}

// Preset returns the SysAid REST API configuration for o: an [httpconn.Config]
// the host stores, shows and edits like any other. Use it with
// [NewConnector] (the session login lives there).
//
//   - create: POST /api/v1/sr with {"info": [{"key","value"}...]}: title
//     ($case_name), description (the case description, a link back and
//     the correlation key), priority ($priority), status ($itsm_status),
//     plus Options.Info; the record id is read at "id";
//   - update: PUT /api/v1/sr/$ticket_id with title, description, priority
//     and status;
//   - notes: PUT /api/v1/sr/$ticket_id with a "notes" info entry
//     [{"text", "userName"}] (see the package documentation: assumed);
//   - get: GET /api/v1/sr/$ticket_id?fields=title,status; title and status
//     read from the info list (info.#(key=="status").value);
//   - lookup: GET /api/v1/sr/search?query=$correlation_key (the key is in
//     the description) — the first record's id;
//   - view URL: /SREdit.jsp?id=$ticket_id; health: GET /api/v1/sr?limit=1;
//   - status map [statusmap.SysAidStatuses], priority map
//     [statusmap.SysAidPriorities] (numeric ids both ways: edit them to
//     your instance's lists).
//
// Preset validates o ([Options.Validate]) but not the password (a UI may
// fill it in later): run [httpconn.Config.Validate] before use.
func Preset(o Options) (httpconn.Config, error) {
	o, err := o.normalize()
	if err != nil {
		return httpconn.Config{}, err
	}
	api := o.BaseURL + "/api/v1"
	desc := `$description\n\nSIEM case: $case_url\nitsmsync: $correlation_key`
	create := [][2]string{
		{"title", "$case_name"},
		{"description", desc},
		{"priority", "$priority"},
		{"status", "$itsm_status"},
	}
	for _, k := range sortedKeys(o.Info) {
		create = append(create, [2]string{jsonText(k), jsonText(o.Info[k])})
	}
	update := [][2]string{
		{"title", "$case_name"},
		{"description", desc},
		{"priority", "$priority"},
		{"status", "$itsm_status"},
	}
	cfg := httpconn.Config{
		Name:         o.Name,
		Provider:     Provider,
		Create:       httpconn.EndpointConfig{Method: "POST", URL: api + "/sr", Payload: info(create)},
		TicketIDPath: "id",
		Update: httpconn.EndpointConfig{Method: "PUT", URL: api + "/sr/$ticket_id",
			Payload: strings.Replace(info(update), "{\n", "{\n  \"id\": \"$ticket_id\",\n", 1)},
		Get: httpconn.GetConfig{
			Method:     "GET",
			URL:        api + "/sr/$ticket_id?fields=title,status",
			TitlePath:  `info.#(key=="title").value`,
			StatusPath: `info.#(key=="status").value`,
		},
		Comment: httpconn.CommentConfig{
			Method: "PUT",
			URL:    api + "/sr/$ticket_id",
			Payload: `{
  "id": "$ticket_id",
  "info": [
    {"key": "notes", "value": [{"text": "$note_text", "userName": "$note_author"}]}
  ]
}`,
		},
		Lookup: httpconn.LookupConfig{
			Method: "GET",
			// A free-text search: every record it lists is checked for
			// the key, as a word, in its description (the search answers
			// an array of records, each with an info list of key/value
			// pairs).
			URL:           api + "/sr/search?query=$correlation_key&fields=title,description&limit=20",
			ItemsPath:     "@this",
			TicketIDPath:  "id",
			MatchPath:     `info.#(key=="description").value`,
			MatchContains: true,
		},
		ViewURL:     o.BaseURL + "/SREdit.jsp?id=$ticket_id",
		HealthURL:   api + "/sr?limit=1&fields=title",
		Headers:     map[string]string{"Accept": "application/json"},
		BodyFormat:  httpconn.BodyJSON,
		Auth:        httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: o.Username, Password: o.Password},
		StatusMap:   statusmap.SysAidStatuses(),
		PriorityMap: statusmap.SysAidPriorities(),
	}
	return cfg, nil
}
