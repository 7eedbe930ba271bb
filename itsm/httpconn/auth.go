package httpconn

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/itsmsync/itsmsync/itsm"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// RedactedMarker replaces a secret when a configuration is marshaled back out
// (see Config's redaction). Sent back unchanged on edit (or left blank), it
// means "keep the saved value". It is never a valid secret: a secret equal to
// the marker with no saved value to keep fails validation.
const RedactedMarker = "********"

// AuthType says how requests to the ITSM authenticate. The zero value ("")
// means [AuthNone].
type AuthType string

// The authentication types.
const (
	// AuthNone sends no credentials (mutual TLS, configured in [TLSConfig],
	// may still identify the client — Kibana's "SSL" authentication).
	AuthNone AuthType = "none"
	// AuthBasic sends "Authorization: Basic base64(username:password)".
	// Jira Cloud: the account email and an API token.
	AuthBasic AuthType = "basic"
	// AuthBearer sends "Authorization: Bearer <token>" (e.g. a Jira Data
	// Center personal access token).
	AuthBearer AuthType = "bearer"
	// AuthAPIKey sends the key in a named header (e.g. "X-API-Key").
	AuthAPIKey AuthType = "api_key"
	// AuthOAuth2 fetches a token with the OAuth2 client credentials grant,
	// caches it until it expires, and fetches a new one after a 401.
	AuthOAuth2 AuthType = "oauth2"
)

// AuthConfig is the authentication of an integration: plain data, JSON
// serializable. Only the fields of the chosen Type are used; the others are
// ignored (and not validated). Password, Token, APIKey and the OAuth2 client
// secret are secrets: redacted when the configuration is marshaled back out,
// kept from the saved configuration when left blank (or sent back as
// [RedactedMarker]) on edit.
type AuthConfig struct {
	// Type selects the scheme; "" means [AuthNone].
	Type AuthType `json:"type,omitempty"`
	// Username is the basic-auth user (Jira Cloud: the account email). It
	// must not contain a colon.
	Username string `json:"username,omitempty"`
	// Password is the basic-auth password (Jira Cloud: an API token). Secret.
	Password string `json:"password,omitempty"`
	// Token is the bearer token. Secret.
	Token string `json:"token,omitempty"`
	// Scheme is the word before the token in the Authorization header of
	// [AuthBearer] and [AuthOAuth2]: "" means "Bearer"; Request Tracker, for
	// one, wants "token" ("Authorization: token <t>"). An RFC 9110 token of
	// at most 32 characters (letters, digits, !#$%&'*+-.^_`|~). Not a
	// secret; ignored by the other types.
	Scheme string `json:"scheme,omitempty"`
	// HeaderName is the header carrying the API key, e.g. "X-API-Key".
	HeaderName string `json:"header_name,omitempty"`
	// APIKey is the API key. Secret.
	APIKey string `json:"api_key,omitempty"`
	// OAuth2 configures the client credentials grant; required for
	// [AuthOAuth2], ignored otherwise.
	OAuth2 *OAuth2Config `json:"oauth2,omitempty"`
}

// OAuth2AuthStyle says how the client credentials reach the token endpoint.
type OAuth2AuthStyle string

// The OAuth2 client authentication styles.
const (
	// OAuth2AuthStyleAuto ("" too) tries HTTP basic auth first, then form
	// parameters, and remembers what worked.
	OAuth2AuthStyleAuto OAuth2AuthStyle = "auto"
	// OAuth2AuthStyleHeader sends client_id and client_secret as HTTP basic
	// auth (RFC 6749 section 2.3.1, the recommended way).
	OAuth2AuthStyleHeader OAuth2AuthStyle = "header"
	// OAuth2AuthStyleParams sends them as form parameters in the body.
	OAuth2AuthStyleParams OAuth2AuthStyle = "params"
)

// OAuth2Config is the OAuth2 client credentials grant (RFC 6749 section 4.4).
// ClientSecret is a secret.
type OAuth2Config struct {
	// TokenURL is the token endpoint (http or https; it is reached through
	// the integration's transport, so its TLS, proxy and network rules
	// apply).
	TokenURL string `json:"token_url"`
	// ClientID is the client identifier.
	ClientID string `json:"client_id"`
	// ClientSecret is the client secret. Secret.
	ClientSecret string `json:"client_secret,omitempty"`
	// Scopes are requested as a space-separated "scope" parameter; none
	// when empty.
	Scopes []string `json:"scopes,omitempty"`
	// EndpointParams are extra form parameters of the token request (e.g.
	// "audience", "resource"). They must not repeat grant_type, scope,
	// client_id or client_secret.
	EndpointParams map[string]string `json:"endpoint_params,omitempty"`
	// AuthStyle says how the client authenticates; "" means
	// [OAuth2AuthStyleAuto].
	AuthStyle OAuth2AuthStyle `json:"auth_style,omitempty"`
}

// scheme returns the Authorization scheme of bearer and oauth2 auth.
func (a AuthConfig) scheme() string {
	if a.Scheme == "" {
		return "Bearer"
	}
	return a.Scheme
}

func (a AuthConfig) authType() AuthType {
	if a.Type == "" {
		return AuthNone
	}
	return a.Type
}

// validate returns every problem of the auth section; field names are
// prefix + "." + the JSON name. Messages never contain a secret.
func (a AuthConfig) validate(prefix string) []itsm.FieldError {
	var errs []itsm.FieldError
	add := func(field, msg string) {
		errs = append(errs, itsm.FieldError{Field: joinField(prefix, field), Message: msg})
	}
	checkSecret := func(field, value, what string) {
		switch {
		case value == "":
			add(field, what+" is required")
		case value == RedactedMarker:
			add(field, "re-enter the "+what+" (the redaction marker is not a value; a saved secret is not kept when an endpoint URL's host changes)")
		case hasCtl(value):
			add(field, what+" must not contain control characters")
		}
	}
	checkScheme := func() {
		if a.Scheme != "" && !validScheme(a.Scheme) {
			// The value is not echoed: a token pasted here by mistake
			// ("Bearer <token>") would otherwise show in the error.
			add("scheme", "scheme must be one word of letters, digits or !#$%&'*+-.^_`|~ (at most 32), e.g. Bearer or token; the token itself goes in token")
		}
	}
	switch a.authType() {
	case AuthNone:
	case AuthBasic:
		switch {
		case a.Username == "":
			add("username", "username is required")
		case a.Username == RedactedMarker:
			add("username", "enter the username (the redaction marker is not a value)")
		case strings.Contains(a.Username, ":"):
			add("username", "username must not contain a colon")
		case hasCtl(a.Username):
			add("username", "username must not contain control characters")
		}
		checkSecret("password", a.Password, "password")
	case AuthBearer:
		checkSecret("token", a.Token, "token")
		checkScheme()
	case AuthAPIKey:
		switch {
		case a.HeaderName == "":
			add("header_name", "header name is required")
		case !validHeaderName(a.HeaderName):
			add("header_name", "header name is not a valid HTTP header name")
		case reservedHeader(a.HeaderName):
			add("header_name", fmt.Sprintf("header %q cannot carry an API key", a.HeaderName))
		}
		checkSecret("api_key", a.APIKey, "API key")
	case AuthOAuth2:
		o := a.OAuth2
		if o == nil {
			add("oauth2", "oauth2 settings are required for oauth2 authentication")
			break
		}
		if msg := checkEndpointURL(o.TokenURL); msg != "" {
			add("oauth2.token_url", msg)
		}
		if o.ClientID == "" {
			add("oauth2.client_id", "client id is required")
		} else if hasCtl(o.ClientID) {
			add("oauth2.client_id", "client id must not contain control characters")
		}
		checkSecret("oauth2.client_secret", o.ClientSecret, "client secret")
		checkScheme()
		for _, s := range o.Scopes {
			if s == "" || strings.ContainsAny(s, " \"\\") || hasCtl(s) {
				add("oauth2.scopes", fmt.Sprintf("scope %q is not a valid scope token", s))
			}
		}
		for k := range o.EndpointParams {
			switch k {
			case "grant_type", "scope", "client_id", "client_secret":
				add("oauth2.endpoint_params", fmt.Sprintf("parameter %q is set by the grant itself", k))
			case "":
				add("oauth2.endpoint_params", "parameter name must not be empty")
			}
		}
		switch o.AuthStyle {
		case "", OAuth2AuthStyleAuto, OAuth2AuthStyleHeader, OAuth2AuthStyleParams:
		default:
			add("oauth2.auth_style", fmt.Sprintf("unknown auth style %q (want auto, header or params)", o.AuthStyle))
		}
	default:
		add("type", fmt.Sprintf("unknown auth type %q (want none, basic, bearer, api_key or oauth2)", a.Type))
	}
	return errs
}

// redacted returns a copy with every secret replaced by [RedactedMarker];
// empty secrets stay empty so a UI can tell "set" from "not set".
func (a AuthConfig) redacted() AuthConfig {
	a.Password = redactString(a.Password)
	a.Token = redactString(a.Token)
	a.APIKey = redactString(a.APIKey)
	if a.OAuth2 != nil {
		o := *a.OAuth2
		o.ClientSecret = redactString(o.ClientSecret)
		o.Scopes = slices.Clone(o.Scopes)
		o.EndpointParams = maps.Clone(o.EndpointParams)
		a.OAuth2 = &o
	}
	return a
}

// keepSecrets fills each secret left blank (or sent back as the marker) from
// the saved configuration. The OAuth2 client secret is only kept while the
// token endpoint stays on the same host: a secret must not follow an edited
// URL to a new host without being typed again (it then stays the marker, and
// validation asks for it).
func (a *AuthConfig) keepSecrets(saved AuthConfig) {
	a.Password = keepSecret(a.Password, saved.Password)
	a.Token = keepSecret(a.Token, saved.Token)
	a.APIKey = keepSecret(a.APIKey, saved.APIKey)
	if a.OAuth2 != nil {
		o := *a.OAuth2
		if saved.OAuth2 != nil && sameHost(o.TokenURL, saved.OAuth2.TokenURL) {
			o.ClientSecret = keepSecret(o.ClientSecret, saved.OAuth2.ClientSecret)
		} else if o.ClientSecret == "" && saved.OAuth2 != nil && saved.OAuth2.ClientSecret != "" {
			o.ClientSecret = RedactedMarker
		}
		a.OAuth2 = &o
	}
}

// markSecrets is keepSecrets when the endpoints moved to a new host: no
// secret is restored, and each one left blank whose saved value is set
// becomes the marker, so validation asks for it again.
func (a *AuthConfig) markSecrets(saved AuthConfig) {
	a.Password = markSecret(a.Password, saved.Password)
	a.Token = markSecret(a.Token, saved.Token)
	a.APIKey = markSecret(a.APIKey, saved.APIKey)
	if a.OAuth2 != nil {
		o := *a.OAuth2
		if saved.OAuth2 != nil && sameHost(o.TokenURL, saved.OAuth2.TokenURL) {
			// The client secret only goes to the token URL, which is unchanged.
			o.ClientSecret = keepSecret(o.ClientSecret, saved.OAuth2.ClientSecret)
		} else if saved.OAuth2 != nil {
			o.ClientSecret = markSecret(o.ClientSecret, saved.OAuth2.ClientSecret)
		}
		a.OAuth2 = &o
	}
}

// markSecret returns the marker for a secret left blank whose saved value is
// set, else v unchanged.
func markSecret(v, saved string) string {
	if v == "" && saved != "" {
		return RedactedMarker
	}
	return v
}

// secretValues lists every secret string of the auth and TLS sections and
// of the secret headers, as they may appear on the wire or in a message:
// the raw values and the basic-auth encoding. The connector redacts them
// from error snippets. Empty strings are left out.
func secretValues(a AuthConfig, t TLSConfig, headers map[string]string) []string {
	var out []string
	add := func(vs ...string) {
		for _, v := range vs {
			if v != "" && v != RedactedMarker {
				out = append(out, v)
			}
		}
	}
	add(a.Password, a.Token, a.APIKey)
	if a.Username != "" && a.Password != "" {
		add(basicAuthValue(a.Username, a.Password))
	}
	if a.OAuth2 != nil {
		add(a.OAuth2.ClientSecret)
		if a.OAuth2.ClientID != "" && a.OAuth2.ClientSecret != "" {
			// What the token request's basic auth carries.
			add(basicAuthValue(url.QueryEscape(a.OAuth2.ClientID), url.QueryEscape(a.OAuth2.ClientSecret)))
		}
	}
	add(t.ClientKeyPEM, t.PFXBase64, t.Passphrase)
	for _, v := range headers {
		add(v)
	}
	return out
}

// basicAuthValue is the credentials part of a basic Authorization header.
func basicAuthValue(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// authenticator adds credentials to outgoing requests. Implementations are
// safe for concurrent use.
type authenticator interface {
	// apply sets the credentials on req (it may fetch a token first; ctx
	// bounds that).
	apply(ctx context.Context, req *http.Request) error
	// refresh drops cached credentials after the ITSM answered 401 and
	// reports whether a retry may succeed with new ones (only a fetched
	// token can change).
	refresh() bool
}

// newAuthenticator builds the authenticator of a validated AuthConfig. base
// carries the OAuth2 token requests; it should be the connector's own
// transport so the token endpoint gets the same TLS, proxy and network
// rules. A nil base uses a fresh transport from buildTransport with the
// default rules.
func newAuthenticator(a AuthConfig, base http.RoundTripper) (authenticator, error) {
	switch a.authType() {
	case AuthNone:
		return noAuth{}, nil
	case AuthBasic:
		return headerAuth{name: "Authorization", value: "Basic " + basicAuthValue(a.Username, a.Password)}, nil
	case AuthBearer:
		return headerAuth{name: "Authorization", value: a.scheme() + " " + a.Token}, nil
	case AuthAPIKey:
		if a.HeaderName == "" {
			return nil, fmt.Errorf("%w: api_key auth without a header name", itsm.ErrInvalidConfig)
		}
		return headerAuth{name: textproto.CanonicalMIMEHeaderKey(a.HeaderName), value: a.APIKey}, nil
	case AuthOAuth2:
		if a.OAuth2 == nil {
			return nil, fmt.Errorf("%w: oauth2 auth without oauth2 settings", itsm.ErrInvalidConfig)
		}
		if base == nil {
			tr, err := buildTransport(NetworkConfig{}, TLSConfig{}, 0)
			if err != nil {
				return nil, err
			}
			base = tr
		}
		o := newOAuth2Auth(*a.OAuth2, base)
		o.scheme = a.Scheme
		return o, nil
	default:
		return nil, fmt.Errorf("%w: unknown auth type %q", itsm.ErrInvalidConfig, clip.Bytes(string(a.Type), 40))
	}
}

type noAuth struct{}

func (noAuth) apply(context.Context, *http.Request) error { return nil }
func (noAuth) refresh() bool                              { return false }

// headerAuth sets one fixed header: basic, bearer and API key.
type headerAuth struct{ name, value string }

func (h headerAuth) apply(_ context.Context, req *http.Request) error {
	req.Header.Set(h.name, h.value)
	return nil
}

func (headerAuth) refresh() bool { return false }

// oauth2TokenTimeout bounds one token request when the caller's context has
// no earlier deadline.
const oauth2TokenTimeout = 30 * time.Second

// oauth2Auth caches one client-credentials token. apply reuses it until it
// is within oauth2's expiry delta of expiring; refresh drops it. Concurrent
// callers that find no valid token wait for a single fetch.
type oauth2Auth struct {
	cfg    clientcredentials.Config
	client *http.Client

	mu  sync.Mutex // guards tok; held during a fetch so one fetch serves all
	tok *oauth2.Token

	redactor *redact.Redactor // learns every fetched token (nil: none)
	scheme   string           // AuthConfig.Scheme; "" uses the token's type
}

func newOAuth2Auth(o OAuth2Config, base http.RoundTripper) *oauth2Auth {
	params := url.Values{}
	for k, v := range o.EndpointParams {
		params.Set(k, v)
	}
	style := oauth2.AuthStyleAutoDetect
	switch o.AuthStyle {
	case OAuth2AuthStyleHeader:
		style = oauth2.AuthStyleInHeader
	case OAuth2AuthStyleParams:
		style = oauth2.AuthStyleInParams
	}
	return &oauth2Auth{
		cfg: clientcredentials.Config{
			ClientID:       o.ClientID,
			ClientSecret:   o.ClientSecret,
			TokenURL:       o.TokenURL,
			Scopes:         slices.Clone(o.Scopes),
			EndpointParams: params,
			AuthStyle:      style,
		},
		client: &http.Client{
			Transport: base,
			// A token endpoint has no business redirecting; following one
			// would re-send the client credentials elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       oauth2TokenTimeout,
		},
	}
}

func (o *oauth2Auth) apply(ctx context.Context, req *http.Request) error {
	tok, err := o.token(ctx)
	if err != nil {
		return err
	}
	if o.scheme != "" {
		req.Header.Set("Authorization", o.scheme+" "+tok.AccessToken)
		return nil
	}
	tok.SetAuthHeader(req)
	return nil
}

func (o *oauth2Auth) token(ctx context.Context) (*oauth2.Token, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tok.Valid() {
		return o.tok, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.client)
	tok, err := o.cfg.Token(ctx)
	if err != nil {
		return nil, oauth2Error(ctx, err)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: the oauth2 token response has no access_token", itsm.ErrInvalidResponse)
	}
	o.redactor.Add(tok.AccessToken)
	o.redactor.Add(tok.RefreshToken)
	o.tok = tok
	return tok, nil
}

func (o *oauth2Auth) refresh() bool {
	o.mu.Lock()
	o.tok = nil
	o.mu.Unlock()
	return true
}

// OAuth2Error is a failed OAuth2 token request. It carries the HTTP status
// and the RFC 6749 error code only, never the response body or a credential.
//
// A token request that got no answer (StatusCode 0: refused, reset, timed
// out after 30s) wraps [itsm.ErrUnreachable]; when the caller's context
// ended it wraps ctx.Err() instead. The token request's own timeout does not
// match context.DeadlineExceeded.
type OAuth2Error struct {
	// StatusCode is the token endpoint's HTTP status (0 when no response).
	StatusCode int
	// Code is the "error" field of the response (e.g. "invalid_client").
	Code string
	// Err is the underlying transport error, when there was no response.
	Err error

	unreachable bool // no answer, and not the caller's context
}

// Temporary reports whether a later token request may succeed with nothing
// changed: no answer (but not the caller's context ending, nor a TLS
// failure), or a status the connector's retry policy treats as passing
// (408, 429, 5xx but 501 and 505). A 400 or 401 (invalid_client,
// invalid_grant ...) needs a person: the auth.oauth2 settings.
func (e *OAuth2Error) Temporary() bool {
	if e.StatusCode != 0 {
		return temporaryStatus(e.StatusCode)
	}
	return e.unreachable && !isTLSError(e.Err)
}

// Error names the status and error code.
func (e *OAuth2Error) Error() string {
	switch {
	case e.StatusCode != 0 && e.Code != "":
		return fmt.Sprintf("httpconn: oauth2 token request: status %d: %s", e.StatusCode, e.Code)
	case e.StatusCode != 0:
		return fmt.Sprintf("httpconn: oauth2 token request: status %d", e.StatusCode)
	case e.Err != nil:
		return "httpconn: oauth2 token request: " + bare(e.Err)
	}
	return "httpconn: oauth2 token request failed"
}

// Unwrap returns the transport error, if any, and [itsm.ErrUnreachable]
// when the token request got no answer (and the caller's context had not
// ended).
func (e *OAuth2Error) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.unreachable {
		errs = append(errs, itsm.ErrUnreachable)
	}
	return errs
}

// oauth2Error turns an oauth2 package error into an *OAuth2Error without the
// response body (which a misbehaving endpoint may fill with anything). ctx
// is the caller's: a transport failure after it ended wraps ctx.Err(); the
// token request's own timeout is no context.DeadlineExceeded.
func oauth2Error(ctx context.Context, err error) error {
	oe := oauth2ErrorOf(err)
	var ue *url.Error // what the HTTP client returns when no answer came
	if oe.StatusCode != 0 || oe.Err == nil || !errors.As(err, &ue) || errors.Is(oe.Err, ErrHostNotAllowed) {
		return oe
	}
	var done bool
	oe.Err, done = noAnswerCause(ctx, oe.Err, "", oauth2TokenTimeout)
	oe.unreachable = !done
	return oe
}

func oauth2ErrorOf(err error) *OAuth2Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := re.ErrorCode
		if !validOAuth2Code(code) {
			code = ""
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return &OAuth2Error{StatusCode: status, Code: code}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error names the token URL (userinfo redacted by net/url).
		return &OAuth2Error{Err: ue.Err}
	}
	return &OAuth2Error{Err: err}
}

// validOAuth2Code accepts error codes made of the characters RFC 6749
// allows (%x20-21 / %x23-5B / %x5D-7E), without spaces, capped in length.
func validOAuth2Code(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c == '"' || c == '\\' || c > 0x7e {
			return false
		}
	}
	return true
}

func joinField(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

func redactString(s string) string {
	if s == "" {
		return ""
	}
	return RedactedMarker
}

func keepSecret(v, saved string) string {
	if v == "" || v == RedactedMarker {
		if saved != "" {
			return saved
		}
	}
	return v
}

// hasCtl reports ASCII control characters (which would break a header).
func hasCtl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// validHeaderName checks an RFC 7230 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// reservedHeader lists headers net/http or the connector own.
func reservedHeader(name string) bool {
	switch textproto.CanonicalMIMEHeaderKey(name) {
	case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade",
		"Te", "Trailer", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Content-Type":
		return true
	}
	return false
}

// sameHost reports whether two URLs name the same host (and port).
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}
