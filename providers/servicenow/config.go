package servicenow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
)

// Defaults of [Options] and [ConnectorConfig].
const (
	// DefaultName is the integration name a preset gets when Options.Name
	// is empty.
	DefaultName = "ServiceNow"
	// DefaultTable is the Table API table incidents live in.
	DefaultTable = "incident"
	// DefaultCloseCode is the close code sent when an update resolves or
	// closes the incident ("Solved (Permanently)" is one of the default
	// choices of the incident close_code field; instances often rename
	// them: set ConnectorConfig.CloseCode to one of yours).
	DefaultCloseCode = "Solved (Permanently)"
	// CorrelationDisplay is what the preset writes into correlation_display
	// so a ServiceNow admin sees which integration owns correlation_id.
	CorrelationDisplay = "itsmsync"
	// Provider is the httpconn.Config.Provider value of the preset.
	Provider = "servicenow"
	// JournalTable and JournalElement are where the comment lookup finds
	// work notes: each is a sys_journal_field record whose element_id is
	// the incident's sys_id and whose element is "work_notes".
	JournalTable   = "sys_journal_field"
	JournalElement = "work_notes"
)

// Variable names the connector computes (httpconn.Config.ExtraVariables of
// the preset); without [NewConnector] they render as null.
const (
	// VarUrgency and VarImpact are derived from $priority (the ServiceNow
	// priority code of the case severity) with ServiceNow's default
	// priority lookup matrix: 1 → urgency 1 / impact 1, 2 → 1/2, 3 → 2/2,
	// 4 → 2/3 (ServiceNow computes the priority back from them). A
	// priority that is not a code 1-5 renders both as "" (ServiceNow keeps
	// its default).
	VarUrgency = "urgency"
	VarImpact  = "impact"
	// VarCloseCode and VarCloseNotes are the close code and close notes of
	// an update that resolves or closes the incident; "" otherwise.
	VarCloseCode  = "close_code"
	VarCloseNotes = "close_notes"
	// VarShortDescription is $short_description: the case title on one line
	// within [ShortDescriptionLimit] characters ([ShortDescription]).
	VarShortDescription = "short_description"
	// VarDescriptionText is $description_text: the description, then a
	// line linking to the case, within [DescriptionLimit] characters
	// ([DescriptionText]).
	VarDescriptionText = "description_text"
	// VarHoldReason is $hold_reason: ConnectorConfig.HoldReason when the
	// case status maps to On Hold (state 3), else "" (left out).
	VarHoldReason = "hold_reason"
)

// ExtraVariables lists the variables [NewConnector] computes, in the order
// the preset declares them.
var ExtraVariables = []string{VarUrgency, VarImpact, VarCloseCode, VarCloseNotes, VarShortDescription, VarDescriptionText, VarHoldReason}

// omitEmpty are the fields the preset leaves out when they render blank: a
// blank is a value to ServiceNow ("state":"" is not "keep the default").
var omitEmpty = []string{"description", "urgency", "impact", "state", "hold_reason"}

// Options are what a host asks its user for: the instance, the credentials
// and a few defaults for new incidents. The zero value of each optional
// field means its default. It is plain data.
type Options struct {
	// Name is the integration name (default [DefaultName]).
	Name string `json:"name,omitempty"`
	// InstanceURL is the instance's base URL, e.g.
	// "https://dev12345.service-now.com". Required; https unless the host
	// is a loopback address (tests). A trailing slash or path is refused.
	InstanceURL string `json:"instance_url"`
	// Table is the Table API table (default [DefaultTable], "incident").
	// Letters, digits and '_' only.
	Table string `json:"table,omitempty"`
	// Auth is basic (a ServiceNow user with the itil role, or a dedicated
	// integration user) or oauth2 (client credentials; an empty TokenURL
	// becomes <instance>/oauth_token.do). Other types are refused.
	Auth httpconn.AuthConfig `json:"auth"`
	// CallerID and AssignmentGroup, when set, are written into new
	// incidents (caller_id, assignment_group): a sys_id, or a display value
	// ServiceNow resolves (a user name, a group name).
	CallerID        string `json:"caller_id,omitempty"`
	AssignmentGroup string `json:"assignment_group,omitempty"`
	// Category, when set, is written into new incidents (e.g. "network").
	Category string `json:"category,omitempty"`
	// SetClosed sends state 7 (Closed) for a closed case. By default a
	// closed case is sent as 6 (Resolved), like a resolved one: an itil
	// user may resolve but not close, closing is the platform's (after the
	// auto-close period) or an admin's step, and a Closed incident can no
	// longer be updated. Set it only for an integration user allowed to
	// close.
	SetClosed bool `json:"set_closed,omitempty"`
	// NoNoteMarker leaves the note's marker out of work notes, and with it
	// the comment lookup: a note whose outcome is unknown (no answer, a 5xx
	// after sending) is then resent or not per the engine's policy, and may
	// be journaled twice. By default every work note ends with a line
	// "[itsmsync-note-…]" (visible in the activity stream), which the
	// comment lookup finds in sys_journal_field.
	NoNoteMarker bool `json:"no_note_marker,omitempty"`
}

var tableName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)

// Validate reports every problem of o at once as an *itsm.ValidationError
// (wrapping itsm.ErrInvalidConfig), each naming its JSON field
// ("instance_url", "auth.type", ...). It never includes a secret.
func (o Options) Validate() error {
	_, err := o.normalize()
	return err
}

// normalize validates o and returns it with defaults applied.
func (o Options) normalize() (Options, error) {
	var errs []itsm.FieldError
	add := func(field, msg string) { errs = append(errs, itsm.FieldError{Field: field, Message: msg}) }
	base, err := instanceBase(o.InstanceURL)
	if err != nil {
		add("instance_url", err.Error())
	}
	o.InstanceURL = base
	if o.Table == "" {
		o.Table = DefaultTable
	}
	if !tableName.MatchString(o.Table) {
		add("table", "must be a table name (letters, digits, '_')")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	switch o.Auth.Type {
	case httpconn.AuthBasic:
	case httpconn.AuthOAuth2:
		if o.Auth.OAuth2 == nil {
			add("auth.oauth2", "is required with auth type oauth2")
		} else if o.Auth.OAuth2.TokenURL == "" && base != "" {
			cp := *o.Auth.OAuth2
			cp.TokenURL = base + "/oauth_token.do"
			o.Auth.OAuth2 = &cp
		}
	default:
		add("auth.type", fmt.Sprintf("%q is not supported (want basic or oauth2)", clip.Bytes(string(o.Auth.Type), 32)))
	}
	for _, f := range []struct{ field, value string }{{"caller_id", o.CallerID}, {"assignment_group", o.AssignmentGroup}, {"category", o.Category}} {
		if strings.ContainsAny(f.value, "\x00\r\n") || len(f.value) > 256 {
			add(f.field, "must be one line of at most 256 bytes")
		}
	}
	if len(errs) > 0 {
		return o, &itsm.ValidationError{Errors: errs, Component: "servicenow", Subject: "options"}
	}
	return o, nil
}

func instanceBase(raw string) (string, error) {
	return baseurl.Check(raw, "https://dev12345.service-now.com")
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

// Fields read back by get and written by the inbound Business Rule.
const getFields = "sys_id,number,short_description,state,priority,sys_mod_count,sys_updated_on"

// Preset returns the ServiceNow Table API configuration for o: an
// [httpconn.Config] the host stores, shows and edits like any other.
//
//   - create: POST /api/now/table/<table> with short_description,
//     description (the case description and a link back), urgency and
//     impact (from $priority), state ($itsm_status), correlation_id
//     ($correlation_key), correlation_display "itsmsync", and caller_id,
//     assignment_group and category when set; ticket id at result.sys_id,
//     key at result.number.
//   - update: PATCH /api/now/table/<table>/$ticket_id with the same
//     fields but correlation ones. Resolving (state 6) and closing (7) need
//     close_code and close_notes: [NewConnector] adds them to that update
//     only (see [Connector]).
//   - comment: PATCH the incident with {"work_notes": "$note_text"}, the
//     text followed by a blank line and "[$note_marker]" (unless
//     NoNoteMarker). A work note is a journal entry, not a record of its
//     own: the response carries no comment id, so Comment returns an
//     empty id.
//   - comment lookup (unless NoNoteMarker): GET sys_journal_field with
//     sysparm_query=element_id=$ticket_id^element=work_notes
//     ^valueLIKE$note_marker; each entry's value must hold the marker and
//     its element_id be the incident (checked here, not only by the
//     query); the comment id is the journal entry's sys_id.
//   - get: GET the incident with sysparm_fields; title at
//     result.short_description, status at result.state (the state code).
//   - lookup: GET <table>?sysparm_query=correlation_id=$correlation_key
//     &sysparm_limit=1; the ticket at result.0.sys_id / result.0.number.
//   - view URL: <instance>/nav_to.do?uri=<table>.do?sys_id=$ticket_id (the
//     uri parameter percent-encoded; it opens the record in the classic
//     frameset and, on Next Experience instances, redirects to
//     /now/nav/ui/classic/params/target/...).
//   - health: GET <table>?sysparm_limit=1&sysparm_fields=sys_id.
//   - status map [statusmap.ServiceNowStates] (state codes both ways),
//     priority map [statusmap.ServiceNowPriorities].
//
// Every part is editable afterwards. Preset validates o
// ([Options.Validate]); it does not require the secrets to be filled (a UI
// may build the config first), so run [httpconn.Config.Validate] before use.
func Preset(o Options) (httpconn.Config, error) {
	o, err := o.normalize()
	if err != nil {
		return httpconn.Config{}, err
	}
	table := o.Table
	api := o.InstanceURL + "/api/now/table/" + table

	var extraCreate strings.Builder
	for _, f := range []struct{ key, val string }{{"caller_id", o.CallerID}, {"assignment_group", o.AssignmentGroup}, {"category", o.Category}} {
		if f.val != "" {
			fmt.Fprintf(&extraCreate, ",\n  %q: \"%s\"", f.key, jsonText(f.val))
		}
	}
	create := `{
  "short_description": "$short_description",
  "description": "$description_text",
  "urgency": "$urgency",
  "impact": "$impact",
  "state": "$itsm_status",
  "hold_reason": "$hold_reason",
  "correlation_id": "$correlation_key",
  "correlation_display": "` + CorrelationDisplay + `"` + extraCreate.String() + `
}`
	update := `{
  "short_description": "$short_description",
  "description": "$description_text",
  "urgency": "$urgency",
  "impact": "$impact",
  "state": "$itsm_status",
  "hold_reason": "$hold_reason"
}`
	states := statusmap.ServiceNowStates()
	if !o.SetClosed {
		// Closed cases resolve; the platform or an admin closes.
		states.Outbound = []statusmap.Entry{{Case: string(itsm.StatusClosed), ITSM: "6"}}
	}
	markerLine, lookup := `\n\n[$note_marker]`, httpconn.CommentLookupConfig{
		Method: "GET",
		URL: o.InstanceURL + "/api/now/table/" + JournalTable + "?sysparm_query=element_id%3D$ticket_id%5Eelement%3D" + JournalElement +
			"%5EvalueLIKE$note_marker&sysparm_fields=sys_id,element_id,element,value&sysparm_limit=10",
		ItemsPath:  "result",
		MatchPath:  "value",
		IDPath:     "sys_id",
		TicketPath: "element_id",
	}
	if o.NoNoteMarker {
		markerLine, lookup = "", httpconn.CommentLookupConfig{}
	}
	cfg := httpconn.Config{
		Name:          o.Name,
		Provider:      Provider,
		Create:        httpconn.EndpointConfig{Method: "POST", URL: api + "?sysparm_exclude_reference_link=true", Payload: create, OmitEmpty: slices.Clone(omitEmpty)},
		TicketIDPath:  "result.sys_id",
		TicketKeyPath: "result.number",
		Update:        httpconn.EndpointConfig{Method: "PATCH", URL: api + "/$ticket_id?sysparm_exclude_reference_link=true", Payload: update, OmitEmpty: slices.Clone(omitEmpty)},
		Get: httpconn.GetConfig{
			Method:     "GET",
			URL:        api + "/$ticket_id?sysparm_fields=" + getFields + "&sysparm_exclude_reference_link=true",
			TitlePath:  "result.short_description",
			StatusPath: "result.state",
		},
		Comment: httpconn.CommentConfig{
			Method:  "PATCH",
			URL:     api + "/$ticket_id?sysparm_fields=sys_id",
			Payload: `{"work_notes": "$note_text` + markerLine + `"}`,
		},
		CommentLookup: lookup,
		Lookup: httpconn.LookupConfig{
			Method: "GET",
			// Oldest first; correlation_id is read back and checked: an
			// encoded query with a term the instance does not know (a
			// table without the field) drops that term and may list
			// every record (ServiceNow GlideRecord documentation,
			// glide.invalid_query.returns_no_rows).
			URL:           api + "?sysparm_query=correlation_id%3D$correlation_key%5EORDERBYsys_created_on&sysparm_limit=20&sysparm_fields=sys_id,number,correlation_id",
			ItemsPath:     "result",
			TicketIDPath:  "sys_id",
			TicketKeyPath: "number",
			MatchPath:     "correlation_id",
		},
		ViewURL:        o.InstanceURL + "/nav_to.do?uri=" + table + ".do%3Fsys_id%3D$ticket_id",
		HealthURL:      api + "?sysparm_limit=1&sysparm_fields=sys_id",
		Headers:        map[string]string{"Accept": "application/json"},
		BodyFormat:     httpconn.BodyJSON,
		ExtraVariables: append([]string(nil), ExtraVariables...),
		Auth:           o.Auth,
		StatusMap:      states,
		PriorityMap:    statusmap.ServiceNowPriorities(),
	}
	return cfg, nil
}
