package webhook

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
)

// Provider is the httpconn.Config.Provider value of the preset.
const Provider = "webhook"

// DefaultName is the configuration name when Options.Name is empty.
const DefaultName = "ITSM Webhook"

// DefaultTicketsPath is the collection path under BaseURL when
// Options.TicketsPath is empty.
const DefaultTicketsPath = "/tickets"

// Options is the little a host must say to get a generic configuration to
// start from: where the ITSM's ticket API is and how to authenticate. Plain
// data; the zero value of each field means its default. Only BaseURL is
// required.
type Options struct {
	// Name is the configuration name (default [DefaultName]).
	Name string `json:"name,omitempty"`
	// BaseURL is the ITSM's API root, e.g. "https://itsm.example.com/api/v1".
	// Required.
	BaseURL string `json:"base_url"`
	// TicketsPath is the ticket collection under BaseURL (default
	// [DefaultTicketsPath]): create POSTs to it, a ticket is
	// TicketsPath/$ticket_id, its comments TicketsPath/$ticket_id/comments.
	TicketsPath string `json:"tickets_path,omitempty"`
	// ViewURL is where a person views a ticket, a URL template with
	// $ticket_id or $ticket_key ("https://itsm.example.com/ui/tickets/$ticket_id").
	// Optional.
	ViewURL string `json:"view_url,omitempty"`
	// Lookup adds the lookup request (off by default):
	//
	//	GET {base}{tickets}?correlation_key=$correlation_key
	//
	// answered with a JSON array of tickets, each with its "id" and the
	// "correlation_key" the create payload stored. Turn it on only when the
	// ITSM stores that field and returns it in its list: every ticket
	// listed is checked to carry the case's key, so an ITSM that ignores
	// the filter is harmless, but one that does not return the field never
	// finds a ticket. With it, a create whose outcome is unknown is
	// resolved by the lookup and orphans are found; without it such a case
	// needs a person (itsm.NeedsAttentionError).
	Lookup bool `json:"lookup,omitempty"`
	// Auth, TLS and Network are copied into the configuration.
	Auth    httpconn.AuthConfig    `json:"auth,omitzero"`
	TLS     httpconn.TLSConfig     `json:"tls,omitzero"`
	Network httpconn.NetworkConfig `json:"network,omitzero"`
}

// MarshalJSON writes the options with every secret (auth password, token,
// API key, OAuth2 client secret, TLS keys, proxy password) replaced by
// httpconn.RedactedMarker, as json.Marshal of an httpconn.Config does:
// options are safe to log or send to a UI. The preset's Config is what a
// host persists.
func (o Options) MarshalJSON() ([]byte, error) {
	r := httpconn.Config{Auth: o.Auth, TLS: o.TLS, Network: o.Network}.Redacted()
	o.Auth, o.TLS, o.Network = r.Auth, r.TLS, r.Network
	type plain Options // without this method
	return json.Marshal(plain(o))
}

// Preset returns a generic integration configuration for a JSON REST API
// shaped like most ticket APIs:
//
//	create   POST {base}{tickets}                           → ticket id at "id"
//	update   PUT  {base}{tickets}/$ticket_id
//	get      GET  {base}{tickets}/$ticket_id                → "title", "status"
//	comment  POST {base}{tickets}/$ticket_id/comments       → comment id at "id"
//	lookup   GET  {base}{tickets}?correlation_key=$correlation_key → a JSON array, "id" and
//	         "correlation_key" of each ticket (only with Options.Lookup)
//
// with payloads that carry every case variable under an obvious name (see
// the package documentation), identity status and priority maps (the case
// values "open" ... "closed" and "low" ... "critical" as they are), and the
// auth, TLS and network settings of opts. It is a skeleton: every field is
// meant to be edited to the ITSM's API, then checked with Validate and
// httpconn.Connector.Preview. Errors: an *itsm.ValidationError (wrapping
// itsm.ErrInvalidConfig) naming every bad option field, or the config's
// own.
func Preset(opts Options) (httpconn.Config, error) {
	var errs []itsm.FieldError
	base := strings.TrimRight(strings.TrimSpace(opts.BaseURL), "/")
	u, err := url.Parse(base)
	switch {
	case base == "":
		errs = append(errs, itsm.FieldError{Field: "base_url", Message: "is required"})
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, itsm.FieldError{Field: "base_url", Message: "must be an absolute http or https URL"})
	case u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, itsm.FieldError{Field: "base_url", Message: "must not have a query or a fragment"})
	}
	tickets := strings.TrimSpace(opts.TicketsPath)
	if tickets == "" {
		tickets = DefaultTicketsPath
	}
	tickets = "/" + strings.Trim(tickets, "/")
	if strings.ContainsAny(tickets, "?#") || tickets == "/" {
		errs = append(errs, itsm.FieldError{Field: "tickets_path", Message: "must be a path such as /tickets, without a query"})
	}
	if len(errs) > 0 {
		return httpconn.Config{}, &itsm.ValidationError{Errors: errs, Component: "webhook", Subject: "options"}
	}
	name := strings.TrimSpace(opts.Name)
	if name == "" {
		name = DefaultName
	}
	coll := lit(base + tickets)
	one := coll + "/$ticket_id"
	cfg := httpconn.Config{
		Name:     name,
		Provider: Provider,
		Create: httpconn.EndpointConfig{
			Method:  "POST",
			URL:     coll,
			Payload: casePayload,
		},
		TicketIDPath: "id",
		Update: httpconn.EndpointConfig{
			Method:  "PUT",
			URL:     one,
			Payload: casePayload,
		},
		Get: httpconn.GetConfig{
			Method:     "GET",
			URL:        one,
			TitlePath:  "title",
			StatusPath: "status",
		},
		Comment: httpconn.CommentConfig{
			Method:        "POST",
			URL:           one + "/comments",
			Payload:       notePayload,
			CommentIDPath: "id",
		},
		ViewURL:     strings.TrimSpace(opts.ViewURL),
		Auth:        opts.Auth,
		TLS:         opts.TLS,
		Network:     opts.Network,
		StatusMap:   StatusMap(),
		PriorityMap: PriorityMap(),
	}
	if opts.Lookup {
		cfg.Lookup = httpconn.LookupConfig{
			Method:       "GET",
			URL:          coll + "?correlation_key=$correlation_key",
			ItemsPath:    "@this",
			TicketIDPath: "id",
			MatchPath:    "correlation_key",
		}
	}
	if err := cfg.Validate(); err != nil {
		return httpconn.Config{}, err
	}
	return cfg, nil
}

// casePayload and notePayload are the generic create/update and comment
// payloads: every variable under its own name.
const (
	casePayload = `{
  "title": "[SIEM] $case_name",
  "description": "$description",
  "severity": "$severity",
  "priority": "$priority",
  "status": "$itsm_status",
  "tags": $tags,
  "assignee": "$assignee",
  "case_id": "$case_id",
  "case_url": "$case_url",
  "correlation_key": "$correlation_key",
  "created_at": "$created_at",
  "updated_at": "$updated_at"
}`
	notePayload = `{
  "text": "$note_text",
  "author": "$note_author",
  "note_id": "$note_id",
  "created_at": "$note_created_at"
}`
)

// StatusMap is the preset's status map: each case status under its own name
// ("open", "in_progress", "on_hold", "resolved", "closed"), plus the status
// categories "new", "indeterminate" and "done" (open, in_progress, closed) as
// the fallback for other labels. Edit it to the ITSM's labels.
func StatusMap() statusmap.Map {
	m := statusmap.Map{Unmapped: statusmap.Ignore}
	for _, s := range itsm.Statuses {
		m.Entries = append(m.Entries, statusmap.Entry{ITSM: string(s), Case: string(s), Preferred: true})
	}
	m.Categories = []statusmap.Entry{
		{ITSM: "new", Case: string(itsm.StatusOpen)},
		{ITSM: "indeterminate", Case: string(itsm.StatusInProgress)},
		{ITSM: "done", Case: string(itsm.StatusClosed)},
	}
	return m
}

// PriorityMap is the preset's priority map: each severity under its own name
// ("low", "medium", "high", "critical").
func PriorityMap() statusmap.Map {
	m := statusmap.Map{Unmapped: statusmap.Ignore}
	for _, s := range itsm.Severities {
		m.Entries = append(m.Entries, statusmap.Entry{ITSM: string(s), Case: string(s), Preferred: true})
	}
	return m
}

// Inbound returns the inbound half of the preset: a callback.JSONParser
// configuration for webhook bodies shaped like
//
//	{"event_id": "evt-1", "event": "ticket.updated", "occurred_at": "2026-11-28T04:00:00Z",
//	 "ticket": {"id": "42", "key": "INC-42", "status": "resolved", "status_category": "done",
//	            "priority": "high", "version": 7},
//	 "comment": {"id": "c-9", "body": "text", "author": "bob"}}
//
// Event types ticket.created, ticket.updated, ticket.deleted and
// comment.created map to the four event kinds; any other type is
// acknowledged and ignored. A delivery without event_id takes its id from
// the Webhook-Id header (Standard Webhooks). Every path is editable: point
// them at whatever the ITSM sends.
func Inbound() callback.JSONParserConfig {
	return callback.JSONParserConfig{
		TicketIDPath:       "ticket.id",
		TicketKeyPath:      "ticket.key",
		StatusPath:         "ticket.status",
		StatusCategoryPath: "ticket.status_category",
		PriorityPath:       "ticket.priority",
		EventIDPath:        "event_id",
		EventTypePath:      "event",
		EventKinds: map[string]callback.EventKind{
			"ticket.created":  callback.EventCreated,
			"ticket.updated":  callback.EventUpdated,
			"ticket.deleted":  callback.EventDeleted,
			"comment.created": callback.EventComment,
		},
		TimestampPath:     "occurred_at",
		VersionPath:       "ticket.version",
		CommentBodyPath:   "comment.body",
		CommentAuthorPath: "comment.author",
		CommentIDPath:     "comment.id",
		EventIDHeader:     "Webhook-Id",
	}
}

// Integration is a whole generic integration as one JSON document: the
// outbound configuration and the inbound parser's paths. Verification (a
// callback token or an HMAC scheme) is configured on the callback handler.
// Store it with MarshalSecrets: json.Marshal redacts the outbound secrets.
type Integration struct {
	// Outbound is the connector's configuration ([Preset]).
	Outbound httpconn.Config `json:"outbound"`
	// Inbound is the webhook parser's configuration ([Inbound]).
	Inbound callback.JSONParserConfig `json:"inbound"`
}

// NewIntegration returns [Preset] (opts) and [Inbound] together.
func NewIntegration(opts Options) (Integration, error) {
	cfg, err := Preset(opts)
	if err != nil {
		return Integration{}, err
	}
	return Integration{Outbound: cfg, Inbound: Inbound()}, nil
}

// Validate checks both halves and reports every problem at once as one
// *itsm.ValidationError (wrapping itsm.ErrInvalidConfig) whose fields are
// prefixed with the half's JSON name ("outbound.create.url",
// "inbound.ticket_id_path"), or returns nil.
func (i Integration) Validate() error {
	var errs []itsm.FieldError
	add := func(half string, err error) {
		if err == nil {
			return
		}
		var ve *itsm.ValidationError
		if !errors.As(err, &ve) {
			errs = append(errs, itsm.FieldError{Field: half, Message: err.Error()})
			return
		}
		for _, fe := range ve.Errors {
			errs = append(errs, itsm.FieldError{Field: half + "." + fe.Field, Message: fe.Message})
		}
	}
	add("outbound", i.Outbound.Validate())
	add("inbound", i.Inbound.Validate())
	if len(errs) > 0 {
		return &itsm.ValidationError{Errors: errs, Component: "webhook", Subject: "integration"}
	}
	return nil
}

// MarshalSecrets writes the integration with the outbound secrets in clear,
// for the host's protected storage.
func (i Integration) MarshalSecrets() ([]byte, error) {
	out, err := i.Outbound.MarshalSecrets()
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(i.Inbound)
	if err != nil {
		return nil, err
	}
	b := append([]byte(`{"outbound":`), out...)
	b = append(b, `,"inbound":`...)
	b = append(b, in...)
	return append(b, '}'), nil
}

// Connector builds the outbound connector (httpconn.New) with opts.
func (i Integration) Connector(opts ...itsm.Option) (*httpconn.Connector, error) {
	return httpconn.New(i.Outbound, opts...)
}

// Parser builds the inbound parser (callback.NewJSONParser).
func (i Integration) Parser() (*callback.JSONParser, error) {
	return callback.NewJSONParser(i.Inbound)
}

// lit escapes s for literal use in a template.
func lit(s string) string { return strings.ReplaceAll(s, "$", "$$") }
