// Package itsmsync is a Go SDK that a SIEM embeds to keep its cases and an
// ITSM's tickets (Jira, SysAid, ServiceNow, or any tool with a REST API) in
// step.
//
// The work is split across packages; this package only documents the whole:
//
//   - [github.com/itsmsync/itsmsync/itsm]: the domain (Case, Note, Ticket,
//     Link) and the engine: the Connector interface and its optional
//     capabilities, the Syncer behind "Sync With ITSM" (create once, update
//     after, notes posted once, cooldown, in-flight guard across replicas),
//     the Registry, the store interfaces the engine consumes, the options
//     every constructor takes (clock, logger, audit) and the errors.
//   - [github.com/itsmsync/itsmsync/itsm/httpconn]: the config-driven HTTP
//     connector: Config (validation, merge, redaction), auth, OAuth2, TLS,
//     network rules, retries, Preview and Check.
//   - [github.com/itsmsync/itsmsync/itsm/vars]: the $variables of a case,
//     ticket and note that templates use.
//   - [github.com/itsmsync/itsmsync/providers]: presets for Jira, SysAid,
//     ServiceNow and generic webhooks, built on httpconn.
//   - [github.com/itsmsync/itsmsync/itsm/memstore] and
//     [github.com/itsmsync/itsmsync/itsm/sqlstore]: the embedded in-memory
//     store, and the database/sql store for SQLite (one node) and PostgreSQL
//     (many replicas).
//   - [github.com/itsmsync/itsmsync/itsm/itsmtest]: a fake ITSM server with
//     scriptable faults and a fake clock; its storetest package is the store
//     conformance suite.
//   - [github.com/itsmsync/itsmsync/template]: the $variable renderer, which
//     escapes each value for the place it lands (JSON string, JSON value, URL
//     path or query, header, form, text).
//   - [github.com/itsmsync/itsmsync/statusmap]: status and priority mapping
//     between the ITSM's labels and case statuses and severities.
//   - [github.com/itsmsync/itsmsync/callback]: callback tokens, signature
//     verifiers (HMAC, Standard Webhooks), the inbound http.Handler that
//     brings ticket changes back into cases, and the reconciler that polls
//     for what webhooks missed.
//
// Outbound, a host starts from a provider preset (or fills in an
// httpconn.Config), builds its connector, and a Syncer over a store; each
// click on "Sync With ITSM" calls Syncer.Sync. Inbound, it mounts
// callback.Handler and implements the small interface through which status
// changes reach its cases.
package itsmsync
