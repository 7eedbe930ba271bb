package rt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/itsmsync/itsmsync/template"
)

// Defaults of [Options].
const (
	// DefaultName is the integration name a preset gets when Options.Name
	// is empty.
	DefaultName = "Request Tracker"
	// DefaultQueue is the queue new tickets go to when Options.Queue is
	// empty (RT's built-in queue).
	DefaultQueue = "General"
	// DefaultCorrelationField is the name of the ticket custom field that
	// holds the correlation key.
	DefaultCorrelationField = "itsmsync correlation"
	// Provider is the httpconn.Config.Provider value of the preset.
	Provider = "rt"
	// MaxSubjectBytes is how much of a Subject RT keeps: the Tickets.Subject
	// column is varchar(200) and RT cuts a longer value to 200 bytes
	// (UTF-8 safe) before storing it.
	MaxSubjectBytes = 200
)

// Variable names the connector computes (httpconn.Config.ExtraVariables of
// the preset); without [NewConnector] they render as null.
const (
	// VarSubject is the case title as RT stores a Subject: control
	// characters and line breaks become spaces, runs of spaces one space,
	// no leading or trailing space, at most [MaxSubjectBytes] bytes (cut on
	// a character boundary). What the connector sends is what RT keeps.
	VarSubject = "rt_subject"
	// VarStatus is $itsm_status, or null when the case status maps to
	// nothing (RT then keeps the ticket's status instead of refusing "").
	VarStatus = "rt_status"
	// VarCreateStatus is the status a new ticket is created with: $itsm_status
	// when RT's default lifecycle allows it on create (new, open, resolved),
	// else null (the queue's initial status; the connector changes it right
	// after the create).
	VarCreateStatus = "rt_create_status"
	// VarPriority is $priority, or null when the severity maps to nothing
	// (RT keeps its default).
	VarPriority = "rt_priority"
)

// ExtraVariables lists the variables [NewConnector] computes.
var ExtraVariables = []string{VarSubject, VarStatus, VarCreateStatus, VarPriority}

// createStatuses are the statuses RT's default lifecycle allows for a new
// ticket (the ” transitions of etc/RT_Config.pm's "default" lifecycle).
var createStatuses = []string{"new", "open", "resolved"}

// Options are what a host asks its user for: the RT server, the queue and
// the credentials. The zero value of each optional field means its default.
// It is plain data.
type Options struct {
	// Name is the integration name (default [DefaultName]).
	Name string `json:"name,omitempty"`
	// BaseURL is RT's web address, RT's $WebURL without the trailing
	// slash: "https://rt.example.com" or "https://example.com/rt".
	// Required; https unless the host is a loopback address. No query or
	// fragment.
	BaseURL string `json:"base_url"`
	// Queue is the queue new tickets are created in (default
	// [DefaultQueue]); also limits the lookup.
	Queue string `json:"queue,omitempty"`
	// Auth is basic (an RT user and password) or an RT auth token: type
	// bearer with Token set to the token (RT > Logged in as > Settings >
	// Auth Tokens) is sent the way RT expects it, "Authorization: token
	// <token>" (the preset turns it into an api_key auth on the
	// Authorization header). An api_key auth on the Authorization header
	// whose key starts with "token " is kept as is. Other types are
	// refused.
	Auth httpconn.AuthConfig `json:"auth"`
	// CorrelationField is the name of the ticket custom field holding the
	// correlation key (default [DefaultCorrelationField]). It must exist
	// and apply to the queue: see [EnsureCorrelationField].
	CorrelationField string `json:"correlation_field,omitempty"`
	// Correspond posts case notes as public replies (RT "Reply",
	// /correspond: mailed to the requestors) instead of internal comments
	// (RT "Comment", the default).
	Correspond bool `json:"correspond,omitempty"`
	// NoNoteMarker sends notes without the note's marker, and with it
	// without the comment lookup: a note whose outcome is unknown is then
	// resent or not per the engine's policy. By default every comment's
	// Subject is "SIEM note [itsmsync-note-…]" (shown in the ticket
	// history, and in the mail of a reply with Correspond), which the
	// comment lookup finds.
	NoNoteMarker bool `json:"no_note_marker,omitempty"`
	// Network and TLS are copied into the config (proxy, allowed hosts,
	// private addresses; custom CA, client certificate). An RT on the
	// local network needs Network.AllowPrivate or an allow-list.
	Network httpconn.NetworkConfig `json:"network,omitzero"`
	TLS     httpconn.TLSConfig     `json:"tls,omitzero"`
}

// Validate reports every problem of o at once as an *itsm.ValidationError
// (wrapping itsm.ErrInvalidConfig), each naming its JSON field ("base_url",
// "queue", "auth.type", ...). It never includes a secret.
func (o Options) Validate() error {
	_, err := o.normalize()
	return err
}

// normalize validates o and returns it with defaults applied.
func (o Options) normalize() (Options, error) {
	var errs []itsm.FieldError
	add := func(field, msg string) { errs = append(errs, itsm.FieldError{Field: field, Message: msg}) }
	base, err := checkBaseURL(o.BaseURL)
	if err != nil {
		add("base_url", err.Error())
	}
	o.BaseURL = base
	if o.Name == "" {
		o.Name = DefaultName
	}
	if strings.TrimSpace(o.Queue) == "" {
		o.Queue = DefaultQueue
	}
	if msg := checkName(o.Queue); msg != "" {
		add("queue", msg)
	}
	if strings.TrimSpace(o.CorrelationField) == "" {
		o.CorrelationField = DefaultCorrelationField
	}
	if msg := checkName(o.CorrelationField); msg != "" {
		add("correlation_field", msg)
	} else if strings.ContainsAny(o.CorrelationField, "{}'\"\\") {
		add("correlation_field", "must not contain braces, quotes or backslashes (TicketSQL writes it as CF.{name})")
	}
	switch o.Auth.Type {
	case httpconn.AuthBasic:
	case httpconn.AuthBearer:
		// RT's auth tokens use their own scheme: "Authorization: token <t>".
		a := httpconn.AuthConfig{Type: httpconn.AuthAPIKey, HeaderName: "Authorization"}
		if o.Auth.Token != "" {
			a.APIKey = TokenPrefix + o.Auth.Token
		}
		o.Auth = a
	case httpconn.AuthAPIKey:
		if !strings.EqualFold(o.Auth.HeaderName, "Authorization") || (o.Auth.APIKey != "" && o.Auth.APIKey != httpconn.RedactedMarker && !strings.HasPrefix(o.Auth.APIKey, TokenPrefix)) {
			add("auth.api_key", `must be an RT auth token on the Authorization header ("token <token>"); use type bearer with the bare token`)
		}
	default:
		add("auth.type", fmt.Sprintf("%q is not supported (want basic, or bearer for an RT auth token)", clip.Bytes(string(o.Auth.Type), 32)))
	}
	if len(errs) > 0 {
		return o, &itsm.ValidationError{Errors: errs, Component: "rt", Subject: "options"}
	}
	return o, nil
}

// TokenPrefix is the scheme of RT's auth tokens in the Authorization
// header.
const TokenPrefix = "token "

// checkName checks a queue or custom field name: one line, 1-200 bytes.
func checkName(s string) string {
	switch {
	case strings.TrimSpace(s) != s:
		return "must not start or end with spaces"
	case len(s) > 200:
		return "must be at most 200 bytes"
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must be one line of text"
	}
	return ""
}

// checkBaseURL accepts RT's web URL, with an optional path (RT installed
// under /rt), and returns it without a trailing slash.
func checkBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if raw == "" || err != nil {
		return baseurl.Check(raw, "https://rt.example.com")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("must be RT's web URL, without query or fragment")
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	origin := *u
	origin.Path, origin.RawPath = "", ""
	base, err := baseurl.Check(origin.String(), "https://rt.example.com")
	if err != nil {
		return "", err
	}
	if strings.Contains(path, "$") {
		return "", fmt.Errorf("must not contain '$'")
	}
	return base + path, nil
}

// ticketSQLString quotes s for a TicketSQL string literal.
func ticketSQLString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// NoteSubjectPrefix begins the Subject of every note the preset posts,
// followed by the note's marker in brackets.
const NoteSubjectPrefix = "SIEM note "

// Preset returns the Request Tracker REST2 configuration for o: an
// [httpconn.Config] the host stores, shows and edits like any other.
//
//   - create: POST <base>/REST/2.0/ticket with Queue, Subject
//     ($rt_subject), Content (the description and a link back, text/plain),
//     Priority ($rt_priority, left out when unmapped), Status
//     ($rt_create_status) and CustomFields {<field>: $correlation_key};
//     the ticket id is the answer's "id" (a string on create).
//   - update: PUT <base>/REST/2.0/ticket/$ticket_id with Subject, Status
//     ($rt_status) and Priority; RT answers 200 with one message per field,
//     which [Connector] reads for refusals.
//   - comment: POST .../ticket/$ticket_id/comment (or /correspond) with
//     Subject "SIEM note [$note_marker]" (unless NoNoteMarker), Content and
//     ContentType text/plain; the comment id is the transaction id of the
//     Location header (read by [Connector]).
//   - comment lookup (unless NoNoteMarker): GET .../ticket/$ticket_id/
//     attachments?fields=Subject,TransactionId, newest first, 100 per
//     page; a match is an attachment whose Subject holds the marker, the
//     comment id its TransactionId.
//   - get: GET .../ticket/$ticket_id; title at Subject, status at Status.
//   - lookup: GET <base>/REST/2.0/tickets?query=CF.{<field>} = '<key>' AND
//     Queue = '<queue>' with fields=CustomFields, oldest first; the id at
//     items.0.id ([Connector.Find] also checks that the ticket carries the
//     key exactly).
//   - view URL: <base>/Ticket/Display.html?id=$ticket_id; health: GET
//     <base>/REST/2.0/queue/<queue> (proves the URL, the credentials and the
//     right to see the queue).
//   - status map [Statuses], priority map [Priorities].
//
// Every part is editable afterwards. Preset validates o
// ([Options.Validate]); it does not require the secrets to be filled (a UI
// may build the config first), so run [httpconn.Config.Validate] before use.
func Preset(o Options) (httpconn.Config, error) {
	o, err := o.normalize()
	if err != nil {
		return httpconn.Config{}, err
	}
	api := o.BaseURL + "/REST/2.0"
	queueJSON, fieldJSON := jsonText(o.Queue), jsonText(o.CorrelationField)
	create := `{
  "Queue": "` + queueJSON + `",
  "Subject": "$` + VarSubject + `",
  "Content": "$description\n\nSIEM case: $case_url",
  "ContentType": "text/plain",
  "Priority": $` + VarPriority + `,
  "Status": $` + VarCreateStatus + `,
  "CustomFields": {"` + fieldJSON + `": "$correlation_key"}
}`
	update := `{
  "Subject": "$` + VarSubject + `",
  "Status": $` + VarStatus + `,
  "Priority": $` + VarPriority + `
}`
	kind := "comment"
	if o.Correspond {
		kind = "correspond"
	}
	query := "CF.{" + o.CorrelationField + "} = '$$correlation_key' AND Queue = " + ticketSQLString(o.Queue)
	// The key is quoted by the connector's lookup check; the SDK's keys
	// ("itsmsync-<hex>") need no TicketSQL escaping.
	lookupURL := api + "/tickets?query=" + strings.ReplaceAll(url.QueryEscape(query), "%24%24correlation_key", "$correlation_key") +
		"&fields=CustomFields&orderby=id&order=ASC&per_page=20"
	commentPayload := `{"Subject": "` + NoteSubjectPrefix + `[$note_marker]", "Content": "$note_text", "ContentType": "text/plain"}`
	commentLookup := httpconn.CommentLookupConfig{
		Method: "GET",
		// Newest first, one page of RT's largest size.
		URL:       api + "/ticket/$ticket_id/attachments?fields=Subject,TransactionId&orderby=id&order=DESC&per_page=100",
		ItemsPath: "items",
		MatchPath: "Subject",
		IDPath:    "TransactionId",
	}
	if o.NoNoteMarker {
		commentPayload, commentLookup = `{"Content": "$note_text", "ContentType": "text/plain"}`, httpconn.CommentLookupConfig{}
	}
	cfg := httpconn.Config{
		Name:         o.Name,
		Provider:     Provider,
		Create:       httpconn.EndpointConfig{Method: "POST", URL: api + "/ticket", Payload: create},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{Method: "PUT", URL: api + "/ticket/$ticket_id", Payload: update},
		Get: httpconn.GetConfig{
			Method:     "GET",
			URL:        api + "/ticket/$ticket_id",
			TitlePath:  "Subject",
			StatusPath: "Status",
		},
		Comment: httpconn.CommentConfig{
			Method:  "POST",
			URL:     api + "/ticket/$ticket_id/" + kind,
			Payload: commentPayload,
		},
		CommentLookup: commentLookup,
		Lookup: httpconn.LookupConfig{
			Method:       "GET",
			URL:          lookupURL,
			ItemsPath:    "items",
			TicketIDPath: "id",
			// Any custom field's values; the connector's Find checks the
			// correlation field by name (and reads tickets listed without
			// custom fields).
			MatchPath: "CustomFields.#.values|@flatten",
		},
		ViewURL:        o.BaseURL + "/Ticket/Display.html?id=$ticket_id",
		HealthURL:      api + "/queue/" + strings.ReplaceAll(url.PathEscape(o.Queue), "$", "$$"),
		Headers:        map[string]string{"Accept": "application/json"},
		BodyFormat:     httpconn.BodyJSON,
		ExtraVariables: append([]string(nil), ExtraVariables...),
		Auth:           o.Auth,
		Network:        o.Network,
		TLS:            o.TLS,
		StatusMap:      Statuses(),
		PriorityMap:    Priorities(),
	}
	return cfg, nil
}

// jsonText returns s escaped for a JSON string literal inside a template:
// JSON escaping, then "$" doubled (a literal dollar in template syntax).
func jsonText(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	q := strings.TrimSuffix(b.String(), "\n")
	q = q[1 : len(q)-1]
	return strings.ReplaceAll(q, "$", "$$")
}

// Subject returns title as RT stores a ticket Subject (see [VarSubject]).
func Subject(title string) string {
	var b strings.Builder
	b.Grow(min(len(title), MaxSubjectBytes))
	space := false
	for _, r := range title {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) <= MaxSubjectBytes {
		return s
	}
	n := MaxSubjectBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], " ")
}

// variables computes the preset's extra variables for one rendering.
func variables(in vars.Input) template.Values {
	v := template.Values{
		VarSubject:      template.String(""),
		VarStatus:       template.Null(),
		VarCreateStatus: template.Null(),
		VarPriority:     template.Null(),
	}
	if in.Case != nil {
		v[VarSubject] = template.String(Subject(in.Case.Title))
	}
	if s := strings.TrimSpace(in.ITSMStatus); s != "" {
		v[VarStatus] = template.String(s)
		if creatable(s) {
			v[VarCreateStatus] = template.String(s)
		}
	}
	if p := strings.TrimSpace(in.Priority); p != "" {
		v[VarPriority] = template.String(p)
	}
	return v
}

func creatable(status string) bool {
	for _, s := range createStatuses {
		if strings.EqualFold(s, status) {
			return true
		}
	}
	return false
}

func e(itsmLabel, c string) statusmap.Entry { return statusmap.Entry{ITSM: itsmLabel, Case: c} }
func ep(itsmLabel, c string) statusmap.Entry {
	return statusmap.Entry{ITSM: itsmLabel, Case: c, Preferred: true}
}

// Statuses maps the statuses of RT's default lifecycle: new → open, open →
// in_progress, stalled → on_hold, resolved → resolved, rejected and
// deleted → closed; the reverse values are new, open, stalled, resolved
// and rejected (a closed case rejects the ticket: make "resolved" your
// closed value instead by editing the map if closing means done for you).
// Unmapped statuses (a custom lifecycle's) are ignored.
func Statuses() statusmap.Map {
	return statusmap.Map{
		Entries: []statusmap.Entry{
			ep("new", string(itsm.StatusOpen)),
			ep("open", string(itsm.StatusInProgress)),
			ep("stalled", string(itsm.StatusOnHold)),
			ep("resolved", string(itsm.StatusResolved)),
			ep("rejected", string(itsm.StatusClosed)),
			e("deleted", string(itsm.StatusClosed)),
		},
		Unmapped: statusmap.Ignore,
	}
}

// Priorities maps RT's numeric priorities to severities. RT 5 names
// priorities by default (%PriorityAsString: Low 0, Medium 50, High 100;
// a number shows as the highest name at or below it) and REST2 answers
// numbers, so the values sent are 0 low, 50 medium, 100 high and 120
// critical (shown as "High" in RT's UI, kept apart by the number); the
// names map too (Low → low, Medium → medium, High → high). Other numbers
// are unmapped (ignored).
func Priorities() statusmap.Map {
	return statusmap.Map{
		Entries: []statusmap.Entry{
			ep("120", string(itsm.SeverityCritical)),
			ep("100", string(itsm.SeverityHigh)),
			e("High", string(itsm.SeverityHigh)),
			ep("50", string(itsm.SeverityMedium)),
			e("Medium", string(itsm.SeverityMedium)),
			ep("0", string(itsm.SeverityLow)),
			e("Low", string(itsm.SeverityLow)),
		},
		Unmapped: statusmap.Ignore,
	}
}
