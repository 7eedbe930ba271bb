package itsm

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/itsmsync/itsmsync/template"
)

// Variable names, without the "$". The README's variable table documents each.
const (
	VarCaseID         = "case_id"
	VarCaseName       = "case_name"
	VarDescription    = "description"
	VarSeverity       = "severity"
	VarStatus         = "status"
	VarTags           = "tags"
	VarAssignee       = "assignee"
	VarCaseURL        = "case_url"
	VarCreatedAt      = "created_at"
	VarUpdatedAt      = "updated_at"
	VarPriority       = "priority"
	VarITSMStatus     = "itsm_status"
	VarCorrelationKey = "correlation_key"
	VarTicketID       = "ticket_id"
	VarTicketKey      = "ticket_key"
	VarNoteID         = "note_id"
	VarNoteText       = "note_text"
	VarNoteAuthor     = "note_author"
	VarNoteCreatedAt  = "note_created_at"
	// VarFieldsPrefix is the prefix of custom fields: $fields.hostname.
	VarFieldsPrefix = "fields."
)

// VariableInfo documents one template variable.
type VariableInfo struct {
	Name        string // without "$"
	Description string
	Example     string
}

// CaseVariables are available in every template. $fields.<name> is too.
var CaseVariables = []VariableInfo{
	{VarCaseID, "the case id in the SIEM", "CASE-1042"},
	{VarCaseName, "the case title", `Brute force on "vpn-gw-01"`},
	{VarDescription, "the case description (plain text)", "Multiple failed logins ..."},
	{VarSeverity, "the case severity: low, medium, high, critical", "high"},
	{VarStatus, "the case status: open, in_progress, on_hold, resolved, closed", "open"},
	{VarTags, "the case tags: a JSON array as a whole value, comma-separated elsewhere", `["vpn","auth"]`},
	{VarAssignee, "the case assignee", "alice@example.com"},
	{VarCaseURL, "the link to the case in the SIEM", "https://siem.example.com/cases/1042"},
	{VarCreatedAt, "when the case was created, RFC 3339 UTC", "2026-11-28T03:00:00Z"},
	{VarUpdatedAt, "when the case was last updated, RFC 3339 UTC", "2026-11-28T03:10:00Z"},
	{VarPriority, "the ITSM priority mapped from the severity (priority map)", "High"},
	{VarITSMStatus, "the ITSM status mapped from the case status (status map)", "In Progress"},
	{VarCorrelationKey, "a stable key derived from the integration and case, put into the ticket so a create with an unknown outcome can be found again", "itsmsync-3f2a9c0d1b7e4a55"},
}

// TicketVariables are available where a ticket exists: update, get, comment
// and view URL templates.
var TicketVariables = []VariableInfo{
	{VarTicketID, "the ticket id the ITSM returned at create", "10042"},
	{VarTicketKey, "the ticket's human-readable key or number when it has one, else the id", "SEC-42"},
}

// NoteVariables are available in the comment (notes) templates.
var NoteVariables = []VariableInfo{
	{VarNoteID, "the note id in the SIEM", "note-7"},
	{VarNoteText, "the note text", "Blocked the source IP at the firewall."},
	{VarNoteAuthor, "the note author", "alice@example.com"},
	{VarNoteCreatedAt, "when the note was written, RFC 3339 UTC", "2026-11-28T03:05:00Z"},
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
func KnownVariables(scope Scope, extra ...string) []string {
	var out []string
	for _, v := range CaseVariables {
		out = append(out, v.Name)
	}
	if scope >= ScopeTicket {
		for _, v := range TicketVariables {
			out = append(out, v.Name)
		}
	}
	if scope >= ScopeNote {
		for _, v := range NoteVariables {
			out = append(out, v.Name)
		}
	}
	out = append(out, VarFieldsPrefix)
	return append(out, extra...)
}

// VarInput is what template variables are computed from. Case is required;
// Ticket and Note are set where they exist.
type VarInput struct {
	Case   *Case
	Ticket *Ticket
	Note   *Note
	// Priority and ITSMStatus are the mapped ITSM values ($priority,
	// $itsm_status); empty when no map is configured.
	Priority   string
	ITSMStatus string
	// CorrelationKey is $correlation_key; see [CorrelationKey].
	CorrelationKey string
	// Extra adds or overrides variables (provider computed variables).
	Extra template.Values
}

// Variables turns a case (and ticket, and note) into template variables. Times
// are RFC 3339 in UTC, empty when zero. Custom fields become
// "fields.<name>". Extra entries are added last and win.
func Variables(in VarInput) template.Values {
	v := make(template.Values, 24)
	if c := in.Case; c != nil {
		v[VarCaseID] = template.String(c.ID)
		v[VarCaseName] = template.String(c.Title)
		v[VarDescription] = template.String(c.Description)
		v[VarSeverity] = template.String(string(c.Severity))
		v[VarStatus] = template.String(string(c.Status))
		tags := c.Tags
		if tags == nil {
			tags = []string{}
		}
		v[VarTags] = template.Strings(tags)
		v[VarAssignee] = template.String(c.Assignee)
		v[VarCaseURL] = template.String(c.URL)
		v[VarCreatedAt] = template.String(formatTime(c.CreatedAt))
		v[VarUpdatedAt] = template.String(formatTime(c.UpdatedAt))
		for name, val := range c.Fields {
			v[VarFieldsPrefix+name] = fieldValue(val)
		}
	}
	v[VarPriority] = template.String(in.Priority)
	v[VarITSMStatus] = template.String(in.ITSMStatus)
	v[VarCorrelationKey] = template.String(in.CorrelationKey)
	if t := in.Ticket; t != nil {
		v[VarTicketID] = template.String(t.ID)
		key := t.Key
		if key == "" {
			key = t.ID
		}
		v[VarTicketKey] = template.String(key)
	}
	if n := in.Note; n != nil {
		v[VarNoteID] = template.String(n.ID)
		v[VarNoteText] = template.String(n.Text)
		v[VarNoteAuthor] = template.String(n.Author)
		v[VarNoteCreatedAt] = template.String(formatTime(n.CreatedAt))
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

