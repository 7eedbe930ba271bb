// Package providers holds the presets that make itsmsync work with a given
// ITSM in five minutes: the host picks one, fills in a URL and a credential,
// and gets working requests, maps, an inbound parser and a verifier — all
// editable. This package has no code; each provider is a sub-package laid
// out like alertmanager's notify packages (config, code and tests side by
// side).
//
// # What a preset is
//
// A preset is an httpconn.Config — plain, JSON-serializable data that a UI
// shows, edits, validates and saves like any other — plus the few pieces a
// template cannot express:
//
//   - Preset(Options) returns the Config: create, update, get, comment and
//     lookup requests with their payload templates, the gjson paths of the
//     ticket id and key, view and health URLs, status and priority maps,
//     auth, TLS and network settings. Nothing is hidden in code: what the
//     preset sends is what Preview shows, and the host may change any of it.
//     Options is plain data whose zero fields mean their defaults; bad
//     options are one *itsm.ValidationError naming every field.
//   - NewConnector(cfg, [ConnectorConfig,] opts...) wraps httpconn.Connector
//     when the ITSM needs behaviour beyond templates (Jira's workflow
//     transitions and ADF variables, SysAid's session login, ServiceNow's
//     close fields); ConnectorConfig holds its settings where it has any,
//     and opts (itsm.WithClock, itsm.WithLogger, itsm.WithAudit) come last.
//     The wrapper's extra requests go through httpconn.Connector.Do, so they
//     share the transport, auth, retries, redaction and audit. The wrapper
//     forwards the optional capabilities itsm.NewSyncer looks for (lookup,
//     call budget, status map), and its call budget covers every request
//     of one call, so the Syncer's lease outlasts it.
//   - A Parser (callback.Parser) reads the ITSM's webhooks into events, and
//     a verifier preset checks their signature or token.
//
// Each preset is tested with golden files of its rendered payloads
// (Preview, compared with assert.JSONEq; regenerate with go test -update)
// and end to end against a fake ITSM (itsmtest for Jira).
//
// # Providers
//
//	provider             outbound                                   status out         lookup (exactly once)        inbound                                   verification
//	-------------------  -----------------------------------------  -----------------  ---------------------------  ----------------------------------------  ---------------------------------
//	jira (Cloud)         REST v3, ADF description/comments;         workflow           JQL labels = "<key>"         jira:issue_created/updated/deleted,       X-Hub-Signature: sha256=<hex>,
//	                     API token, OAuth2 service account          transitions        (/search/jql)                comment_created; changelog status,        dedup X-Atlassian-Webhook-Identifier
//	                                                                                                                statusCategory fallback
//	jira (Data Center)   REST v2, plain text; PAT, basic            transitions        JQL labels (/search)         same (Server changelog items)             same
//	servicenow           Table API incidents, work notes; basic,    state codes with   correlation_id query         documented JSON body from a Business      callback token
//	                     OAuth2                                     close code/notes                                Rule
//	sysaid               REST service records (info list); session  status ids         search ?query=<key>          sr.created / sr.updated updates[],        X-Sysaid-Signature (configurable
//	                     login with re-login                                           (key in the description)     sr_version ordering                       HMAC)
//	webhook (generic)    any JSON REST API, every request           status field in    any search URL with          any JSON body: gjson paths for id,        callback token, HMAC, Standard
//	                     configurable                               the payload        $correlation_key             status, event id/type, time, version      Webhooks
//
// Writing a provider for an ITSM not listed: start from the webhook preset's
// Config, edit it, and add a connector wrapper only for what templates
// cannot say (see examples/custom-provider).
package providers
