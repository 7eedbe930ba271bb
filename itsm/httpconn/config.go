package httpconn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/itsmsync/itsmsync/template"
)

// Defaults applied to zero fields of a Config (see [Config.WithDefaults]).
const (
	DefaultRequestTimeout   = 30 * time.Second
	DefaultMaxAttempts      = 3
	DefaultRetryWaitMin     = 500 * time.Millisecond
	DefaultRetryWaitMax     = 10 * time.Second
	DefaultMaxRetryAfter    = 60 * time.Second
	DefaultMaxResponseBytes = 1 << 20
)

// maxAttemptsLimit bounds Retry.MaxAttempts.
const maxAttemptsLimit = 10

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("30s", "1m30s"). A JSON number is read as whole seconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns the Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// UnmarshalJSON reads a duration string ("30s") or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return fmt.Errorf("httpconn: invalid duration %s", clip.Bytes(string(b), 40))
		}
		if s == "" {
			*d = 0
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("httpconn: invalid duration %q", clip.Bytes(s, 40))
		}
		*d = Duration(v)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < -1e9 || f > 1e9 {
		return fmt.Errorf("httpconn: invalid duration %s", clip.Bytes(string(b), 40))
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// BodyFormat is how request payloads are encoded. The zero value ("") means
// [BodyJSON].
type BodyFormat string

// Body formats.
const (
	// BodyJSON: payloads are JSON templates; values are JSON-escaped where
	// they land and the rendered document is validated. Content-Type
	// application/json.
	BodyJSON BodyFormat = "json"
	// BodyForm: payloads are application/x-www-form-urlencoded templates
	// ("summary=$case_name&urgency=2"); values are query-escaped.
	BodyForm BodyFormat = "form"
	// BodyText: payloads are plain text; values are inserted as they are.
	// Content-Type text/plain; charset=utf-8.
	BodyText BodyFormat = "text"
)

func (f BodyFormat) orDefault() BodyFormat {
	if f == "" {
		return BodyJSON
	}
	return BodyFormat(strings.ToLower(string(f)))
}

func (f BodyFormat) syntax() template.Syntax {
	switch f.orDefault() {
	case BodyForm:
		return template.Form
	case BodyText:
		return template.Text
	}
	return template.JSON
}

func (f BodyFormat) contentType() string {
	switch f.orDefault() {
	case BodyForm:
		return "application/x-www-form-urlencoded"
	case BodyText:
		return "text/plain; charset=utf-8"
	}
	return "application/json"
}

// EndpointConfig is one request template: the create and the update request.
type EndpointConfig struct {
	// Method is the HTTP method (case-insensitive). Create allows POST
	// (default), PUT and PATCH; update allows PUT (default), PATCH and POST.
	Method string `json:"method,omitempty"`
	// URL is a URL template (absolute http or https once rendered).
	// Variables in the path are path-segment escaped, in the query
	// query-escaped. The update URL uses $ticket_id.
	URL string `json:"url,omitempty"`
	// Payload is the body template in the config's BodyFormat. Required for
	// create; an empty update payload sends no body.
	Payload string `json:"payload,omitempty"`
	// OmitEmpty lists JSON paths removed from the rendered body when their
	// value is empty: null, a string that is empty or white space only, {}
	// or [] ("leave the field out" instead of sending a blank, which many
	// ITSMs take as a value). Paths are applied in order, so a parent
	// listed after its child goes when the child's removal left it empty:
	// ["fields.priority.name", "fields.priority"]. Only plain paths (keys
	// and array indexes, '\' escaping a literal '.'), at most 32, each
	// present in the payload; only with body_format json.
	OmitEmpty []string `json:"omit_empty,omitempty"`
	// SuccessPath and ErrorPath are response rules for an ITSM that answers
	// 2xx to a refusal: a 2xx JSON body must hold a truthy value at
	// SuccessPath (true, a non-zero number, a string other than "", "0",
	// "false" and "no", a non-empty object or array) and nothing at
	// ErrorPath (missing, null, false, 0, a blank string, {} or []). A body
	// that breaks a rule is an *HTTPError with the 2xx status, the refusal
	// (the ErrorPath value, else the body) as Body, wrapping
	// [itsm.ErrRefused]: certainly not done, not retried. An empty body
	// (204) passes; a body that is not JSON is not judged. gjson paths;
	// optional.
	SuccessPath string `json:"success_path,omitempty"`
	ErrorPath   string `json:"error_path,omitempty"`
}

// GetConfig reads a ticket back (title and status). Optional: without a URL,
// Get returns [itsm.ErrNotConfigured].
type GetConfig struct {
	// Method is GET (default) or POST (for ITSMs whose read is a POST with
	// a body).
	Method string `json:"method,omitempty"`
	// URL is a URL template using $ticket_id or $ticket_key. A get has
	// no case: its templates may use only the ticket variables and
	// ExtraVariables.
	URL string `json:"url,omitempty"`
	// Payload is the body template; only with POST.
	Payload string `json:"payload,omitempty"`
	// TitlePath, StatusPath and StatusCategoryPath are gjson paths into the
	// response (e.g. "fields.summary", "fields.status.name",
	// "fields.status.statusCategory.key"). Each is optional.
	TitlePath          string `json:"title_path,omitempty"`
	StatusPath         string `json:"status_path,omitempty"`
	StatusCategoryPath string `json:"status_category_path,omitempty"`
}

// CommentConfig posts a case note as a ticket comment (a form's "Notes URL
// / Method / Payload"). Optional: without a URL, Comment returns
// [itsm.ErrNotConfigured].
type CommentConfig struct {
	// Method is POST (default), PUT or PATCH. Whatever the method, a comment
	// creates something, so it is retried like a create (see "Retries" in
	// the package documentation).
	Method string `json:"method,omitempty"`
	// URL is a URL template using $ticket_id.
	URL string `json:"url,omitempty"`
	// Payload is the body template using $note_text; required with a URL.
	Payload string `json:"payload,omitempty"`
	// CommentIDPath is an optional gjson path to the comment id in the
	// response (e.g. "id"). Without it, or when the body has no value
	// there, the last path segment of the Location header is used (like the
	// ticket id of a create); a response with neither is still a success.
	CommentIDPath string `json:"comment_id_path,omitempty"`
	// OmitEmpty removes blank fields from the rendered body (see
	// [EndpointConfig].OmitEmpty).
	OmitEmpty []string `json:"omit_empty,omitempty"`
	// SuccessPath and ErrorPath are response rules (see
	// [EndpointConfig].SuccessPath): a comment refused with a 2xx is not
	// posted, and the sync engine records it as failed.
	SuccessPath string `json:"success_path,omitempty"`
	ErrorPath   string `json:"error_path,omitempty"`
}

// LookupConfig finds the tickets of a case by its correlation key (a
// search), so a create whose outcome was unknown is resolved without a
// second ticket, and the orphans of a late create are found
// ([itsm.Orphan]). Optional; when it has a URL the connector implements
// [itsm.Finder].
//
// A lookup proves its match: a search result alone proves nothing, because
// many ITSMs ignore a query parameter or filter they do not understand and
// list unrelated tickets. Every ticket found must carry the case's
// correlation key at MatchPath (read in the search result), or at
// GetMatchPath (read in the ticket fetched with the get request); tickets
// that do not are dropped. Validate therefore requires one of them, and a
// create request that carries $correlation_key (payload, URL or a header).
type LookupConfig struct {
	// Method is GET (default) or POST (a search with a body).
	Method string `json:"method,omitempty"`
	// URL is a URL template using $correlation_key, e.g.
	// "https://x.atlassian.net/rest/api/2/search?jql=labels%3D$correlation_key".
	// Ask for the oldest ticket first where the search can sort: the Syncer
	// links the first ticket listed.
	URL string `json:"url,omitempty"`
	// Payload is the body template; only with POST.
	Payload string `json:"payload,omitempty"`
	// ItemsPath is the gjson path to the array of tickets in the response
	// ("issues", "result", "items"; "@this" when the response is the array
	// itself). TicketIDPath, TicketKeyPath and MatchPath are then read
	// inside each item, and every item is considered (at most
	// [MaxLookupItems]), in the order listed. Without it those paths are
	// read from the whole response and at most one ticket is found
	// ("issues.0.id").
	ItemsPath string `json:"items_path,omitempty"`
	// TicketIDPath is the gjson path to the found ticket's id (e.g. "id"
	// with ItemsPath "issues"; "result.0.sys_id" without ItemsPath);
	// required with a URL. An item without it is skipped.
	TicketIDPath string `json:"ticket_id_path,omitempty"`
	// TicketKeyPath optionally reads the ticket key ("key").
	TicketKeyPath string `json:"ticket_key_path,omitempty"`
	// MatchPath is the gjson path (inside an item, like TicketIDPath) to
	// the value that proves the ticket carries the case's correlation key:
	// a string must equal the key; an array (Jira labels, RT custom field
	// values) must hold it as one of its string elements; anything else
	// does not match. With MatchContains a string must contain the key as a
	// whole word instead (a key written into a description). One of
	// MatchPath and GetMatchPath is required with a URL.
	MatchPath string `json:"match_path,omitempty"`
	// GetMatchPath verifies each ticket found by reading it with the get
	// request (Config.Get, required then): the get's response must carry
	// the key at this path (compared like MatchPath). For ITSMs whose
	// search results do not carry the field. It costs one request per
	// ticket listed, at most [MaxLookupGets] per lookup.
	GetMatchPath string `json:"get_match_path,omitempty"`
	// MatchContains makes MatchPath and GetMatchPath accept a string that
	// contains the key as a whole word (not preceded or followed by a
	// letter, digit, '-' or '_').
	MatchContains bool `json:"match_contains,omitempty"`
	// OmitEmpty removes blank fields from the rendered body of a POST
	// search (see [EndpointConfig].OmitEmpty).
	OmitEmpty []string `json:"omit_empty,omitempty"`
}

// CommentLookupConfig finds a comment the connector posted, by its note's
// marker ($note_marker, which the comment request must write: a property, a
// field, a line of the text), so that a note whose outcome is unknown (no
// answer, a 5xx after sending, a crash) is resolved before any resend.
// Optional; when it has a URL the connector's [Connector.CanFindComments]
// is true and [Connector.FindComment] works.
//
// The request is rendered with the case, ticket and note variables
// ($ticket_id, $note_marker, ...). The response is one JSON document:
// ItemsPath selects the array of comments, and each item is checked on the
// client: an item matches only when its value at MatchPath holds the marker
// (see [Connector.FindComment]). A filter in the URL (a query on the marker)
// only narrows what the ITSM sends; a list endpoint may ignore it, so it is
// never trusted alone.
//
// One response is read: no "next" page is followed. Ask for the newest
// comments first and as many as the ITSM allows in one page (Jira:
// orderBy=-created&maxResults=100); a note whose comment has fallen out of
// that page is not found.
type CommentLookupConfig struct {
	// Method is GET (default) or POST (a search with a body).
	Method string `json:"method,omitempty"`
	// URL is a URL template using $ticket_id or $ticket_key, and may use
	// $note_marker to filter on the ITSM side.
	URL string `json:"url,omitempty"`
	// Payload is the body template; only with POST.
	Payload string `json:"payload,omitempty"`
	// ItemsPath is the gjson path to the array of comments in the response
	// ("comments", "result"); required with a URL. A response without an
	// array there is [itsm.ErrInvalidResponse], not "no comment": an error
	// page answered with 200 must not cause a second comment.
	ItemsPath string `json:"items_path,omitempty"`
	// MatchPath is the gjson path, inside one item, to the value that must
	// hold the marker ("properties.#(key==\"itsmsync\").value.marker",
	// "value", "body"); required with a URL. The value matches when it is a
	// string (or an array with a string) that contains the marker as a
	// whole word: the marker not preceded or followed by a letter, digit,
	// '-' or '_'.
	MatchPath string `json:"match_path,omitempty"`
	// IDPath is the gjson path, inside the matching item, to the comment id
	// ("id", "sys_id"). Optional: without it (or without a value there) the
	// found comment has no id.
	IDPath string `json:"id_path,omitempty"`
	// TicketPath is an optional gjson path, inside one item, to the ticket
	// the comment belongs to ("element_id" for a ServiceNow journal
	// entry): when set, an item matches only when its value there equals
	// the ticket's id (or key). Set it when the endpoint lists comments of
	// many tickets, so that a filter the ITSM ignores cannot return the
	// same note's comment on another ticket of the case.
	TicketPath string `json:"ticket_path,omitempty"`
	// ExpectPath is an optional gjson path that every item must have
	// ("properties" for Jira, whose comments carry their properties only
	// when the request expanded them): an item without it makes the lookup
	// an error wrapping [itsm.ErrInvalidResponse] instead of "not found",
	// because the marker could not have been seen.
	ExpectPath string `json:"expect_path,omitempty"`
}

// Bounds of one lookup.
const (
	// MaxLookupItems is how many items of one search response a lookup
	// considers; ask the ITSM for no more (Jira maxResults, ServiceNow
	// sysparm_limit).
	MaxLookupItems = 50
	// MaxLookupGets is how many tickets one lookup verifies with the get
	// request ([LookupConfig].GetMatchPath); items beyond are dropped.
	MaxLookupGets = 10
)

// Timeouts bound the connector's requests.
type Timeouts struct {
	// Request bounds one attempt of one request, from dialing to the last
	// byte of the response. Zero means [DefaultRequestTimeout]; it is
	// always set.
	Request Duration `json:"request,omitempty"`
}

// RetryConfig bounds retries. Zero fields take the defaults.
type RetryConfig struct {
	// MaxAttempts is the total number of attempts, first included
	// (default [DefaultMaxAttempts]; 1 disables retries; at most 10).
	MaxAttempts int `json:"max_attempts,omitempty"`
	// WaitMin and WaitMax bound the exponential backoff with jitter
	// (defaults [DefaultRetryWaitMin], [DefaultRetryWaitMax]).
	WaitMin Duration `json:"wait_min,omitempty"`
	WaitMax Duration `json:"wait_max,omitempty"`
	// MaxRetryAfter caps a server's Retry-After (default
	// [DefaultMaxRetryAfter]). A Retry-After above the cap is waited for
	// only as long as the cap.
	MaxRetryAfter Duration `json:"max_retry_after,omitempty"`
}

// Config is one ITSM integration: the whole "ITSM Webhook" drawer as plain,
// JSON-serializable data. The zero value of each optional field means its
// default (see [Config.WithDefaults]). Validate it with [Config.Validate];
// build a connector with [New].
//
// JSON: json.Marshal writes a redacted copy ([Config.Redacted]): what a UI
// may show. Persist the full configuration with [Config.MarshalSecrets];
// json.Unmarshal reads either form (a redacted one has [RedactedMarker] as
// its secrets, which Validate rejects unless [Config.Merge] restored them).
//
// A Config is a value; copies share its maps and slices, so do not modify
// one while another goroutine reads it.
type Config struct {
	// Name is the configuration name shown in the UI ("JIRA ITSM").
	Name string `json:"name"`
	// Provider names the ITSM ("jira", "servicenow", "sysaid", "webhook");
	// informational, set by provider presets.
	Provider string `json:"provider,omitempty"`
	// ID is the integration config ID: generated ([itsm.NewID]) on first save,
	// read-only afterwards — [Config.Merge] always keeps the saved ID. It
	// identifies the integration in callback tokens, links and correlation
	// keys.
	ID string `json:"id,omitempty"`

	// Create creates a ticket from a case (case variables).
	Create EndpointConfig `json:"create"`
	// TicketIDPath is the "Ticket ID Field": a gjson path to the ticket id
	// in the create response ("key", "id", "result.sys_id"). Required. When
	// the body has no value there (or no body, e.g. 201 with a Location
	// header), the last path segment of the Location header is used.
	TicketIDPath string `json:"ticket_id_path"`
	// TicketKeyPath optionally reads a human-readable key ("result.number").
	TicketKeyPath string `json:"ticket_key_path,omitempty"`
	// Update updates the ticket (case and ticket variables); URL required.
	Update EndpointConfig `json:"update"`
	// Get reads the ticket back; optional.
	Get GetConfig `json:"get,omitzero"`
	// Comment posts a note as a comment (note variables); optional.
	Comment CommentConfig `json:"comment,omitzero"`
	// Lookup finds a ticket by $correlation_key; optional.
	Lookup LookupConfig `json:"lookup,omitzero"`
	// CommentLookup finds a posted comment by $note_marker; optional. It
	// requires the comment request to write $note_marker.
	CommentLookup CommentLookupConfig `json:"comment_lookup,omitzero"`
	// ViewURL is where a person views the ticket, a URL template with
	// $ticket_id or $ticket_key ("https://x.atlassian.net/browse/$ticket_key").
	// Optional.
	ViewURL string `json:"view_url,omitempty"`
	// HealthURL is the target of [Connector.Check]: a harmless GET that
	// needs authentication (Jira "/rest/api/2/myself"). Optional.
	HealthURL string `json:"health_url,omitempty"`
	// Target names the ticket space the integration writes into, recorded
	// on every link (see itsm.Targeter and [Connector.Target]). Default: the
	// provider and the create request's origin and path, which is right
	// unless the same tickets are reached through URLs that differ (set the
	// same Target on both configs then) or one URL serves several ticket
	// spaces told apart by the payload (set a Target per space). It is
	// stored and shown in plain text: never put a secret in it. At most 256
	// bytes, no control characters.
	Target string `json:"target,omitempty"`

	// Headers are additional headers sent with every request; values are
	// templates (case variables, header-escaped; a variable without a value,
	// such as a case variable in a get, renders empty). Credentials do not belong
	// here (Authorization is refused): use Auth or SecretHeaders.
	Headers map[string]string `json:"headers,omitempty"`
	// SecretHeaders are headers whose values are secrets (redacted when
	// marshaled, kept on edit). They override Headers of the same name.
	// Values are literal, not templates.
	SecretHeaders map[string]string `json:"secret_headers,omitempty"`
	// BodyFormat is the payload encoding: json (default), form or text. It
	// sets Content-Type unless Headers has one.
	BodyFormat BodyFormat `json:"body_format,omitempty"`
	// ExtraVariables names provider-computed variables that templates may
	// use in addition to the standard ones (Jira's "description_adf"). The
	// connector gets their values from [Hooks].Variables; without a value they
	// render as null.
	ExtraVariables []string `json:"extra_variables,omitempty"`

	// Auth, TLS and Network configure authentication, TLS (custom CA,
	// verification mode, client certificates) and the network (proxy,
	// allowed hosts, private addresses).
	Auth    AuthConfig    `json:"auth,omitzero"`
	TLS     TLSConfig     `json:"tls,omitzero"`
	Network NetworkConfig `json:"network,omitzero"`

	// Timeouts, Retry and MaxResponseBytes bound the requests. A response
	// body over MaxResponseBytes (default [DefaultMaxResponseBytes]) is
	// [itsm.ErrInvalidResponse], never a truncated parse.
	Timeouts         Timeouts    `json:"timeouts,omitzero"`
	Retry            RetryConfig `json:"retry,omitzero"`
	MaxResponseBytes int64       `json:"max_response_bytes,omitempty"`

	// StatusMap maps ITSM status labels to case statuses and back
	// ($itsm_status); PriorityMap maps ITSM priorities to case severities
	// and back ($priority). Their "outbound" rows choose the label sent for
	// a case value first, and may send one label for several case values.
	StatusMap   statusmap.Map `json:"status_map,omitzero"`
	PriorityMap statusmap.Map `json:"priority_map,omitzero"`
}

// WithDefaults returns a copy with every zero field that has a default set:
// methods (create POST, update PUT, get GET, comment POST, lookup GET,
// upper-cased), body format json, request timeout, retry bounds and the
// response cap. It does not invent an ID.
func (c Config) WithDefaults() Config {
	c.Create.Method = methodOr(c.Create.Method, "POST")
	c.Update.Method = methodOr(c.Update.Method, "PUT")
	c.Get.Method = methodOr(c.Get.Method, "GET")
	c.Comment.Method = methodOr(c.Comment.Method, "POST")
	c.Lookup.Method = methodOr(c.Lookup.Method, "GET")
	c.CommentLookup.Method = methodOr(c.CommentLookup.Method, "GET")
	c.BodyFormat = c.BodyFormat.orDefault()
	if c.Timeouts.Request == 0 {
		c.Timeouts.Request = Duration(DefaultRequestTimeout)
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = DefaultMaxAttempts
	}
	if c.Retry.WaitMin == 0 {
		c.Retry.WaitMin = Duration(DefaultRetryWaitMin)
	}
	if c.Retry.WaitMax == 0 {
		c.Retry.WaitMax = Duration(DefaultRetryWaitMax)
		if c.Retry.WaitMax < c.Retry.WaitMin {
			c.Retry.WaitMax = c.Retry.WaitMin
		}
	}
	if c.Retry.MaxRetryAfter == 0 {
		c.Retry.MaxRetryAfter = Duration(DefaultMaxRetryAfter)
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return c
}

func methodOr(m, def string) string {
	m = strings.ToUpper(strings.TrimSpace(m))
	if m == "" {
		return def
	}
	return m
}

// Redacted returns a copy with every secret — auth password, token, API key
// and OAuth2 client secret, TLS private key, PFX and passphrase, proxy
// password, secret header values — replaced by [RedactedMarker]. Empty
// secrets stay empty, so a UI can tell "set" from "not set". The copy shares
// no maps with c.
func (c Config) Redacted() Config {
	c = c.cloneMaps()
	c.Auth = c.Auth.redacted()
	c.TLS = c.TLS.redacted()
	c.Network = c.Network.redacted()
	for k, v := range c.SecretHeaders {
		c.SecretHeaders[k] = redactString(v)
	}
	return c
}

// cloneMaps copies the maps and slices c owns (not those of Auth, TLS and
// Network, whose own methods copy what they change).
func (c Config) cloneMaps() Config {
	c.Headers = maps.Clone(c.Headers)
	c.SecretHeaders = maps.Clone(c.SecretHeaders)
	c.ExtraVariables = slices.Clone(c.ExtraVariables)
	c.Create.OmitEmpty = slices.Clone(c.Create.OmitEmpty)
	c.Update.OmitEmpty = slices.Clone(c.Update.OmitEmpty)
	c.Comment.OmitEmpty = slices.Clone(c.Comment.OmitEmpty)
	c.Lookup.OmitEmpty = slices.Clone(c.Lookup.OmitEmpty)
	return c
}

// configJSON has Config's fields without its methods (no recursion).
type configJSON Config

// MarshalJSON writes the redacted configuration (see [Config.Redacted]). Use
// [Config.MarshalSecrets] to persist it.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(configJSON(c.Redacted()))
}

// UnmarshalJSON reads a configuration written by MarshalJSON or
// MarshalSecrets.
func (c *Config) UnmarshalJSON(b []byte) error {
	var v configJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Config(v)
	return nil
}

// MarshalSecrets writes the full configuration, secrets in clear, for the
// host's protected storage (e.g. [itsm.Integration].Config). Never send it to a
// UI or a log.
func (c Config) MarshalSecrets() ([]byte, error) {
	return json.Marshal(configJSON(c))
}

// Merge returns c (an edited configuration, as a UI sends it back) with what
// the UI may not change or could not see taken from saved: the ID is always
// the saved one (read-only; when neither has one — a first save — a new one
// from [itsm.NewID]), and every secret left blank or sent back as
// [RedactedMarker] gets its saved value ("leave blank to keep the saved
// value"). A secret header keeps its saved value only if it is still listed
// (by name, case-insensitively); removing the header removes the secret.
// The OAuth2 client secret is kept only while the token URL's host is
// unchanged, and the proxy password only while the proxy is.
//
// Secrets never follow an edited URL to a new host: the auth password,
// token and API key, the secret header values and the TLS client key, PFX
// and passphrase are kept only when every URL that receives credentials
// (create, update, get, comment, lookup, comment lookup and health) has an origin — scheme,
// host and port, compared exactly, so an https→http downgrade or a port
// change counts as new — that one of the saved URLs already had. A URL
// whose host is itself a variable never matches. Otherwise each of those
// secrets given blank or as the marker (and saved non-empty) is left as
// [RedactedMarker], and [Config.Validate] asks for it to be re-entered,
// naming its field ("auth.password", "secret_headers.X-Token"). Neither
// argument is modified.
func (c Config) Merge(saved Config) Config {
	c = c.cloneMaps()
	switch {
	case saved.ID != "":
		c.ID = saved.ID
	case c.ID == "":
		c.ID = itsm.NewID()
	}
	c.Network.keepSecrets(saved.Network)
	if !sameCredentialHosts(c, saved) {
		c.Auth.markSecrets(saved.Auth)
		c.TLS.markSecrets(saved.TLS)
		for name, v := range c.SecretHeaders {
			if v == "" && savedHeader(saved.SecretHeaders, name) != "" {
				c.SecretHeaders[name] = RedactedMarker
			}
		}
		return c
	}
	c.Auth.keepSecrets(saved.Auth)
	c.TLS.keepSecrets(saved.TLS)
	for name, v := range c.SecretHeaders {
		if v != "" && v != RedactedMarker {
			continue
		}
		if sv := savedHeader(saved.SecretHeaders, name); sv != "" {
			c.SecretHeaders[name] = sv
		}
	}
	return c
}

// savedHeader returns the saved value of a secret header, looked up by name
// case-insensitively, or "".
func savedHeader(saved map[string]string, name string) string {
	for sn, sv := range saved {
		if strings.EqualFold(sn, name) && sv != "" {
			return sv
		}
	}
	return ""
}

// credentialURLs returns the URL templates of c that receive credentials
// (the view URL only builds a link and is left out).
func credentialURLs(c Config) []string {
	var out []string
	for _, u := range []string{c.Create.URL, c.Update.URL, c.Get.URL, c.Comment.URL, c.Lookup.URL, c.CommentLookup.URL, c.HealthURL} {
		if strings.TrimSpace(u) != "" {
			out = append(out, u)
		}
	}
	return out
}

// literalOrigin returns the normalized origin ("scheme://host:port", lower
// case, default port filled in) that a URL template begins with literally,
// or ok=false when the scheme or host is missing or holds a variable.
func literalOrigin(src string) (origin string, ok bool) {
	src = strings.TrimSpace(src)
	i := strings.Index(src, "://")
	if i <= 0 {
		return "", false
	}
	end := len(src)
	if j := strings.IndexAny(src[i+3:], "/?#"); j >= 0 {
		end = i + 3 + j
	}
	head := src[:end]
	if strings.ContainsAny(head, "${}%@\\ ") {
		return "", false
	}
	u, err := url.Parse(head)
	if err != nil || u.Hostname() == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		default:
			return "", false
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port), true
}

// sameCredentialHosts reports whether every credential-receiving URL of c
// has a literal origin that some credential-receiving URL of saved has.
func sameCredentialHosts(c, saved Config) bool {
	known := make(map[string]bool)
	for _, u := range credentialURLs(saved) {
		if o, ok := literalOrigin(u); ok {
			known[o] = true
		}
	}
	for _, u := range credentialURLs(c) {
		o, ok := literalOrigin(u)
		if !ok || !known[o] {
			return false
		}
	}
	return true
}

// Validate checks the whole configuration and returns a *ValidationError
// (wrapping [itsm.ErrInvalidConfig]) listing every problem at once, each naming
// its field ("create.url", "create.payload", "auth.password",
// "status_map.entries[1].itsm"), or nil. Templates are parsed exactly as the
// connector parses them, with the variables their place allows (plus
// ExtraVariables); URLs must render to absolute http(s) URLs on an allowed
// host; JSON payloads must be valid JSON with the variables in place.
// Messages never contain a secret.
func (c Config) Validate() error {
	_, errs := c.compile()
	if len(errs) > 0 {
		return &itsm.ValidationError{Errors: errs, Component: "httpconn"}
	}
	return nil
}

// scopeTicketOnly is the scope of the get request, which has a ticket but
// no case: $ticket_id, $ticket_key and the extra variables.
const scopeTicketOnly vars.Scope = -1

// compiledConfig holds a validated Config's parsed templates.
type compiledConfig struct {
	cfg           Config // with defaults
	create        endpoint
	update        endpoint
	get           endpoint
	comment       endpoint
	lookup        endpoint
	commentLookup endpoint
	view          *template.Template
	health        *template.Template
	headers       []headerTemplate // sorted by name; secret headers included
	statusMap     *statusmap.Compiled
	prioMap       *statusmap.Compiled
	contentType   []string // the body format's Content-Type, cap 1
	viewNulls     []string
}

// endpoint is one parsed request.
type endpoint struct {
	op      itsm.Operation
	method  string
	url     *template.Template // nil: not configured
	payload *template.Template // nil: no body
	nulls   []string           // fields.* and extra variables to default to null
	origin  string             // checked literal origin of the URL, or ""
	omit    []string           // OmitEmpty paths, validated
	rules   responseRules      // success conditions on a 2xx body
}

func (e *endpoint) configured() bool { return e.url != nil }

// headerTemplate is one header: static (value set) or a template.
type headerTemplate struct {
	name   string // canonical
	value  string
	values []string           // []string{value}, cap 1, shared by every request
	tmpl   *template.Template // nil when static
	secret bool
	nulls  []string
}

var (
	createMethods  = []string{"POST", "PUT", "PATCH"}
	updateMethods  = []string{"PUT", "PATCH", "POST"}
	readMethods    = []string{"GET", "POST"}
	commentMethods = []string{"POST", "PUT", "PATCH"}
)

// compile validates c and parses its templates. It never panics on bad
// input; on any error the compiledConfig is nil.
func (c Config) compile() (*compiledConfig, []itsm.FieldError) {
	raw := c
	c = c.WithDefaults()
	cc := &compiledConfig{cfg: c}
	var errs []itsm.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, itsm.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}

	if strings.TrimSpace(c.Name) == "" {
		add("name", "is required")
	} else if len(c.Name) > 200 || hasCtl(c.Name) {
		add("name", "must be at most 200 characters without control characters")
	}
	if c.ID != "" && !validID(c.ID) {
		add("id", "must be 1 to 128 characters of letters, digits, '.', '_' or '-'")
	}
	format := c.BodyFormat
	switch format {
	case BodyJSON, BodyForm, BodyText:
	default:
		add("body_format", "unknown body format %q (want json, form or text)", clip.Bytes(string(raw.BodyFormat), 40))
		format = BodyJSON
	}
	extra := make([]string, 0, len(c.ExtraVariables))
	for i, v := range c.ExtraVariables {
		if !validVarName(v) {
			add(fmt.Sprintf("extra_variables[%d]", i), "invalid variable name %q", clip.Bytes(v, 40))
			continue
		}
		extra = append(extra, v)
	}
	samples := sampleValues(extra)

	// A host the network rules refuse is reported once, on the first field
	// that uses it, naming the setting that would allow it and the other
	// fields that use it (the message is written when all are known).
	type refusal struct {
		idx  int // in errs
		err  *HostNotAllowedError
		also []string
	}
	var refused []*refusal
	refuse := func(field string, err error) {
		var he *HostNotAllowedError
		if !errors.As(err, &he) {
			add(field, "%s", bare(err))
			return
		}
		for _, r := range refused {
			if r.err.Host == he.Host && r.err.Reason == he.Reason {
				r.also = append(r.also, field)
				return
			}
		}
		refused = append(refused, &refusal{idx: len(errs), err: he})
		errs = append(errs, itsm.FieldError{Field: field})
	}

	parse := func(field, src string, syntax template.Syntax, scope vars.Scope, required bool) *template.Template {
		if strings.TrimSpace(src) == "" {
			if required {
				add(field, "is required")
			}
			return nil
		}
		// A mustache template (Kibana's {{{case.title}}}) would otherwise
		// fail as invalid JSON or pass silently in a URL: each tag is
		// reported with what to write instead.
		if tags := FindMustache(src); len(tags) > 0 {
			for _, tg := range tags {
				add(field, "%s", mustacheMessage(tg))
			}
			return nil
		}
		known := vars.Known(scope, extra...)
		if scope == scopeTicketOnly {
			known = append([]string{vars.TicketID, vars.TicketKey}, extra...)
		}
		// Parsed with every name allowed first, so that each unknown
		// variable is reported, not only the first.
		t, err := template.Parse(src, template.Options{Name: field, Syntax: syntax})
		if err != nil {
			add(field, "%s", templateMessage(err))
			return nil
		}
		if msgs := unknownVariables(field, src, t.Variables(), known); len(msgs) > 0 {
			for _, m := range msgs {
				add(field, "%s", m)
			}
			return nil
		}
		return t
	}
	// checkURL checks a URL template rendered with sample values. It returns
	// the checked origin ("https://host:port") when the template begins with
	// it literally, so no value can change it: the connector then skips the
	// per-request network check for URLs with that origin (the dial-time
	// address check still runs).
	checkURL := func(field string, t *template.Template) (origin string) {
		if t == nil {
			return ""
		}
		out, err := t.Render(withNulls(samples, t.Variables()))
		if err != nil {
			add(field, "%s", templateMessage(err))
			return ""
		}
		u, err := url.Parse(string(out))
		switch {
		case err != nil:
			add(field, "is not a valid URL")
		case u.Scheme != "http" && u.Scheme != "https":
			add(field, "must be an absolute http or https URL")
		case u.Host == "" || u.Hostname() == "":
			add(field, "must name a host")
		case u.User != nil:
			add(field, "must not contain credentials (use auth)")
		default:
			if err := checkRequestURL(c.Network, u); err != nil {
				refuse(field, err)
				return ""
			}
			origin = u.Scheme + "://" + u.Host
			src := t.Source()
			if strings.HasPrefix(src, origin) && (len(src) == len(origin) || strings.IndexByte("/?#", src[len(origin)]) >= 0) {
				return origin
			}
		}
		return ""
	}
	checkMethod := func(field, m string, allowed []string) string {
		if slices.Contains(allowed, m) {
			return m
		}
		add(field, "unsupported method %q (want %s)", clip.Bytes(m, 20), strings.Join(allowed, ", "))
		return allowed[0]
	}
	build := func(op itsm.Operation, prefix, method string, methods []string, urlSrc, payloadSrc string, scope vars.Scope, payloadRequired bool) endpoint {
		ep := endpoint{op: op, method: checkMethod(prefix+".method", method, methods)}
		ep.url = parse(prefix+".url", urlSrc, template.URL, scope, true)
		ep.origin = checkURL(prefix+".url", ep.url)
		if ep.method == "GET" && strings.TrimSpace(payloadSrc) != "" {
			add(prefix+".payload", "is not allowed with GET")
		} else {
			ep.payload = parse(prefix+".payload", payloadSrc, format.syntax(), scope, payloadRequired)
		}
		ep.nulls = nullVars(extra, ep.url, ep.payload)
		return ep
	}

	// omitAndRules validates an endpoint's omit_empty paths against its
	// payload rendered with the sample values, and its response rules.
	omitAndRules := func(ep *endpoint, prefix string, paths []string, success, errPath string) {
		var rendered []byte
		if ep.payload != nil && format == BodyJSON {
			rendered, _ = ep.payload.Render(withNulls(samples, ep.payload.Variables()))
			if !isJSON(rendered) {
				rendered = nil
			}
		}
		checkOmitEmpty(add, prefix, paths, format == BodyJSON, ep.payload != nil, rendered)
		ep.omit = slices.Clone(paths)
		ep.rules = checkResponseRules(add, prefix, success, errPath)
	}
	cc.create = build(itsm.OpCreate, "create", c.Create.Method, createMethods, c.Create.URL, c.Create.Payload, vars.ScopeCase, true)
	omitAndRules(&cc.create, "create", c.Create.OmitEmpty, c.Create.SuccessPath, c.Create.ErrorPath)
	if strings.TrimSpace(c.TicketIDPath) == "" {
		add("ticket_id_path", "is required")
	} else if !validPath(c.TicketIDPath) {
		add("ticket_id_path", "is not a valid gjson path")
	}
	if c.TicketKeyPath != "" && !validPath(c.TicketKeyPath) {
		add("ticket_key_path", "is not a valid gjson path")
	}
	cc.update = build(itsm.OpUpdate, "update", c.Update.Method, updateMethods, c.Update.URL, c.Update.Payload, vars.ScopeTicket, false)
	requireTicketRef(add, "update.url", c.Update.URL, cc.update)
	omitAndRules(&cc.update, "update", c.Update.OmitEmpty, c.Update.SuccessPath, c.Update.ErrorPath)

	if c.Get.URL != "" || c.Get.Payload != "" {
		cc.get = build(itsm.OpGet, "get", c.Get.Method, readMethods, c.Get.URL, c.Get.Payload, scopeTicketOnly, false)
		requireTicketRef(add, "get.url", c.Get.URL, cc.get)
	} else {
		cc.get = endpoint{op: itsm.OpGet, method: c.Get.Method}
	}
	for field, p := range map[string]string{"get.title_path": c.Get.TitlePath, "get.status_path": c.Get.StatusPath, "get.status_category_path": c.Get.StatusCategoryPath, "comment.comment_id_path": c.Comment.CommentIDPath} {
		if p != "" && !validPath(p) {
			add(field, "is not a valid gjson path")
		}
	}
	if c.Comment.URL != "" || c.Comment.Payload != "" {
		cc.comment = build(itsm.OpComment, "comment", c.Comment.Method, commentMethods, c.Comment.URL, c.Comment.Payload, vars.ScopeNote, true)
		requireTicketRef(add, "comment.url", c.Comment.URL, cc.comment)
		requireNote(add, "comment.payload", cc.comment, extra)
		omitAndRules(&cc.comment, "comment", c.Comment.OmitEmpty, c.Comment.SuccessPath, c.Comment.ErrorPath)
	} else {
		cc.comment = endpoint{op: itsm.OpComment, method: c.Comment.Method}
		omitAndRules(&cc.comment, "comment", c.Comment.OmitEmpty, c.Comment.SuccessPath, c.Comment.ErrorPath)
	}
	if c.Lookup.URL != "" || c.Lookup.Payload != "" || c.Lookup.TicketIDPath != "" {
		cc.lookup = build(itsm.OpLookup, "lookup", c.Lookup.Method, readMethods, c.Lookup.URL, c.Lookup.Payload, vars.ScopeCase, false)
		if strings.TrimSpace(c.Lookup.TicketIDPath) == "" {
			add("lookup.ticket_id_path", "is required with a lookup URL")
		} else if !validPath(c.Lookup.TicketIDPath) {
			add("lookup.ticket_id_path", "is not a valid gjson path")
		}
		for field, p := range map[string]string{"lookup.ticket_key_path": c.Lookup.TicketKeyPath, "lookup.items_path": c.Lookup.ItemsPath,
			"lookup.match_path": c.Lookup.MatchPath, "lookup.get_match_path": c.Lookup.GetMatchPath} {
			if p != "" && !validPath(p) {
				add(field, "is not a valid gjson path")
			}
		}
		switch {
		case c.Lookup.MatchPath == "" && c.Lookup.GetMatchPath == "":
			add("lookup.match_path", "%s", missingMatchPath(c.Provider, c.Lookup))
		case c.Lookup.MatchPath != "" && c.Lookup.GetMatchPath != "":
			add("lookup.get_match_path", "must not be set with lookup.match_path (choose one way to verify)")
		case c.Lookup.GetMatchPath != "" && strings.TrimSpace(c.Get.URL) == "":
			add("lookup.get_match_path", "needs a get request (get.url) to read each ticket found")
		}
		omitAndRules(&cc.lookup, "lookup", c.Lookup.OmitEmpty, "", "")
	} else {
		cc.lookup = endpoint{op: itsm.OpLookup, method: c.Lookup.Method}
		omitAndRules(&cc.lookup, "lookup", c.Lookup.OmitEmpty, "", "")
	}
	if cl := c.CommentLookup; cl.URL != "" || cl.Payload != "" || cl.ItemsPath != "" || cl.MatchPath != "" || cl.IDPath != "" || cl.ExpectPath != "" || cl.TicketPath != "" {
		cc.commentLookup = build(OpFindComment, "comment_lookup", cl.Method, readMethods, cl.URL, cl.Payload, vars.ScopeNote, false)
		requireTicketRef(add, "comment_lookup.url", cl.URL, cc.commentLookup)
		checkCommentLookup(add, cl, cc.comment)
		if cc.comment.configured() && cc.comment.usesAny(vars.NoteMarker) && !rendersWhole(samples, vars.NoteMarker, []*template.Template{cc.comment.url, cc.comment.payload}) {
			add("comment.payload", "must carry $note_marker whole (a filter such as trunc cuts it) when comment_lookup is set: the lookup finds a comment only by its marker")
		}
	} else {
		cc.commentLookup = endpoint{op: OpFindComment, method: cl.Method}
	}
	cc.view = parse("view_url", c.ViewURL, template.URL, vars.ScopeTicket, false)
	checkURL("view_url", cc.view)
	cc.viewNulls = nullVars(extra, cc.view)
	cc.health = parse("health_url", c.HealthURL, template.URL, vars.ScopeCase, false)
	checkURL("health_url", cc.health)
	if msg := targetProblem(c.Target); msg != "" {
		add("target", "%s", msg)
	}

	cc.headers = c.compileHeaders(extra, add, parse)
	if cc.lookup.configured() && cc.create.url != nil && cc.create.payload != nil {
		switch {
		case !carriesCorrelationKey(cc.create, cc.headers):
			add("create.payload", "must carry $correlation_key (in the payload, the URL or a header) while a lookup is configured: the lookup proves its match by it")
		case !rendersWhole(samples, vars.CorrelationKey, append([]*template.Template{cc.create.url, cc.create.payload}, headerTmpls(cc.headers)...)):
			add("create.payload", "must carry $correlation_key whole (a filter such as trunc cuts it) while a lookup is configured: the lookup proves its match by it")
		}
	}
	for i := range cc.headers {
		if cc.headers[i].tmpl == nil {
			cc.headers[i].values = []string{cc.headers[i].value}[:1:1]
		}
	}
	cc.contentType = []string{format.contentType()}[:1:1]

	if c.Timeouts.Request < 0 || c.Timeouts.Request.D() > 10*time.Minute {
		add("timeouts.request", "must be between 0 (default %s) and 10m", DefaultRequestTimeout)
	}
	if c.Retry.MaxAttempts < 0 || c.Retry.MaxAttempts > maxAttemptsLimit {
		add("retry.max_attempts", "must be between 0 (default %d) and %d", DefaultMaxAttempts, maxAttemptsLimit)
	}
	if c.Retry.WaitMin < 0 {
		add("retry.wait_min", "must not be negative")
	}
	if c.Retry.WaitMax < 0 {
		add("retry.wait_max", "must not be negative")
	} else if c.Retry.WaitMax < c.Retry.WaitMin {
		add("retry.wait_max", "must not be less than retry.wait_min")
	}
	if c.Retry.MaxRetryAfter < 0 {
		add("retry.max_retry_after", "must not be negative")
	}
	if c.MaxResponseBytes < 0 || c.MaxResponseBytes > 64<<20 {
		add("max_response_bytes", "must be between 0 (default %d) and %d", DefaultMaxResponseBytes, 64<<20)
	}

	errs = append(errs, c.Auth.validate("auth")...)
	if c.Auth.authType() == AuthOAuth2 && c.Auth.OAuth2 != nil && c.Auth.OAuth2.TokenURL != "" {
		// The token endpoint receives the client secret: it is held to the
		// same allow-list as the ITSM's URLs, on save as at run time.
		if u, err := url.Parse(c.Auth.OAuth2.TokenURL); err == nil && u.Host != "" {
			if err := checkRequestURL(c.Network, u); err != nil {
				refuse("auth.oauth2.token_url", err)
			}
		}
	}
	errs = append(errs, c.TLS.validate("tls")...)
	errs = append(errs, c.Network.validate("network")...)

	var err error
	if cc.statusMap, err = c.StatusMap.Compile(); err != nil {
		errs = append(errs, mapErrors("status_map", err)...)
	}
	if cc.prioMap, err = c.PriorityMap.Compile(); err != nil {
		errs = append(errs, mapErrors("priority_map", err)...)
	}
	for _, r := range refused {
		msg := fmt.Sprintf("host %q is not allowed: %s", clip.Bytes(r.err.Host, 100), r.err.detail())
		if len(r.also) > 0 {
			msg += " (also used by " + strings.Join(r.also, ", ") + ")"
		}
		errs[r.idx].Message = msg
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cc, nil
}

// compileHeaders validates Headers and SecretHeaders and returns them merged
// (secret headers win), sorted by canonical name.
func (c Config) compileHeaders(extra []string, add func(string, string, ...any), parse func(string, string, template.Syntax, vars.Scope, bool) *template.Template) []headerTemplate {
	byName := make(map[string]headerTemplate)
	apiKeyHeader := ""
	if c.Auth.authType() == AuthAPIKey && c.Auth.HeaderName != "" {
		apiKeyHeader = textproto.CanonicalMIMEHeaderKey(c.Auth.HeaderName)
	}
	authSets := c.Auth.authType() == AuthBasic || c.Auth.authType() == AuthBearer || c.Auth.authType() == AuthOAuth2
	check := func(field, name string, secret bool) (string, bool) {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case !validHeaderName(name):
			add(field, "is not a valid HTTP header name")
		case canon != "Content-Type" && reservedHeader(canon):
			add(field, "header %q is set by the connector and cannot be configured", canon)
		case canon == apiKeyHeader:
			add(field, "header %q carries the API key (auth.header_name)", canon)
		case canon == "Authorization" && !secret:
			add(field, "credentials must not be plain headers: use auth or secret_headers")
		case canon == "Authorization" && authSets:
			add(field, "conflicts with auth.type %q, which sets Authorization", string(c.Auth.authType()))
		default:
			return canon, true
		}
		return canon, false
	}
	for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
		field := "headers." + name
		canon, ok := check(field, name, false)
		if !ok {
			continue
		}
		v := c.Headers[name]
		if _, dup := byName[canon]; dup {
			add(field, "is set twice (header names are case-insensitive)")
			continue
		}
		t := parse(field, v, template.Header, vars.ScopeCase, false)
		if t == nil {
			if strings.TrimSpace(v) == "" {
				add(field, "has an empty value")
			}
			continue
		}
		h := headerTemplate{name: canon}
		if len(t.Variables()) == 0 {
			h.value = v
		} else {
			h.tmpl = t
			// Headers go with every request, get (no case) included: a
			// variable without a value there renders empty.
			h.nulls = t.Variables()
		}
		byName[canon] = h
	}
	secretSeen := make(map[string]bool)
	for _, name := range slices.Sorted(maps.Keys(c.SecretHeaders)) {
		field := "secret_headers." + name
		canon, ok := check(field, name, true)
		if !ok {
			continue
		}
		v := c.SecretHeaders[name]
		switch {
		case secretSeen[canon]:
			add(field, "is set twice (header names are case-insensitive)")
		case v == "":
			add(field, "value is required")
		case v == RedactedMarker:
			add(field, "re-enter the value (the redaction marker is not a value; a saved secret is not kept when an endpoint URL's host changes)")
		case hasCtl(v):
			add(field, "value must not contain control characters")
		default:
			secretSeen[canon] = true
			byName[canon] = headerTemplate{name: canon, value: v, secret: true}
		}
	}
	out := make([]headerTemplate, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[name])
	}
	return out
}

// nullVars lists the variables of ts that may have no value at render time
// and then render as null: custom fields ($fields.x) and provider extras.
func nullVars(extra []string, ts ...*template.Template) []string {
	var out []string
	for _, t := range ts {
		if t == nil {
			continue
		}
		for _, v := range t.Variables() {
			if strings.HasPrefix(v, vars.FieldsPrefix) || slices.Contains(extra, v) {
				if !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// withNulls returns vals with every name in names that has no value set to
// null (a copy when anything is added).
func withNulls(vals template.Values, names []string) template.Values {
	var out template.Values
	for _, n := range names {
		if _, ok := vals[n]; ok {
			continue
		}
		if out == nil {
			out = make(template.Values, len(vals)+len(names))
			maps.Copy(out, vals)
		}
		out[n] = template.Null()
	}
	if out == nil {
		return vals
	}
	return out
}

// SampleCase, SampleTicket and SampleNote are what [Config.Validate] renders
// templates with, and what a UI preview may use when it has no real case.
var (
	SampleCase = itsm.Case{
		ID:          "CASE-1042",
		Title:       `Brute force on "vpn-gw-01"`,
		Description: "Multiple failed logins from 203.0.113.7.\nBlocked at the firewall.",
		Severity:    itsm.SeverityHigh,
		Status:      itsm.StatusOpen,
		Tags:        []string{"vpn", "auth"},
		Assignee:    "alice@example.com",
		URL:         "https://siem.example.com/cases/1042",
		CreatedAt:   time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC),
		UpdatedAt:   time.Date(2026, 11, 28, 3, 10, 0, 0, time.UTC),
	}
	SampleTicket = itsm.Ticket{ID: "10042", Key: "SEC-42"}
	SampleNote   = itsm.Note{ID: "note-7", Text: "Blocked the source IP at the firewall.", Author: "alice@example.com",
		CreatedAt: time.Date(2026, 11, 28, 3, 5, 0, 0, time.UTC)}
)

// sampleValues are the variables Validate renders with: the sample case,
// ticket and note, mapped values, and "sample" for each extra variable.
func sampleValues(extra []string) template.Values {
	c, t, n := SampleCase, SampleTicket, SampleNote
	v := vars.Values(vars.Input{Case: &c, Ticket: &t, Note: &n, Priority: "High", ITSMStatus: "Open",
		CorrelationKey: itsm.CorrelationKey("sample", c.ID)})
	for _, e := range extra {
		if _, ok := v[e]; !ok {
			v[e] = template.String("sample")
		}
	}
	return v
}

// templateMessage turns a template error into a field message (template
// errors never hold values, only names and offsets).
func templateMessage(err error) string {
	var te *template.Error
	if errors.As(err, &te) {
		msg := te.Err.Error()
		msg = strings.TrimPrefix(msg, "template: ")
		if te.Variable != "" {
			msg += ": $" + te.Variable
		}
		if te.Offset >= 0 {
			msg += fmt.Sprintf(" at offset %d", te.Offset)
		}
		if te.Detail != "" {
			msg += " (" + te.Detail + ")"
		}
		return msg
	}
	return err.Error()
}

// mapErrors prefixes a statusmap validation error's fields.
func mapErrors(prefix string, err error) []itsm.FieldError {
	var ve *itsm.ValidationError
	if errors.As(err, &ve) {
		out := make([]itsm.FieldError, 0, len(ve.Errors))
		for _, fe := range ve.Errors {
			out = append(out, itsm.FieldError{Field: prefix + "." + fe.Field, Message: fe.Message})
		}
		return out
	}
	return []itsm.FieldError{{Field: prefix, Message: err.Error()}}
}

func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// validVarName accepts names of letters, digits, '_' and '.'.
func validVarName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// validPath accepts a plausible gjson path: not blank, at most 256 bytes,
// no control characters, balanced brackets, braces and parentheses outside
// escapes. (gjson itself accepts any string; this catches typos on save.)
func validPath(p string) bool {
	if strings.TrimSpace(p) != p || p == "" || len(p) > 256 || hasCtl(p) {
		return false
	}
	depth := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && !strings.HasSuffix(p, ".")
}

// markSecrets is keepSecrets when the endpoints moved to a new
// host: nothing is restored, and each secret the saved configuration would
// have supplied is set to the marker so validation asks for it again.
func (t *TLSConfig) markSecrets(saved TLSConfig) {
	src := t.ClientCertificate
	if src == TLSClientCertNone {
		return
	}
	marked := false
	if t.ClientCertPEM != "" && (src == "" || src == TLSClientCertAuto || src == TLSClientCertPEM) &&
		t.ClientKeyPEM == "" && saved.ClientKeyPEM != "" {
		t.ClientKeyPEM = RedactedMarker
		marked = true
	}
	if (src == TLSClientCertPFX || (src == "" || src == TLSClientCertAuto) && t.ClientCertPEM == "" && t.ClientKeyPEM == "") &&
		t.PFXBase64 == "" && saved.PFXBase64 != "" {
		t.PFXBase64 = RedactedMarker
		marked = true
	}
	if marked {
		t.Passphrase = markSecret(t.Passphrase, saved.Passphrase)
	}
}

// carriesCorrelationKey reports whether a create sends $correlation_key: in
// its URL, its payload or a header template.
func carriesCorrelationKey(create endpoint, headers []headerTemplate) bool {
	for _, t := range []*template.Template{create.url, create.payload} {
		if t != nil && slices.Contains(t.Variables(), vars.CorrelationKey) {
			return true
		}
	}
	for _, h := range headers {
		if h.tmpl != nil && slices.Contains(h.tmpl.Variables(), vars.CorrelationKey) {
			return true
		}
	}
	return false
}

// missingMatchPath is the message of a lookup without match_path or
// get_match_path. A lookup saved before matches had to be proved reads one
// result by an index ("issues.0.id"); the message says how to rewrite it.
func missingMatchPath(provider string, l LookupConfig) string {
	msg := "is required with a lookup URL: the path, inside each result, of the field that holds $correlation_key " +
		"(or set lookup.get_match_path to read it from each ticket's get); a search result alone does not prove a ticket " +
		"carries the correlation key, many ITSMs ignore a filter they do not understand"
	if segs := strings.Split(l.TicketIDPath, "."); l.ItemsPath == "" {
		for i, seg := range segs {
			if seg == "" || strings.Trim(seg, "0123456789") != "" || i == len(segs)-1 {
				continue
			}
			items := strings.Join(segs[:i], ".")
			if items == "" {
				items = "@this"
			}
			msg += fmt.Sprintf(". This lookup reads one result (ticket_id_path %q): read every result with items_path %q and ticket_id_path %q, "+
				"and set match_path to the field of a result that holds $correlation_key", l.TicketIDPath, items, strings.Join(segs[i+1:], "."))
			break
		}
	}
	switch p := strings.ToLower(strings.TrimSpace(provider)); p {
	case "jira", "servicenow", "sysaid", "rt":
		// A preset's old lookup also asked for too few fields to prove a
		// match: its current lookup block is the simplest way out.
		msg += ". For a config made by the " + p + " preset before lookups proved their match: replace its lookup " +
			"with the lookup of the preset's current output (same options)"
	}
	return msg
}

// headerTmpls returns the templates of the templated headers.
func headerTmpls(headers []headerTemplate) []*template.Template {
	var out []*template.Template
	for _, h := range headers {
		if h.tmpl != nil {
			out = append(out, h.tmpl)
		}
	}
	return out
}

// rendersWhole reports whether one of the templates (nil ones skipped),
// rendered with the sample values, carries variable name's sample value
// whole: a filter such as trunc may cut it, and a lookup can then never
// prove a match by it.
func rendersWhole(samples template.Values, name string, tmpls []*template.Template) bool {
	want := samples[name].Text()
	for _, t := range tmpls {
		if t == nil || !slices.Contains(t.Variables(), name) {
			continue
		}
		out, err := t.Render(withNulls(samples, t.Variables()))
		if err != nil || strings.Contains(string(out), want) {
			return true // a render error is reported where the template is parsed
		}
	}
	return false
}
