// Package sysaid is the SysAid preset: service records through SysAid's REST
// API, and SysAid webhooks back in.
//
// # Outbound
//
// [Preset] turns a server URL and a SysAid user into an httpconn.Config
// (create, update, notes, get and lookup requests on /api/v1/sr, the status
// and priority id maps). [NewConnector] adds what templates cannot express,
// SysAid's session login:
//
//   - the first request POSTs {"user_name", "password"} to /api/v1/login
//     and keeps the JSESSIONID cookie the answer sets; every request sends
//     the cookie and no Authorization header (the credentials live in the
//     config's basic auth so they are redacted and kept on edit, but they
//     only ever travel in the login body);
//   - an expired session (401, a redirect to the login page, an HTML page
//     where JSON was due) is renewed by one login and the request is sent
//     once more — except an HTML 2xx answer to a create, which may hide a
//     created record: that create fails with [itsm.ErrOutcomeUnknown] and
//     the sync engine looks the record up by its correlation key instead
//     of creating a second one;
//   - concurrent requests share one session and one re-login.
//
// A service record is a list of info entries ({"key": "title", "value":
// ...}); case variables are inserted as JSON strings. [Subscribe] registers
// the webhook (POST /connect/v1/webhooks with url, description, eventNames).
//
// # Inbound
//
// [Parser] reads sr.created / sr.updated webhooks: status and priority from
// the updates[] field changes (numeric ids, mapped by
// [statusmap.SysAidStatuses] and [statusmap.SysAidPriorities]), the time
// from the latest update timestamp, the version from sr_version. SysAid sends
// incremental webhooks while a record is edited and a "Full" one with
// sr_version at the end; the Parser's documentation explains how the two
// order so that the case ends in the latest state. [Verifier] checks
// X-Sysaid-Signature.
//
// # What is verified and what is assumed
//
// Verified in SysAid's documentation: the login (POST /api/v1/login,
// user_name and a URL-encoded password, the JSESSIONID cookie to send
// back), service records as info key/value lists (GET/PUT /api/v1/sr/{id}),
// the webhook subscription call and body, the webhook payload (eventName,
// srId, updates[] with fieldName/currentValue/previousValue/timestamp in
// ms), incremental vs Full webhooks and sr_version, the X-Sysaid-Signature
// header, "a unique ID in the payload".
//
// Assumed (not published, or not found): the signature scheme (HMAC-SHA256
// hex of the body: configurable), the field that holds the unique id (the
// parser tries common names, then hashes the body), where sr_version sits
// in a Full webhook (top level or as an update: both are read), the
// create response's "id", the search call used for the lookup
// (/api/v1/sr/search?query=), the notes entry shape, the close call (PUT
// /api/v1/sr/{id}/close with a solution: off by default), the view URL
// (/SREdit.jsp?id=), and the default status and priority ids. SysAid
// limits how often one user may log in: a 429 on login is passed on as a
// 429 the connector retries after its backoff.
//
// # SysAid's rules
//
// From SysAid's developer documentation (developers.sysaid.com,
// Authentication Guide and Create App Key): the developer API authenticates
// with an application key (client id and secret, at most 100 per account,
// to be reused) exchanged at /v1/access-tokens, with the
// x-sysaid-accountid header, for a Bearer token valid 24 hours by default.
// [Subscribe] uses it when ConnectorConfig.AppKey is set and caches the
// token per process.
//
// SysAid allows a user 2 logins per 5 minutes. Connectors of one process
// that log in as the same user on the same server share one session
// ([NewConnector]), and its logins are paced to that limit: a login over
// it is not sent and fails with [*LoginRateError] ([ErrLoginRateLimited]).
// The test fake answers a third login with 429.
//
// Assumptions: the fake refuses a blank note (SysAid does not document
// what it does with one; the Syncer never sends it).
//
// # No comment lookup
//
// SysAid's documentation (the REST API's service record calls, and the
// developer API) shows no way to list a service record's notes with a
// value of ours that could be matched — notes are an info entry written
// with a PUT of the record, their read-back shape is not published — so
// the connector implements no itsm.CommentFinder: a note whose outcome is
// unknown (no answer, a 5xx after sending) follows the integration's
// policy in the sync engine, and may be posted twice or not at all. A host
// that has verified how its SysAid returns notes can add a comment_lookup
// to the config and call httpconn.Connector.FindComment through
// [Connector.HTTP] itself.
package sysaid
