package jira

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
)

// Deployment is the kind of Jira an integration talks to.
type Deployment string

// Deployments.
const (
	// Cloud is Jira Cloud (https://<site>.atlassian.net, or the
	// api.atlassian.com gateway): REST API v3, rich text in Atlassian
	// Document Format, search through /search/jql.
	Cloud Deployment = "cloud"
	// DataCenter is Jira Data Center or Server (self-hosted): REST API v2,
	// rich text as plain strings, search through /search.
	DataCenter Deployment = "datacenter"
)

// Provider is the httpconn.Config.Provider value of the preset.
const Provider = "jira"

// DefaultIssueType is the issue type of created tickets when
// Options.IssueType is empty.
const DefaultIssueType = "Task"

// DefaultName is the configuration name when Options.Name is empty.
const DefaultName = "Jira"

// DefaultLabel is always put on created tickets, beside the correlation
// key, so that tickets from the SIEM are easy to find in Jira ("labels =
// siem").
const DefaultLabel = "siem"

// OAuth2TokenURL is Atlassian's token endpoint for the OAuth 2.0 client
// credentials of service accounts.
const OAuth2TokenURL = "https://auth.atlassian.com/oauth/token"

// Options is what a host fills in to get a working Jira configuration: plain
// data, the zero value of each field meaning its default. Only BaseURL,
// ProjectKey and Auth are required.
type Options struct {
	// Name is the configuration name shown in the UI (default
	// [DefaultName]).
	Name string `json:"name,omitempty"`
	// BaseURL is where Jira's REST API lives, without a trailing
	// "/rest/...": "https://<site>.atlassian.net" (Cloud),
	// "https://jira.example.com" or "https://example.com/jira" (Data
	// Center), or "https://api.atlassian.com/ex/jira/<cloudId>" (Cloud
	// through Atlassian's API gateway, as OAuth2 service accounts need; see
	// [GatewayURL]). Required.
	BaseURL string `json:"base_url"`
	// SiteURL is where people open tickets (view URL
	// SiteURL/browse/<key>). Default BaseURL; required when BaseURL is the
	// api.atlassian.com gateway.
	SiteURL string `json:"site_url,omitempty"`
	// Deployment is Cloud or DataCenter. Empty means Cloud when BaseURL's
	// host is an Atlassian cloud host (*.atlassian.net, *.jira.com,
	// api.atlassian.com and their government counterparts), DataCenter
	// otherwise.
	Deployment Deployment `json:"deployment,omitempty"`
	// APIVersion is the REST API version: "3" (default on Cloud: ADF rich
	// text) or "2" (default on Data Center, the only one it has; also
	// accepted by Cloud, with plain-text rich text).
	APIVersion string `json:"api_version,omitempty"`
	// ProjectKey is the key of the project tickets are created in ("SEC").
	// Required.
	ProjectKey string `json:"project_key"`
	// IssueType is the issue type name of created tickets (default
	// [DefaultIssueType]).
	IssueType string `json:"issue_type,omitempty"`
	// Labels are put on created tickets in addition to [DefaultLabel] and
	// the case's correlation key (which the lookup searches for). Jira
	// labels cannot contain spaces.
	Labels []string `json:"labels,omitempty"`
	// OmitPriority leaves the priority out of the create and update
	// payloads, for projects whose screens have no priority field (Jira
	// answers "Field 'priority' cannot be set").
	OmitPriority bool `json:"omit_priority,omitempty"`
	// NoNoteMarker posts comments without the "itsmsync" comment property
	// that carries the note's marker, and the config gets no comment
	// lookup: for a Jira that refuses comment properties on add comment.
	// A note whose outcome is unknown then follows the engine's policy and
	// may be posted twice.
	NoNoteMarker bool `json:"no_note_marker,omitempty"`
	// Fields are more fields for the create payload: field id → a JSON
	// template fragment, e.g. "customfield_10010": `"$fields.hostname"` or
	// "components": `[{"name": "SOC"}]`. A fragment may use the case
	// variables; it must be one JSON value with the variables in place.
	Fields map[string]string `json:"fields,omitempty"`
	// Auth is the authentication: [APIToken] (Cloud: account email and API
	// token), [PersonalAccessToken] (Data Center), [ServiceAccountOAuth2]
	// (Cloud service accounts, through the gateway) or any httpconn.AuthConfig
	// (basic with a Data Center user and password, for instance).
	// Required; an explicit httpconn.AuthNone is accepted (a proxy adds the
	// credentials, or mutual TLS identifies the client).
	Auth httpconn.AuthConfig `json:"auth"`
	// TLS and Network are copied into the configuration: a custom CA or
	// client certificate, a proxy, allowed hosts, private networks (Data
	// Center lives there: set Network.AllowPrivateNetworks).
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

// APIToken is Jira Cloud's basic authentication: the account's email and an
// API token (https://id.atlassian.com/manage-profile/security/api-tokens).
func APIToken(email, token string) httpconn.AuthConfig {
	return httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: email, Password: token}
}

// PersonalAccessToken is Jira Data Center's bearer authentication with a
// personal access token.
func PersonalAccessToken(token string) httpconn.AuthConfig {
	return httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: token}
}

// ServiceAccountOAuth2 is the OAuth 2.0 client credentials grant of a Jira
// Cloud service account ([OAuth2TokenURL], audience api.atlassian.com).
// Tokens are only valid on the API gateway: use [GatewayURL] as BaseURL and
// the site as SiteURL. scopes may be empty (the credential's own scopes
// apply).
func ServiceAccountOAuth2(clientID, clientSecret string, scopes ...string) httpconn.AuthConfig {
	return httpconn.AuthConfig{Type: httpconn.AuthOAuth2, OAuth2: &httpconn.OAuth2Config{
		TokenURL: OAuth2TokenURL, ClientID: clientID, ClientSecret: clientSecret, Scopes: scopes,
		EndpointParams: map[string]string{"audience": "api.atlassian.com"},
	}}
}

// GatewayURL is the base URL of a Jira Cloud site on Atlassian's API
// gateway, "https://api.atlassian.com/ex/jira/<cloudId>" (what OAuth2 tokens
// are valid for). The cloud id is shown at
// https://<site>.atlassian.net/_edge/tenant_info.
func GatewayURL(cloudID string) string {
	return "https://api.atlassian.com/ex/jira/" + url.PathEscape(cloudID)
}

var (
	projectKeyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,254}$`)
	fieldIDRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)
)

// cloudHost reports whether host is an Atlassian cloud host.
func cloudHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, suffix := range []string{".atlassian.net", ".jira.com", ".atlassian-us-gov-mod.net", ".atlassian-us-gov.net"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return host == "api.atlassian.com" || host == "api.atlassian-us-gov-mod.com" || host == "api.atlassian-us-gov.com"
}

// gatewayHost reports whether host is Atlassian's API gateway (which has no
// /browse pages).
func gatewayHost(host string) bool {
	return strings.HasPrefix(strings.ToLower(host), "api.atlassian")
}

// resolved is Options with its defaults applied.
type resolved struct {
	Options
	base, site string
	version    string
}

// resolve applies the defaults and checks every field.
func (o Options) resolve() (resolved, error) {
	r := resolved{Options: o}
	var errs []itsm.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, itsm.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(r.Name) == "" {
		r.Name = DefaultName
	}
	baseURL := func(field, s string) (string, *url.URL) {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		u, err := url.Parse(s)
		switch {
		case s == "":
			add(field, "is required")
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			add(field, "must be an absolute http or https URL")
		case u.User != nil:
			add(field, "must not contain credentials (use auth)")
		case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/rest") || strings.Contains(u.Path, "/rest/"):
			add(field, "must be the base URL, without /rest/..., a query or a fragment")
		default:
			return s, u
		}
		return "", nil
	}
	var bu *url.URL
	r.base, bu = baseURL("base_url", o.BaseURL)
	if strings.TrimSpace(o.SiteURL) != "" {
		r.site, _ = baseURL("site_url", o.SiteURL)
	} else if bu != nil {
		if gatewayHost(bu.Hostname()) {
			add("site_url", "is required with the api.atlassian.com gateway (the site, https://<site>.atlassian.net)")
		}
		r.site = r.base
	}
	switch r.Deployment {
	case "":
		r.Deployment = DataCenter
		if bu != nil && cloudHost(bu.Hostname()) {
			r.Deployment = Cloud
		}
	case Cloud, DataCenter:
	default:
		add("deployment", "unknown deployment %q (want cloud or datacenter)", clip.Bytes(string(r.Deployment), 40))
	}
	switch r.version = strings.TrimSpace(o.APIVersion); r.version {
	case "":
		r.version = "2"
		if r.Deployment == Cloud {
			r.version = "3"
		}
	case "2":
	case "3":
		if r.Deployment == DataCenter {
			add("api_version", "Jira Data Center has REST API version 2 only")
		}
	default:
		add("api_version", "unknown version %q (want 2 or 3)", clip.Bytes(o.APIVersion, 20))
	}
	if !projectKeyRE.MatchString(strings.TrimSpace(o.ProjectKey)) {
		if strings.TrimSpace(o.ProjectKey) == "" {
			add("project_key", "is required")
		} else {
			add("project_key", "must be a Jira project key (a letter, then letters, digits or '_')")
		}
	}
	r.ProjectKey = strings.TrimSpace(o.ProjectKey)
	r.IssueType = strings.TrimSpace(o.IssueType)
	if r.IssueType == "" {
		r.IssueType = DefaultIssueType
	}
	if len(r.IssueType) > 255 || hasControl(r.IssueType) {
		add("issue_type", "must be at most 255 characters without control characters")
	}
	for i, l := range o.Labels {
		if l == "" || len(l) > 255 || strings.ContainsFunc(l, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			add(fmt.Sprintf("labels[%d]", i), "must be 1 to 255 characters without spaces or control characters")
		}
	}
	for _, k := range sortedKeys(o.Fields) {
		switch {
		case !fieldIDRE.MatchString(k):
			add("fields."+k, "is not a Jira field id (e.g. customfield_10010, components)")
		case isPresetField(k):
			add("fields."+k, "is set by the preset (edit the create payload to change it)")
		case strings.TrimSpace(o.Fields[k]) == "":
			add("fields."+k, "has an empty value")
		}
	}
	if o.Auth.Type == "" {
		add("auth.type", "is required: jira.APIToken (Cloud), jira.PersonalAccessToken (Data Center), jira.ServiceAccountOAuth2, or another itsm auth type")
	}
	if len(errs) > 0 {
		return resolved{}, &itsm.ValidationError{Errors: errs, Component: "jira", Subject: "options"}
	}
	return r, nil
}

func isPresetField(k string) bool {
	switch k {
	case "project", "issuetype", "summary", "description", "labels", "priority":
		return true
	}
	return false
}

// Preset returns the complete integration configuration for Jira described
// by opts: create, update, get, comment and lookup requests, ticket id and
// key paths, view and health URLs, Jira's status and priority maps and the
// ADF variables — a plain httpconn.Config the host may edit, save and
// validate like any other. It does not contact Jira (use
// [Connector.Check] for that). Use [NewConnector] to run it, so that
// status changes go through transitions and $description_adf is computed.
//
// The ticket is addressed by its numeric issue id (TicketIDPath "id",
// $ticket_id in URLs) because the id never changes, while the key
// (TicketKeyPath "key", $ticket_key, used in the view URL) changes when an
// issue moves to another project.
//
// Errors: an *itsm.ValidationError (wrapping itsm.ErrInvalidConfig) naming
// every bad option by its JSON field ("base_url", "labels[0]",
// "fields.customfield_10010"), or the config's own *itsm.ValidationError
// when the result does not validate (a bad Fields fragment, bad auth
// fields). Messages never hold a secret.
func Preset(opts Options) (httpconn.Config, error) {
	r, err := opts.resolve()
	if err != nil {
		return httpconn.Config{}, err
	}
	api := lit(r.base) + "/rest/api/" + r.version
	adf := r.version == "3"

	labels := []string{quote(DefaultLabel)}
	for _, l := range r.Labels {
		if l != DefaultLabel {
			labels = append(labels, quote(l))
		}
	}
	labels = append(labels, `"$correlation_key"`)

	description, comment := `"$`+VarDescriptionWiki+`"`, `"$`+VarNoteWiki+`"`
	if adf {
		description, comment = "$"+VarDescriptionADF, "$"+VarNoteADF
	}
	priority := `{"name": "$priority"}`
	// SummaryPrefix, then the title on one line, fitted to SummaryLimit.
	summary := `"[SIEM] $` + VarSummaryText + `"`

	create := []field{
		{"project", `{"key": ` + quote(r.ProjectKey) + `}`},
		{"issuetype", `{"name": ` + quote(r.IssueType) + `}`},
		{"summary", summary},
		{"description", description},
		{"labels", "[" + strings.Join(labels, ", ") + "]"},
	}
	update := []field{
		{"summary", summary},
		{"description", description},
	}
	var omit []string
	if !r.OmitPriority {
		create = append(create, field{"priority", priority})
		update = append(update, field{"priority", priority})
		// A case without severity (or an unmapped one) renders
		// {"name": ""}, which Jira refuses: leave the priority out.
		omit = []string{"fields.priority.name", "fields.priority"}
	}
	for _, k := range sortedKeys(r.Fields) {
		create = append(create, field{k, strings.TrimSpace(r.Fields[k])})
	}

	search := "search"
	if r.Deployment == Cloud {
		search = "search/jql" // /search is gone from Jira Cloud (CHANGE-2046)
	}
	commentPayload := "{\n  \"body\": " + comment + ",\n  \"properties\": [{\"key\": \"" + CommentPropertyKey + "\", \"value\": {\"marker\": \"$note_marker\"}}]\n}"
	commentLookup := httpconn.CommentLookupConfig{
		Method: "GET",
		// Newest first, one page of 100: a note whose outcome is unknown
		// was posted moments ago.
		URL:        api + "/issue/$ticket_id/comment?orderBy=-created&maxResults=100&expand=properties",
		ItemsPath:  "comments",
		MatchPath:  `properties.#(key=="` + CommentPropertyKey + `").value.marker`,
		IDPath:     "id",
		ExpectPath: "properties",
	}
	if r.NoNoteMarker {
		commentPayload, commentLookup = "{\n  \"body\": "+comment+"\n}", httpconn.CommentLookupConfig{}
	}
	cfg := httpconn.Config{
		Name:     r.Name,
		Provider: Provider,
		Create: httpconn.EndpointConfig{
			Method:    "POST",
			URL:       api + "/issue",
			Payload:   fieldsPayload(create),
			OmitEmpty: slices.Clone(omit),
		},
		TicketIDPath:  "id",
		TicketKeyPath: "key",
		Update: httpconn.EndpointConfig{
			Method:    "PUT",
			URL:       api + "/issue/$ticket_id",
			Payload:   fieldsPayload(update),
			OmitEmpty: slices.Clone(omit),
		},
		Get: httpconn.GetConfig{
			Method:             "GET",
			URL:                api + "/issue/$ticket_id?fields=summary,status",
			TitlePath:          "fields.summary",
			StatusPath:         "fields.status.name",
			StatusCategoryPath: "fields.status.statusCategory.key",
		},
		Comment: httpconn.CommentConfig{
			Method: "POST",
			URL:    api + "/issue/$ticket_id/comment",
			// The note's marker rides along as a comment property (not
			// shown in Jira's UI), which the comment lookup reads back.
			Payload:       commentPayload,
			CommentIDPath: "id",
		},
		CommentLookup: commentLookup,
		Lookup: httpconn.LookupConfig{
			Method: "GET",
			// labels = "<key>" ORDER BY created ASC: the oldest ticket is
			// linked, the others are orphans. Each issue's labels are
			// asked for and checked (the search response's
			// issues[].fields.labels, an array of strings): the match is
			// proven, not trusted to the JQL.
			URL:           api + "/" + search + "?jql=labels%20%3D%20%22$correlation_key%22%20ORDER%20BY%20created%20ASC&fields=labels&maxResults=20",
			ItemsPath:     "issues",
			TicketIDPath:  "id",
			TicketKeyPath: "key",
			MatchPath:     "fields.labels",
		},
		ViewURL:        lit(r.site) + "/browse/$ticket_key",
		HealthURL:      api + "/myself",
		ExtraVariables: append([]string(nil), ExtraVariables...),
		Auth:           r.Auth,
		TLS:            r.TLS,
		Network:        r.Network,
		StatusMap:      statusmap.JiraStatuses(),
		PriorityMap:    priorities(),
	}
	if err := cfg.Validate(); err != nil {
		return httpconn.Config{}, err
	}
	return cfg, nil
}

// CommentPropertyKey is the key of the comment property that carries a
// note's marker ({"marker": "itsmsync-note-…"}) on every comment the preset
// posts.
const CommentPropertyKey = "itsmsync"

// priorities is statusmap.JiraPriorities with "Highest" as the label sent
// for critical: Jira's default priority scheme (Cloud, and Data Center since
// 7.x) has Highest, High, Medium, Low, Lowest and no "Critical".
func priorities() statusmap.Map {
	m := statusmap.JiraPriorities()
	for i := range m.Entries {
		if m.Entries[i].Case == string(itsm.SeverityCritical) {
			m.Entries[i].Preferred = m.Entries[i].ITSM == "Highest"
		}
	}
	return m
}

type field struct{ name, value string }

// fieldsPayload writes {"fields": {...}} as an indented JSON template.
func fieldsPayload(fs []field) string {
	var b strings.Builder
	b.WriteString("{\n  \"fields\": {\n")
	for i, f := range fs {
		b.WriteString("    " + quote(f.name) + ": " + f.value)
		if i < len(fs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  }\n}")
	return b.String()
}

// quote returns s as a JSON string literal usable in a template (a "$" is
// written "$$", the template's literal dollar).
func quote(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return lit(string(q))
}

// lit escapes s for literal use in a template.
func lit(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
}
