// Package itsmsync is a Go SDK that a SIEM embeds to keep its cases and an
// ITSM's tickets (Jira, SysAid, ServiceNow, or any tool with a REST API) in
// step.
//
// The work is split across packages; this package only documents the whole:
//
//   - [github.com/itsmsync/itsmsync/itsm]: the domain types (Case, Note,
//     Ticket), the configuration of an integration (Config), the
//     config-driven HTTP connector, the Syncer behind "Sync With ITSM"
//     (create once, update after, notes posted once, cooldown, in-flight
//     guard across replicas), and the Store and Cooldown interfaces.
//   - [github.com/itsmsync/itsmsync/itsm/memstore] and
//     [github.com/itsmsync/itsmsync/itsm/sqlstore]: the embedded in-memory
//     store, and the database/sql store for SQLite (one node) and PostgreSQL
//     (many replicas).
//   - [github.com/itsmsync/itsmsync/itsm/itsmtest]: a fake ITSM server with
//     scriptable faults, and the store conformance suite.
//   - [github.com/itsmsync/itsmsync/template]: the $variable renderer, which
//     escapes each value for the place it lands (JSON string, JSON value, URL
//     path or query, header, form, text).
//   - [github.com/itsmsync/itsmsync/statusmap]: status and priority mapping
//     between the ITSM's labels and case statuses and severities.
//   - [github.com/itsmsync/itsmsync/callback]: callback tokens, signature
//     verifiers (HMAC, Standard Webhooks) and the inbound http.Handler that
//     brings ticket changes back into cases.
//
// Outbound, a host builds an itsm.Config (or starts from a provider preset),
// an HTTP connector from it, and a Syncer over a Store; each click on "Sync
// With ITSM" calls Syncer.Sync. Inbound, it mounts callback.Handler and
// implements the small interface through which status changes reach its cases.
package itsmsync
