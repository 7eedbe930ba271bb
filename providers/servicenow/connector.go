package servicenow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/template"
)

// DefaultResolveStates are the state codes whose update must carry
// close_code and close_notes (6 Resolved, 7 Closed).
var DefaultResolveStates = []string{"6", "7"}

// DefaultCloseNotesField is the case custom field read for close notes.
const DefaultCloseNotesField = "close_notes"

// ConnectorConfig holds the settings of [NewConnector]. The zero value of
// every field means its default. It is plain data; persist it next to the
// httpconn.Config when you change it.
type ConnectorConfig struct {
	// CloseCode is sent as close_code when an update resolves or closes the
	// incident (default [DefaultCloseCode]). It must be one of the choices
	// of your instance's close_code field.
	CloseCode string `json:"close_code,omitempty"`
	// CloseNotesField is the case custom field ($fields.<name>) whose text
	// becomes close_notes (default [DefaultCloseNotesField]). When the case
	// has no such field, the notes are "Resolved in the SIEM: <title>" and
	// the case URL.
	CloseNotesField string `json:"close_notes_field,omitempty"`
	// ResolveStates are the state codes ($itsm_status after the status
	// map) that need close_code and close_notes (default
	// [DefaultResolveStates]).
	ResolveStates []string `json:"resolve_states,omitempty"`
	// HoldReason is sent as hold_reason when the case status maps to On
	// Hold (state 3), which ServiceNow's data policy requires (default
	// [DefaultHoldReason]). It must be one of your instance's
	// hold_reason choices: 1 Awaiting Caller, 3 Awaiting Problem, 4
	// Awaiting Vendor, 5 Awaiting Change in the base system.
	HoldReason string `json:"hold_reason,omitempty"`
}

// DefaultHoldReason is the hold_reason sent for On Hold: "1", Awaiting
// Caller in the base system's choice list.
const DefaultHoldReason = "1"

// onHoldState is the incident state On Hold.
const onHoldState = "3"

// ErrBlankNote is a note without text: ServiceNow records nothing for a
// blank work note, so [Connector.Comment] sends nothing and returns an
// *itsm.ValidationError (Input, wrapping itsm.ErrInvalidInput) that also
// matches it.
var ErrBlankNote = errors.New("servicenow: the note is blank: ServiceNow records no empty work note")

type blankNoteError struct{ *itsm.ValidationError }

func (e *blankNoteError) Unwrap() []error { return []error{e.ValidationError, ErrBlankNote} }

func (o ConnectorConfig) withDefaults() ConnectorConfig {
	if strings.TrimSpace(o.CloseCode) == "" {
		o.CloseCode = DefaultCloseCode
	}
	if strings.TrimSpace(o.CloseNotesField) == "" {
		o.CloseNotesField = DefaultCloseNotesField
	}
	if len(o.ResolveStates) == 0 {
		o.ResolveStates = slices.Clone(DefaultResolveStates)
	}
	if strings.TrimSpace(o.HoldReason) == "" {
		o.HoldReason = DefaultHoldReason
	}
	return o
}

// Connector is the ServiceNow connector: an httpconn.Connector built from
// the preset's config, plus the one quirk templates cannot express —
// resolving or closing an incident needs close_code and close_notes, which
// must not be sent (or cleared) on other updates. It keeps two HTTP
// connectors: the config as is, and a copy whose update (and create)
// payload also sets close_code and close_notes, used when the case status
// maps to a resolve state. It computes $urgency, $impact, $close_code and
// $close_notes.
//
// It implements itsm.Connector, itsm.Finder and the optional
// itsm.FindCapable, itsm.CallBudgeter and itsm.StatusMapperProvider, and is
// safe for concurrent use.
type Connector struct {
	base    *httpconn.Connector
	resolve *httpconn.Connector // nil when the update template handles close fields itself
	opts    ConnectorConfig
	cfg     httpconn.Config
}

var (
	_ itsm.Connector            = (*Connector)(nil)
	_ itsm.Finder               = (*Connector)(nil)
	_ itsm.FindCapable          = (*Connector)(nil)
	_ itsm.CallBudgeter         = (*Connector)(nil)
	_ itsm.StatusMapperProvider = (*Connector)(nil)
	_ itsm.CommentFinder        = (*Connector)(nil)
	_ itsm.CommentFindCapable   = (*Connector)(nil)
)

// NewConnector builds the ServiceNow connector for cfg (normally from
// [Preset], possibly edited) with the settings of cc; opts inject the
// clock, logger and audit sink. A cfg missing the preset's extra variables
// gets them added. The resolve variant appends
// "close_code": "$close_code", "close_notes": "$close_notes" to the update
// (and create) payload's top-level object, unless the payload already uses
// $close_code (then it is used as is for every update). Whether an update
// resolves is decided with cfg.StatusMap. An invalid cfg is one
// *itsm.ValidationError (wrapping itsm.ErrInvalidConfig) listing every
// problem. No network I/O happens here.
func NewConnector(cfg httpconn.Config, cc ConnectorConfig, opts ...itsm.Option) (*Connector, error) {
	cc = cc.withDefaults()
	for _, v := range ExtraVariables {
		if !slices.Contains(cfg.ExtraVariables, v) {
			cfg.ExtraVariables = append(slices.Clip(cfg.ExtraVariables), v)
		}
	}
	if cfg.ID == "" {
		cfg.ID = itsm.NewID()
	}
	c := &Connector{opts: cc, cfg: cfg}
	base, err := httpconn.NewWithHooks(cfg, httpconn.Hooks{Variables: c.variables}, opts...)
	if err != nil {
		var ve *itsm.ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		// The resolve variant's own problems are reported with the rest.
		if _, perr := resolveConfig(cfg); perr != nil {
			ve.Errors = append(ve.Errors, perr.Errors...)
		}
		return nil, ve
	}
	c.base = base
	rc, perr := resolveConfig(cfg)
	switch {
	case perr != nil:
		_ = base.Close()
		return nil, perr
	case rc != nil:
		c.resolve, err = httpconn.NewWithHooks(*rc, httpconn.Hooks{Variables: c.variables}, opts...)
		if err != nil {
			_ = base.Close()
			return nil, err
		}
	}
	return c, nil
}

// resolveConfig returns the config of the resolve variant, or nil when the
// update payload sets the close fields itself (or there is none).
func resolveConfig(cfg httpconn.Config) (*httpconn.Config, *itsm.ValidationError) {
	p := cfg.Update.Payload
	if strings.TrimSpace(p) == "" || strings.Contains(p, "$"+VarCloseCode) || strings.Contains(p, "${"+VarCloseCode+"}") {
		return nil, nil
	}
	var errs []itsm.FieldError
	rc := cfg
	var ok bool
	if rc.Update.Payload, ok = withCloseFields(p); !ok {
		errs = append(errs, itsm.FieldError{Field: "update.payload", Message: notAnObject})
	}
	if !strings.Contains(cfg.Create.Payload, "$"+VarCloseCode) {
		if rc.Create.Payload, ok = withCloseFields(cfg.Create.Payload); !ok {
			errs = append(errs, itsm.FieldError{Field: "create.payload", Message: notAnObject})
		}
	}
	if len(errs) > 0 {
		return nil, &itsm.ValidationError{Errors: errs, Component: "servicenow"}
	}
	return &rc, nil
}

const notAnObject = "must be a JSON object so close_code and close_notes can be added when resolving"

// withCloseFields inserts the close fields before the closing brace of the
// payload's top-level object; false when the payload is not an object.
func withCloseFields(p string) (string, bool) {
	t := strings.TrimRight(p, " \t\r\n")
	if !strings.HasSuffix(t, "}") {
		return "", false
	}
	body := strings.TrimRight(t[:len(t)-1], " \t\r\n")
	sep := ","
	if strings.HasSuffix(body, "{") {
		sep = ""
	}
	return body + sep + "\n  \"close_code\": \"$" + VarCloseCode + "\",\n  \"close_notes\": \"$" + VarCloseNotes + "\"\n}", true
}

// urgencyImpact is ServiceNow's default priority lookup, inverted.
var urgencyImpact = map[string][2]string{
	"1": {"1", "1"},
	"2": {"1", "2"},
	"3": {"2", "2"},
	"4": {"2", "3"},
	"5": {"3", "3"},
}

// variables computes the preset's extra variables for one rendering.
func (c *Connector) variables(in vars.Input) template.Values {
	v := template.Values{}
	ui, ok := urgencyImpact[strings.TrimSpace(in.Priority)]
	if ok {
		v[VarUrgency], v[VarImpact] = template.String(ui[0]), template.String(ui[1])
	} else {
		v[VarUrgency], v[VarImpact] = template.String(""), template.String("")
	}
	v[VarCloseCode], v[VarCloseNotes] = template.String(""), template.String("")
	v[VarHoldReason] = template.String("")
	if strings.TrimSpace(in.ITSMStatus) == onHoldState {
		v[VarHoldReason] = template.String(c.opts.HoldReason)
	}
	if in.Case != nil {
		v[VarShortDescription] = template.String(ShortDescription(in.Case.Title, in.Case.ID))
		v[VarDescriptionText] = template.String(DescriptionText(in.Case.Description, in.Case.URL))
	}
	if c.resolving(in.ITSMStatus) {
		v[VarCloseCode] = template.String(c.opts.CloseCode)
		v[VarCloseNotes] = template.String(c.closeNotes(in.Case))
	}
	return v
}

func (c *Connector) resolving(itsmStatus string) bool {
	s := strings.TrimSpace(itsmStatus)
	return s != "" && slices.Contains(c.opts.ResolveStates, s)
}

func (c *Connector) closeNotes(cs *itsm.Case) string {
	if cs == nil {
		return ""
	}
	if v, ok := cs.Fields[c.opts.CloseNotesField]; ok {
		if s := strings.TrimSpace(fmt.Sprint(v)); s != "" && v != nil {
			return s
		}
	}
	notes := "Resolved in the SIEM: " + cs.Title
	if cs.URL != "" {
		notes += "\n" + cs.URL
	}
	return notes
}

// updater returns the HTTP connector for an update of cs.
func (c *Connector) updater(cs *itsm.Case) *httpconn.Connector {
	if c.resolve == nil || cs == nil {
		return c.base
	}
	if c.resolving(c.itsmStatus(cs.Status)) {
		return c.resolve
	}
	return c.base
}

// itsmStatus maps a case status through the config's status map.
func (c *Connector) itsmStatus(s itsm.Status) string {
	m := c.cfg.StatusMap
	v, _ := m.ToITSM(string(s))
	return v
}

// Create creates the incident (see [itsm.Connector]). A case
// that is already resolved or closed is created with close_code and
// close_notes too.
func (c *Connector) Create(ctx context.Context, req itsm.SyncRequest) (itsm.Ticket, error) {
	return c.updater(req.Case).Create(ctx, req)
}

// Update patches the incident; when the case status maps to a resolve
// state it also sets close_code and close_notes.
func (c *Connector) Update(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest) (itsm.Ticket, error) {
	return c.updater(req.Case).Update(ctx, t, req)
}

// CanFindComments reports whether the config has a comment lookup
// ([itsm.CommentFindCapable]); the preset has one unless
// Options.NoNoteMarker.
func (c *Connector) CanFindComments() bool { return c.base.CanFindComments() }

// FindComment looks for note n's work note by its marker
// ([itsm.CommentFinder]): with the preset, the incident's work note
// journal entries whose value holds the marker, the match checked on each
// entry; the comment id is the entry's sys_id. One request, so the call
// budget stays the HTTP connector's: the journal query answers an unknown
// incident with no entries, which reads as "not found" (the resend then
// fails with the Table API's 404 on the incident). See
// httpconn.Connector.FindComment.
func (c *Connector) FindComment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, bool, error) {
	return c.base.FindComment(ctx, t, req, n)
}

// Comment adds the note as a work note. The returned Comment has no ID: a
// work note is a journal entry and the PATCH response does not identify it.
//
// A blank note (empty, white space or control characters only) is refused
// before anything is sent, with an error wrapping [ErrBlankNote].
func (c *Connector) Comment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, error) {
	if strings.TrimFunc(n.Text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) == "" {
		return itsm.Comment{}, &blankNoteError{&itsm.ValidationError{Component: "servicenow", Subject: "note", Input: true,
			Errors: []itsm.FieldError{{Field: "text", Message: "is blank: ServiceNow records no empty work note"}}}}
	}
	return c.base.Comment(ctx, t, req, n)
}

// Get reads the incident: Title is short_description, Status the state
// code.
func (c *Connector) Get(ctx context.Context, t itsm.Ticket) (itsm.Ticket, error) {
	return c.base.Get(ctx, t)
}

// Find looks the incidents up by correlation_id (oldest first) and returns
// those whose correlation_id is the key.
func (c *Connector) Find(ctx context.Context, req itsm.SyncRequest) ([]itsm.Ticket, error) {
	return c.base.Find(ctx, req)
}

// Check GETs the health URL (one incident's sys_id): it proves the URL and
// the credentials without changing anything.
func (c *Connector) Check(ctx context.Context) error { return c.base.Check(ctx) }

// Preview renders every request for case cs without sending anything (see
// httpconn.Connector.Preview); the update is the one [Connector.Update]
// would send for cs's status.
func (c *Connector) Preview(cs itsm.Case, note *itsm.Note, ticket *itsm.Ticket) ([]httpconn.PreviewRequest, error) {
	return c.updater(&cs).Preview(cs, note, ticket)
}

// CanFind reports whether the config has a lookup request
// ([itsm.FindCapable]).
func (c *Connector) CanFind() bool { return c.base.CanFind() }

// MaxCallDuration bounds one call, every attempt, backoff and Retry-After
// wait included ([itsm.CallBudgeter]); itsm.NewSyncer sizes its lease from
// it. Every call sends one request, through the config as is or its resolve
// variant (same timeouts and retries), so it is the HTTP connector's
// budget.
func (c *Connector) MaxCallDuration() time.Duration {
	d := c.base.MaxCallDuration()
	if c.resolve != nil {
		d = max(d, c.resolve.MaxCallDuration())
	}
	return d
}

// StatusMapper returns the config's status and priority maps
// ([itsm.StatusMapperProvider]), so itsm.NewSyncer records the ServiceNow
// state each sync pushed and inbound echoes of it are recognised.
func (c *Connector) StatusMapper() itsm.StatusMapper { return c.base.StatusMapper() }

// HTTP returns the underlying HTTP connector (the config as is), for what
// the ServiceNow connector does not wrap: its redacted Config, and Do for a
// Table API request of your own (sent with the connector's transport, auth,
// retries and audit).
func (c *Connector) HTTP() *httpconn.Connector { return c.base }

// Close releases idle connections of both HTTP connectors.
func (c *Connector) Close() error {
	var errs []error
	errs = append(errs, c.base.Close())
	if c.resolve != nil {
		errs = append(errs, c.resolve.Close())
	}
	return errors.Join(errs...)
}
