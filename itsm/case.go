package itsm

import (
	"fmt"
	"github.com/itsmsync/itsmsync/internal/clip"
	"strings"
	"time"
)

// Status is a case status in the SIEM. The SDK knows five; a host with other
// statuses maps them onto these.
type Status string

// Case statuses.
const (
	StatusOpen       Status = "open"
	StatusInProgress Status = "in_progress"
	StatusOnHold     Status = "on_hold"
	StatusResolved   Status = "resolved"
	StatusClosed     Status = "closed"
)

// Statuses lists every known case status in workflow order.
var Statuses = []Status{StatusOpen, StatusInProgress, StatusOnHold, StatusResolved, StatusClosed}

// ParseStatus parses a case status, ignoring case, surrounding space and the
// separator between words ("In Progress", "in-progress" and "IN_PROGRESS" are
// all [StatusInProgress]). An unknown status is an *InvalidValueError
// wrapping [ErrInvalidStatus].
func ParseStatus(s string) (Status, error) {
	switch normalizeWord(s) {
	case "open", "new":
		return StatusOpen, nil
	case "in_progress", "inprogress", "active":
		return StatusInProgress, nil
	case "on_hold", "onhold", "pending":
		return StatusOnHold, nil
	case "resolved":
		return StatusResolved, nil
	case "closed", "done":
		return StatusClosed, nil
	}
	return "", &InvalidValueError{Field: "status", Value: s, Err: ErrInvalidStatus}
}

// Valid reports whether s is one of [Statuses].
func (s Status) Valid() bool {
	for _, k := range Statuses {
		if s == k {
			return true
		}
	}
	return false
}

// IsTerminal reports whether s ends the case's work (resolved or closed).
func (s Status) IsTerminal() bool { return s == StatusResolved || s == StatusClosed }

// Severity is a case severity.
type Severity string

// Case severities, from least to most severe.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every known severity from least to most severe.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// ParseSeverity parses a severity, ignoring case and surrounding space; "info"
// and "informational" are [SeverityLow], "moderate" is [SeverityMedium]. An
// unknown severity is an *InvalidValueError wrapping [ErrInvalidSeverity].
func ParseSeverity(s string) (Severity, error) {
	switch normalizeWord(s) {
	case "low", "info", "informational":
		return SeverityLow, nil
	case "medium", "moderate":
		return SeverityMedium, nil
	case "high":
		return SeverityHigh, nil
	case "critical":
		return SeverityCritical, nil
	}
	return "", &InvalidValueError{Field: "severity", Value: s, Err: ErrInvalidSeverity}
}

// Valid reports whether s is one of [Severities].
func (s Severity) Valid() bool {
	for _, k := range Severities {
		if s == k {
			return true
		}
	}
	return false
}

// wordSeparators turns the separators between words into "_"; built once,
// as a Replacer is safe for concurrent use and costly to build.
var wordSeparators = strings.NewReplacer(" ", "_", "-", "_")

func normalizeWord(s string) string {
	return wordSeparators.Replace(strings.ToLower(strings.TrimSpace(s)))
}

// InvalidValueError reports a value that does not parse. Value is the input,
// quoted in the message and truncated to 64 bytes.
type InvalidValueError struct {
	Field string
	Value string
	Err   error
}

// Error implements the error interface.
func (e *InvalidValueError) Error() string {
	return fmt.Sprintf("itsm: invalid %s %q", e.Field, clip.Bytes(e.Value, 64))
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *InvalidValueError) Unwrap() error { return e.Err }

// Case is the SIEM side of a sync: what a ticket is created from and kept in
// step with. Only ID and Title are required.
type Case struct {
	// ID identifies the case in the SIEM; it is the key of every link,
	// cooldown and lease.
	ID string `json:"id"`
	// Title is the case name ($case_name).
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Severity    Severity `json:"severity,omitempty"`
	Status      Status   `json:"status,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Assignee    string   `json:"assignee,omitempty"`
	// URL links back to the case in the SIEM ($case_url).
	URL       string    `json:"url,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Fields holds custom fields, available as $fields.<name>. Values may be
	// string, []string, bool, any integer or float type, json.Number, or nil;
	// anything else is rendered with fmt's %v.
	Fields map[string]any `json:"fields,omitempty"`
}

// Validate checks the fields a sync needs: a non-empty ID and Title and, when
// set, a known Severity and Status. It returns a *ValidationError listing every
// problem and wrapping [ErrInvalidInput].
func (c *Case) Validate() error {
	var errs []FieldError
	if c == nil {
		return &ValidationError{Errors: []FieldError{{Field: "case", Message: "is nil"}}, Input: true}
	}
	if strings.TrimSpace(c.ID) == "" {
		errs = append(errs, FieldError{Field: "id", Message: "is required"})
	}
	if strings.TrimSpace(c.Title) == "" {
		errs = append(errs, FieldError{Field: "title", Message: "is required"})
	}
	if c.Severity != "" && !c.Severity.Valid() {
		errs = append(errs, FieldError{Field: "severity", Message: fmt.Sprintf("unknown severity %q", c.Severity)})
	}
	if c.Status != "" && !c.Status.Valid() {
		errs = append(errs, FieldError{Field: "status", Message: fmt.Sprintf("unknown status %q", c.Status)})
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs, Input: true}
	}
	return nil
}

// Note is a case note, posted to the ticket as a comment.
type Note struct {
	// ID identifies the note in the SIEM; a note is posted once per ID.
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	Author    string    `json:"author,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Ticket is the ITSM side: what a create returns and a get reads.
type Ticket struct {
	// ID is the ticket id the ITSM's API addresses ($ticket_id), e.g. Jira's
	// "10042" or key "SEC-42", ServiceNow's sys_id. Kept exactly as the ITSM
	// sent it (numeric ids are not converted through float).
	ID string `json:"id"`
	// Key is a human-readable reference when it differs from ID, e.g.
	// ServiceNow's "INC0010002" ($ticket_key). Empty when the ITSM has none.
	Key string `json:"key,omitempty"`
	// URL is where a person views the ticket (the config's view URL).
	URL string `json:"url,omitempty"`
	// Title and Status are what a get read back (Status is the ITSM's label).
	Title          string `json:"title,omitempty"`
	Status         string `json:"status,omitempty"`
	StatusCategory string `json:"status_category,omitempty"`
}

// Comment is a note as posted on the ticket.
type Comment struct {
	// ID is the ITSM's id for the comment, when the response carries one.
	ID string `json:"id,omitempty"`
}
