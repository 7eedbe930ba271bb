// Package memstore is the embedded default storage of itsmsync: an
// in-memory implementation of every store interface of the SDK and
// [itsm.Cooldown] in one value, [Store].
//
// It keeps, per integration, the case↔ticket links (indexed both ways and
// ordered by case id for reconciliation), pending creates, posted notes,
// leases, integrations (one per workspace), callback tokens (hashes only,
// found by a map keyed by the hash), inbound delivery claims, the last
// applied inbound state per ticket, and cooldowns.
//
// Everything lives in the memory of one process: it is lost on restart, and
// two processes each with a Store do not see each other, so leases and
// cooldowns guard one process only. Run several replicas on package sqlstore
// (PostgreSQL) instead.
//
// A Store is safe for concurrent use. Every check-and-write the contracts
// call atomic (CreatePending, MarkNotePosted, AcquireLease, ClaimDelivery,
// AdvanceInboundState, TryStartCooldown, CompletePending) happens under one
// lock. Values are copied in and out (Config, Hash, maps and slices), so a
// caller can never change stored state through a value it holds.
//
// The store never reads a clock: leases, delivery claims and cooldowns are
// judged by the times the caller passes in.
//
// Memory: delivery claims are bounded — expired claims are dropped as new
// ones arrive and at most [DefaultMaxDeliveries] (or [WithMaxDeliveries],
// sized with [DeliveryCap] from the delivery rate and ttl) are remembered. A
// live claim is never forgotten to make room unless [EvictOldest] is chosen
// (then [Store.LiveEvictions] counts them): by default a delivery arriving
// when the store is full of live claims is refused with an error (the
// callback Applier audits and logs it; the sender retries), so none is
// applied twice. Ended cooldowns are swept once
// their map has doubled since the last sweep. Links, pending creates, posted
// notes, leases, tokens and inbound states grow with the cases and tickets
// synced, as a database would.
//
// Context arguments are accepted for the interface and not consulted: no
// operation blocks on anything but the store's own locks.
package memstore
