package rt

import (
	"errors"
	"regexp"
	"strings"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// Sentinels of the errors this package returns; test with errors.Is.
var (
	// ErrRefused: RT answered 2xx but refused a change the request asked
	// for (RT's REST2 reports per-field results in a 200 body instead of an
	// error status). A [*RefusalError] wraps it.
	ErrRefused = errors.New("rt: change refused")
	// ErrQueueNotFound: the queue of the options does not exist (or the
	// user cannot see it). A [*SetupError] wraps it.
	ErrQueueNotFound = errors.New("rt: queue not found")
	// ErrPermission: the RT user lacks a right the operation needs. A
	// [*SetupError] or a [*RefusalError] wraps it.
	ErrPermission = errors.New("rt: permission denied")
	// ErrFieldMissing: the correlation custom field does not exist or does
	// not apply to the queue, so tickets cannot be found again by their
	// key. A [*SetupError] wraps it.
	ErrFieldMissing = errors.New("rt: correlation custom field missing")
)

// RefusalError is a change RT refused inside a 2xx answer: one of the
// messages of a PUT /ticket/N answer (["Ticket 12: Status 'x' isn't a
// valid status for this ticket."]) or of a status change after a create.
// It wraps [ErrRefused], and [ErrPermission] when RT said "Permission
// Denied". It has no HTTP status on purpose: the request was answered, the
// change was not made.
type RefusalError struct {
	// Op is the operation (update, or "set status" after a create).
	Op itsm.Operation
	// TicketID is the RT ticket.
	TicketID string
	// Field is the ticket field RT refused ("Status", "Subject",
	// "Priority"), "" when RT's message does not say.
	Field string
	// Message is RT's message, at most 300 bytes.
	Message string
}

func (e *RefusalError) Error() string {
	what := "a change"
	if e.Field != "" {
		what = "the " + e.Field + " change"
	}
	return "rt: " + string(e.Op) + " ticket " + e.TicketID + ": RT refused " + what + ": " + e.Message
}

// Unwrap returns ErrRefused (and ErrPermission for "Permission Denied").
func (e *RefusalError) Unwrap() []error {
	if permissionMessage(e.Message) {
		return []error{ErrRefused, ErrPermission}
	}
	return []error{ErrRefused}
}

// SetupError is something missing in RT's setup that an RT administrator
// must fix; AdminStep says what to do. It wraps Err ([ErrQueueNotFound],
// [ErrPermission] or [ErrFieldMissing]) and Cause (the RT answer that
// showed it, an *httpconn.HTTPError, or nil).
type SetupError struct {
	// Op is the operation that found it.
	Op itsm.Operation
	// Field is the preset option concerned: "queue", "correlation_field"
	// or "auth".
	Field string
	// AdminStep is the step an RT administrator must take.
	AdminStep string
	// Err is the sentinel; Cause the RT answer (may be nil).
	Err   error
	Cause error
}

func (e *SetupError) Error() string {
	msg := "rt: " + string(e.Op) + ": " + strings.TrimPrefix(e.Err.Error(), "rt: ") + " (" + e.Field + "): " + e.AdminStep
	if e.Cause != nil {
		msg += " (RT said: " + clip.Bytes(strings.TrimPrefix(e.Cause.Error(), "httpconn: "), 300) + ")"
	}
	return msg
}

// Unwrap returns Err and Cause, and [ErrPermission] when RT answered 401
// or 403 (a 403 for a queue may mean either).
func (e *SetupError) Unwrap() []error {
	errs := []error{e.Err}
	var he *httpconn.HTTPError
	if e.Err != ErrPermission && errors.As(e.Cause, &he) && (he.StatusCode == 401 || he.StatusCode == 403) {
		errs = append(errs, ErrPermission)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// Admin steps named by [SetupError].
const (
	stepQueue      = "the queue does not exist or the RT user may not see it: create the queue (Admin > Queues > Create) or correct the queue option, and grant the RT user SeeQueue, CreateTicket, ShowTicket, ModifyTicket and CommentOnTicket on it (Admin > Queues > <queue> > User Rights)"
	stepField      = "create a Freeform single-value ticket custom field with that name and apply it to the queue (Admin > Custom Fields > Create, then Applies to: the queue), grant SeeCustomField and ModifyCustomField on it, or run EnsureCorrelationField with an admin user"
	stepFieldApply = "apply the custom field to the queue (Admin > Custom Fields > <field> > Applies to) and grant SeeCustomField and ModifyCustomField on it"
	stepAdminRight = "the RT user lacks AdminCustomField (and AdminCustomFieldValues) to create it: " + stepField
	stepAuth       = "check the credentials: an enabled, privileged RT user with its password, or an auth token of that user (Settings > Auth Tokens)"
)

// refusalPatterns are the failure messages of RT's ticket setters
// (lib/RT/Ticket.pm SetStatus/_SetStatus, lib/RT/Record.pm _Set and
// Update, DBIx::SearchBuilder::Record), in RT's default language.
var refusalPatterns = regexp.MustCompile(`(?i)isn't a valid|can't change|cannot change|permission denied|could not|couldn't|could not be set to|illegal value|invalid data|invalid value|immutable field|nonexistant field|no column specified|unable to|not allowed`)

// changedFrom is the start of a setter's success message once ticketPrefix
// is removed ("Subject changed from 'a' to 'b'", RT::Record::_Set): it
// quotes the old and new values, which may read like a refusal (a case
// title "Permission denied for root"), so it is never one.
var changedFrom = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_ .-]{0,100} changed from `)

// ticketPrefix is the "Ticket 12: " RT puts before each update message.
var ticketPrefix = regexp.MustCompile(`^(?:Ticket|Queue|User|Group) [^:]{0,200}: `)

// fieldOf names the ticket field an RT message is about ("" when unsure).
func fieldOf(msg string) string {
	m := ticketPrefix.ReplaceAllString(msg, "")
	lower := strings.ToLower(m)
	for _, f := range []string{"Status", "Subject", "Priority", "Queue", "Owner"} {
		lf := strings.ToLower(f)
		if strings.HasPrefix(lower, lf) || strings.HasPrefix(lower, "'"+lf) || strings.Contains(lower, " "+lf+" ") || strings.Contains(lower, "change "+lf) {
			return f
		}
	}
	return ""
}

func permissionMessage(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "permission denied")
}

// refusals returns the messages of an RT per-field answer that refuse a
// change.
func refusals(messages []string) []string {
	var out []string
	for _, m := range messages {
		if refusalPatterns.MatchString(m) && !changedFrom.MatchString(ticketPrefix.ReplaceAllString(m, "")) {
			out = append(out, m)
		}
	}
	return out
}
