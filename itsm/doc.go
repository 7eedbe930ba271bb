// Package itsm holds the domain of itsmsync and its engine.
//
// A [Case] in the SIEM becomes a [Ticket] in the ITSM. What the ITSM needs —
// URLs, methods, headers, authentication, $variable payload templates, where
// the ticket id sits in the response, status mapping — is data in a [Config],
// validated on save (every field error at once) and never marshaled back out
// with its secrets in clear.
//
// [Variables] turns a case (and a ticket, and a note) into template variables;
// [KnownVariables] says which variables a template of each kind may use. The
// README's variable table documents them.
//
// The [Connector] interface is the small set of calls the engine makes
// (create, update, comment, get); the HTTP connector implements it from a
// Config. The Syncer runs "Sync With ITSM": create once, update after, post
// each note once, lock the case for a cooldown after a successful sync, and
// refuse a second concurrent sync of the same case — across replicas, through
// leases in the shared [Store].
//
// Storage is an interface ([Store], [Cooldown]); package memstore is the
// embedded default and package sqlstore serves SQLite and PostgreSQL.
//
// Errors are typed: sentinels in one block (errors.Is), and structured
// errors (*ValidationError, *InvalidValueError, and the HTTP and sync errors)
// for errors.As. No error, log line or audit event carries a secret.
package itsm
