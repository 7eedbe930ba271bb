// Package itsmtest helps test code that talks to an ITSM and code that stores
// sync state:
//
//   - a fake ITSM server, Jira-shaped, with scriptable faults (this page);
//   - [Clock], a fake clock whose waits return at once (inject it with
//     itsm.WithClock);
//   - package storetest, the conformance suite every store implementation
//     runs (memory, SQLite, PostgreSQL).
//
// This package does not import testify, so a host may use the fake server
// and the clock outside its tests too (a demo, a sandbox).
//
// # The fake ITSM
//
// NewServer starts a fake Jira on 127.0.0.1 (New returns one to mount on your
// own mux instead). It serves the parts of Jira's REST API, v2 and v3, that an
// ITSM integration uses, over an in-memory ticket store:
//
//	POST   /rest/api/{2|3}/issue                          create   → 201 {"id","key","self"}
//	PUT    /rest/api/{2|3}/issue/{idOrKey}                update   → 204 (200 + issue with ?returnIssue=true)
//	GET    /rest/api/{2|3}/issue/{idOrKey}                get      → 200 issue (?fields=a,b to pick fields)
//	DELETE /rest/api/{2|3}/issue/{idOrKey}                delete   → 204
//	POST   /rest/api/{2|3}/issue/{idOrKey}/comment        comment  → 201 comment
//	GET    /rest/api/{2|3}/issue/{idOrKey}/comment        comments → 200 {"comments":[...],"total":n}
//	GET    /rest/api/{2|3}/issue/{idOrKey}/transitions    transitions → 200 {"transitions":[...]}
//	POST   /rest/api/{2|3}/issue/{idOrKey}/transitions    transition  → 204, the status changes
//	GET|POST /rest/api/{2|3}/search                       legacy search → {"issues","total","startAt","maxResults"}
//	GET|POST /rest/api/{2|3}/search/jql                   enhanced search → {"issues","isLast","nextPageToken"}
//	GET    /rest/api/{2|3}/myself, /serverInfo            health checks
//
// It behaves like Jira where integrations usually trip:
//
//   - ids are numeric strings from "10001", keys "<PROJECT>-<n>" per project
//     (fields.project.key, else [DefaultProject], or WithKeyPrefix); issue
//     keys are accepted in any case wherever an id is;
//   - v3 wants rich text (description, comment bodies) in Atlassian
//     Document Format and answers 400 "Operation value must be an Atlassian
//     Document" for a plain string; v2 wants strings. Reads render the stored
//     value for the version asked (ADF flattened to text for v2, text wrapped
//     in ADF for v3). Ticket.Description keeps the raw JSON as sent;
//   - errors have Jira's shape {"errorMessages":[...],"errors":{"field":"..."}}:
//     a missing summary, labels with spaces, an unknown priority, a field that
//     is not on the screen ("status" included: status changes only through
//     transitions), invalid JSON, an unknown issue (404);
//   - the enhanced search (/search/jql) has no "total", pages with
//     nextPageToken, refuses an empty (unbounded) JQL, and returns only each
//     issue's "id" unless fields are requested — as Jira Cloud does;
//   - JQL is a real but small subset: labels, project, key, status,
//     statusCategory, priority, issuetype (=, !=, IN, NOT IN; labels IS
//     [NOT] EMPTY), summary/description/text (~), AND, OR, NOT,
//     parentheses, ORDER BY. Anything else is a 400, not a silent match;
//   - optional auth (WithBasicAuth, WithBearer) answers 401 otherwise.
//
// Tests drive and inspect it through a helper API: Tickets and Ticket
// (deep-copied snapshots), SetStatus, AddComment and DeleteTicket (a person
// working in Jira), Requests (every request recorded with its raw headers —
// Authorization included, it is a test tool — body, fault and status),
// per-operation counters (Count, CreateCount, ...), Reset, and WaitFor, which
// blocks until a condition on the fake holds (a request arrived, a ticket
// exists) without polling — the way to act while a request hangs in a
// fault. WithEventHook
// receives a Jira-shaped webhook delivery for every change, which
// Event.Request turns into a signed POST for inbound tests.
//
// # Faults
//
// Server.Fault queues misbehaviours for the requests a Match selects (an
// operation, a method, a path pattern). Each queued fault serves one request
// (or Times(n), or Always), in order, and is handed to exactly one request
// even under concurrency. The menu, and whether the ITSM carried the
// operation out:
//
//	fault                     answer                                  operation applied?
//	Status(code)              code + realistic body (HTML for 502/504) no
//	RetryAfter(code, d)       code + Retry-After: seconds              no
//	DropBeforeProcessing()    connection closed abruptly               no
//	TimeoutBeforeProcessing() no answer until the client gives up      no
//	Delay(d)                  normal answer after d                    yes
//	StatusAfterApply(code)    code, as a gateway giving up             yes
//	TimeoutAfterSend()        no answer until the client gives up      yes
//	ResetAfterSend()          TCP RST (SO_LINGER 0) after the work      yes
//	MalformedJSON()           normal status, truncated JSON             yes
//	MissingID()               normal status, "id"/"key" removed         yes
//	HTMLNoContent()           204 text/html (Jira Data Center style)    yes
//	JSONAsTextPlain()         normal body labelled text/plain           yes
//
// RefuseConnections and AcceptConnections close and reopen the listening
// socket, so a client sees a real "connection refused" (certainly not
// processed) and then a working server on the same URL.
//
// Note that Go's http.Transport silently retries an idempotent request (GET,
// HEAD, OPTIONS, TRACE, or one with an Idempotency-Key header) once when a
// reused connection fails before any response byte: a single
// DropBeforeProcessing or ResetAfterSend queued for a GET may then be
// consumed without the client seeing an error. POST and PUT are not retried.
//
// # Concurrency and lifetime
//
// Every method is safe for concurrent use, with requests in flight. Ids are
// deterministic (sequential), timestamps come from WithClock. Close releases
// every hanging or delayed request before stopping the server, so no
// goroutine outlives it; use t.Cleanup(srv.Close).
package itsmtest
