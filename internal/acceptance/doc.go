// Package acceptance holds end-to-end scenario tests written the way a new
// user of the SDK would write them: a generic webhook integration against a
// small fake ITSM, the ServiceNow preset round trip, the callback-token
// lifecycle, configuration validation and secret handling, and the
// exactly-once create across a simulated replica crash on SQLite.
//
// It has no API: only tests. Every server is an httptest server on the
// loopback interface, every wait is bounded by a context deadline, and time
// moves only through an injected clock.
package acceptance
