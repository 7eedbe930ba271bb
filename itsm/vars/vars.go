// Package vars turns a case, its ticket and a note into the $variables of
// templates ([Values]), and says which variables a template of each kind may
// use ([Known]). The README's variable table documents each name.
package vars

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/template"
)

// Variable names, without the "$". The README's variable table documents each.
const (
	CaseID         = "case_id"
	CaseName       = "case_name"
	Description    = "description"
	Severity       = "severity"
	Status         = "status"
	Tags           = "tags"
	Assignee       = "assignee"
	CaseURL        = "case_url"
	CreatedAt      = "created_at"
	UpdatedAt      = "updated_at"
	Priority       = "priority"
	ITSMStatus     = "itsm_status"
	CorrelationKey = "correlation_key"
	TicketID       = "ticket_id"
	TicketKey      = "ticket_key"
	NoteID         = "note_id"
	NoteText       = "note_text"
	NoteAuthor     = "note_author"
	NoteCreatedAt  = "note_created_at"
	NoteMarker     = "note_marker"
	// VarFieldsPrefix is the prefix of custom fields: $fields.hostname.
	FieldsPrefix = "fields."
)

// VariableInfo documents one template variable.
type Info struct {
	Name        string // without "$"
	Description string
	Example     string
}

// CaseVariables are available in every template. $fields.<name> is too.
var ForCase = []Info{
	{CaseID, "the case id in the SIEM", "CASE-1042"},
	{CaseName, "the case title", `Brute force on "vpn-gw-01"`},
	{Description, "the case description (plain text)", "Multiple failed logins ..."},
	{Severity, "the case severity: low, medium, high, critical", "high"},
	{Status, "the case status: open, in_progress, on_hold, resolved, closed", "open"},
	{Tags, "the case tags: a JSON array as a whole value, comma-separated elsewhere", `["vpn","auth"]`},
	{Assignee, "the case assignee", "alice@example.com"},
	{CaseURL, "the link to the case in the SIEM", "https://siem.example.com/cases/1042"},
	{CreatedAt, "when the case was created, RFC 3339 UTC", "2026-11-28T03:00:00Z"},
	{UpdatedAt, "when the case was last updated, RFC 3339 UTC", "2026-11-28T03:10:00Z"},
	{Priority, "the ITSM priority mapped from the severity (priority map)", "High"},
	{ITSMStatus, "the ITSM status mapped from the case status (status map)", "In Progress"},
	{CorrelationKey, "a stable key derived from the integration and case, put into the ticket so a create with an unknown outcome can be found again", "itsmsync-3f2a9c0d1b7e4a55"},
}

// TicketVariables are available where a ticket exists: update, get, comment
// and view URL templates.
var ForTicket = []Info{
	{TicketID, "the ticket id the ITSM returned at create", "10042"},
	{TicketKey, "the ticket's human-readable key or number when it has one, else the id", "SEC-42"},
}

// NoteVariables are available in the comment (notes) templates.
var ForNote = []Info{
	{NoteID, "the note id in the SIEM", "note-7"},
	{NoteText, "the note text", "Blocked the source IP at the firewall."},
	{NoteAuthor, "the note author", "alice@example.com"},
	{NoteCreatedAt, "when the note was written, RFC 3339 UTC", "2026-11-28T03:05:00Z"},
	{NoteMarker, "the note's marker (itsm.NoteMarker of $correlation_key and $note_id): written with the comment so a comment lookup can find it after an unknown outcome; holds no case text", "itsmsync-note-6f1c0a9e2b7d4c3a8e5f1b2c3d4e5f60"},
}

// Scope selects which variables a template may use.
type Scope int

// Template scopes, from fewest variables to most.
const (
	// ScopeCase: case variables only (create payload and URL).
	ScopeCase Scope = iota
	// ScopeTicket: case and ticket variables (update, get, view URL).
	ScopeTicket
	// ScopeNote: case, ticket and note variables (comment).
	ScopeNote
)

// KnownVariables returns the variable names a template of the given scope may
// use, plus "fields." for custom fields, and any extra names (provider
// computed variables such as Jira's description_adf). The result is suitable
// for template.Options.Known.
func Known(scope Scope, extra ...string) []string {
	var out []string
	for _, v := range ForCase {
		out = append(out, v.Name)
	}
	if scope >= ScopeTicket {
		for _, v := range ForTicket {
			out = append(out, v.Name)
		}
	}
	if scope >= ScopeNote {
		for _, v := range ForNote {
			out = append(out, v.Name)
		}
	}
	out = append(out, FieldsPrefix)
	return append(out, extra...)
}

// VarInput is what template variables are computed from. Case is required;
// Ticket and Note are set where they exist.
type Input struct {
	Case   *itsm.Case
	Ticket *itsm.Ticket
	Note   *itsm.Note
	// Priority and ITSMStatus are the mapped ITSM values ($priority,
	// $itsm_status); empty when no map is configured.
	Priority   string
	ITSMStatus string
	// CorrelationKey is $correlation_key; see [itsm.CorrelationKey].
	CorrelationKey string
	// Extra adds or overrides variables (provider computed variables).
	Extra template.Values
}

// Variables turns a case (and ticket, and note) into template variables. Times
// are RFC 3339 in UTC, empty when zero. Custom fields become
// "fields.<name>". Extra entries are added last and win.
func Values(in Input) template.Values {
	v := make(template.Values, 24)
	if c := in.Case; c != nil {
		v[CaseID] = template.String(c.ID)
		v[CaseName] = template.String(c.Title)
		v[Description] = template.String(c.Description)
		v[Severity] = template.String(string(c.Severity))
		v[Status] = template.String(string(c.Status))
		tags := c.Tags
		if tags == nil {
			tags = []string{}
		}
		v[Tags] = template.Strings(tags)
		v[Assignee] = template.String(c.Assignee)
		v[CaseURL] = template.String(c.URL)
		v[CreatedAt] = template.String(formatTime(c.CreatedAt))
		v[UpdatedAt] = template.String(formatTime(c.UpdatedAt))
		for name, val := range c.Fields {
			v[FieldsPrefix+name] = fieldValue(val)
		}
	}
	v[Priority] = template.String(in.Priority)
	v[ITSMStatus] = template.String(in.ITSMStatus)
	v[CorrelationKey] = template.String(in.CorrelationKey)
	if t := in.Ticket; t != nil {
		v[TicketID] = template.String(t.ID)
		key := t.Key
		if key == "" {
			key = t.ID
		}
		v[TicketKey] = template.String(key)
	}
	if n := in.Note; n != nil {
		v[NoteID] = template.String(n.ID)
		v[NoteText] = template.String(n.Text)
		v[NoteAuthor] = template.String(n.Author)
		v[NoteCreatedAt] = template.String(formatTime(n.CreatedAt))
		v[NoteMarker] = template.String(itsm.NoteMarker(in.CorrelationKey, n.ID))
	}
	for k, val := range in.Extra {
		v[k] = val
	}
	return v
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fieldValue(x any) template.Value {
	switch x := x.(type) {
	case nil:
		return template.Null()
	case string:
		return template.String(x)
	case []string:
		return template.Strings(x)
	case bool:
		return template.Bool(x)
	case int:
		return template.Int(int64(x))
	case int8:
		return template.Int(int64(x))
	case int16:
		return template.Int(int64(x))
	case int32:
		return template.Int(int64(x))
	case int64:
		return template.Int(x)
	case uint8:
		return template.Int(int64(x))
	case uint16:
		return template.Int(int64(x))
	case uint32:
		return template.Int(int64(x))
	case uint:
		// Above math.MaxInt64 for int64; its decimal text is a JSON number.
		return template.Raw(strconv.FormatUint(uint64(x), 10))
	case uint64:
		return template.Raw(strconv.FormatUint(x, 10))
	case float32:
		return template.Float(float64(x))
	case float64:
		return template.Float(x)
	case json.Number:
		// json.Valid, not strconv: ParseFloat accepts "NaN", "Inf" and hex
		// floats, which are not JSON numbers.
		if b := []byte(x); json.Valid(b) && len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
			return template.Raw(string(x))
		}
		return template.String(string(x))
	case time.Time:
		return template.String(formatTime(x))
	case []any:
		items := make([]string, 0, len(x))
		for _, it := range x {
			items = append(items, fmt.Sprint(it))
		}
		return template.Strings(items)
	}
	return template.String(fmt.Sprint(x))
}
