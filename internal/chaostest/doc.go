// Package chaostest holds the multi-process chaos test of exactly-once
// delivery; it has no API, only tests.
//
// TestChaosSQLite and TestChaosPostgres start worker processes (the test
// binary re-executed to run TestChaosWorker) that sync the same cases through
// one store — a SQLite file, or a PostgreSQL server of the test's own —
// with the generic HTTP connector, against a fake ITSM served by the test
// process on 127.0.0.1. For a fixed time the fake fails a random 20–60 % of
// the calls (before it stores the write: 500 or a reset; after: 500/502, a
// reset, an answer held past the client's timeout, or the sender SIGKILLed
// while the fake holds its request), workers are SIGKILLed at random moments
// and started again, and the database is restarted once (PostgreSQL: stop
// and start of the server; SQLite: every worker killed at once). Then faults
// stop, a final pass syncs every case in the test process, and the test
// asserts exactly one ticket per case, every case linked to it, no pending
// create left, and no note lost; exactly one comment per note when the
// integration has a comment lookup, and otherwise the count of the
// documented exceptions. It logs a summary: syncs, kills, faults by kind,
// restarts, tickets, comments, duplicates.
//
// What the fake's list endpoint does with the correlation_key query is a
// flag (listIgnoresFilter). The documented behaviour the SDK can rely on is
// only that the created ticket carries the correlation key in a field the
// list returns; whether a list endpoint filters on a query parameter is
// assumed per vendor, and many real ones ignore a parameter they do not
// know and answer every ticket, so a lookup must check the key on each item.
//
// Workers are real processes racing over a real database and server, so
// their pacing uses real time; every wait is bounded, each worker exits at a
// deadline of its own and dies with the test process (Pdeathsig). Linux only;
// skipped with -short. ITSMSYNC_CHAOS_SEED replays a run's random choices
// (not its timing); ITSMSYNC_CHAOS_PHASE lengthens the chaos phase.
package chaostest
