// Package rt is the Request Tracker preset: tickets in Best Practical's
// Request Tracker (RT 5) through its REST2 API, out and back in.
//
// # Outbound
//
// [Preset] turns RT's web URL, a queue and credentials (basic, or an RT
// auth token sent as "Authorization: token <t>") into an httpconn.Config:
// the create, update, comment, get and lookup requests, the view and
// health URLs, and the status and priority maps ([Statuses], [Priorities]).
// [NewConnector] builds the connector from it:
//
//   - create: POST /REST/2.0/ticket with the correlation key in a ticket
//     custom field ([DefaultCorrelationField], "itsmsync correlation"); the
//     ticket id is the answer's "id", a string on create ("1") while GET
//     answers a number (1) — ids are read as text either way;
//   - update: PUT /REST/2.0/ticket/<id>; RT answers 200 with one message
//     per field and reports refusals there ("Ticket 1: Status 'x' isn't a
//     valid status for this ticket."): the connector returns a
//     [*RefusalError] naming the field;
//   - notes: POST /REST/2.0/ticket/<id>/comment (internal) or /correspond
//     (public, Options.Correspond) with the Subject "SIEM note
//     [<marker>]" (the note's marker, see "Comment lookup"); the comment id
//     is the transaction id of the Location header;
//   - lookup: TicketSQL CF.{<field>} = '<key>' AND Queue = '<queue>' by id
//     ascending, and every found ticket must carry the key exactly (all of
//     them are returned: the first is linked, the others are orphans);
//   - the Subject is sent as RT stores it ([Subject]: one line, at most 200
//     bytes), so what the SIEM shows is what RT keeps;
//   - setup problems — an unknown queue, a missing right, the custom field
//     missing — are [*SetupError]s naming the admin step;
//     [EnsureCorrelationField] creates the field and applies it to the queue
//     when the credentials allow it.
//
// # Comment lookup (notes exactly once)
//
// Every note carries its marker (itsm.NoteMarker, $note_marker) in the
// comment's Subject, "SIEM note [itsmsync-note-…]" — shown in the ticket
// history, and in the mail of a reply with Options.Correspond;
// Options.NoNoteMarker leaves it out, and the lookup with it.
// [Connector.FindComment] reads GET /REST/2.0/ticket/<id>/attachments?
// fields=Subject,TransactionId&orderby=id&order=DESC&per_page=100 — the
// ticket's newest 100 attachments, one page — and matches an attachment
// whose Subject holds the marker as a whole word; the comment id is its
// TransactionId, the id Comment returns. No TicketSQL is involved.
//
// Documented by RT (REST2 documentation, lib/RT/REST2.pm): comment and
// correspond take an optional Subject; GET /ticket/:id/attachments lists a
// ticket's attachments; collections take fields, orderby/order and
// page/per_page (default 20, at most 100). Seen on RT 5.0.3 (the CI's
// Debian package, and TestRealRequestTrackerFindComment against it): the
// comment's Subject is its attachment's Subject; TransactionId is the
// transaction id as a string; total and pages are null; the attachments of
// an unknown ticket are an empty 200 — so when nothing matches,
// FindComment reads the ticket once, and RT's 404 makes it an error.
//
// # Inbound
//
// RT has no built-in webhooks. A global Scrip (shipped in testdata/rt with
// its body contract, README.md there) POSTs a small JSON body with
// "Authorization: Bearer <callback token>" on every status change and
// comment. [Parser] reads it and [Verifier] checks the token: a forged or
// token-less delivery is refused with 401 before anything changes.
//
// The Scrip runs inside RT's answer to our own request, so its delivery
// reaches the handler before the Syncer's call returns. A status change we
// pushed is recognised all the same: the Syncer records the status on the
// link before it sends the update ([itsm.PushedStatus]), and the handler
// ignores that status within its echo window. A comment we posted is not:
// the note's comment id is recorded only once RT has answered the POST. So
// the Scrip's skip of the transactions of the integration's own RT user
// (@ITSMSyncWebhookSkipActors, testdata/rt/README.md) is still needed for
// comments (with callback.ApplierConfig.Comments set, our note would come
// back as a comment), and for status changes it stays as defence in depth.
//
// For missed deliveries, a reconciler polls: Get returns the ticket's status,
// and the tickets changed since a time are the TicketSQL
// "Queue = '<queue>' AND LastUpdated > '<UTC time>'" (GET
// /REST/2.0/tickets?query=...), which RT compares in UTC.
//
// # Where the rules come from
//
// The fake RT of the tests enforces what RT 5's REST2 source does
// (bestpractical/rt, lib/RT/REST2): Resource/Record/Writable.pm (201 with
// {"type","id","_url"} on create, id from the record UID so a string; PUT
// answers 200 with a JSON array of messages; custom fields looked up by
// name and silently skipped when missing), Resource/Ticket.pm (400 "Unable
// to find queue", 403 "No permission to create tickets in the queue"),
// Resource/Message.pm (comment/correspond answer 201 with an array and
// Location .../transaction/<id>; ContentType required with Content),
// Resource/Collection.pm and Resource.pm (search answers {"count",
// "total", "items", ...}; fields=CustomFields adds [{"name","values"}]),
// Resource/Queue.pm (GET /queue/<name> lists TicketCustomFields),
// Middleware/Auth.pm (401 without credentials; "Authorization: token").
// The status rules are RT's default lifecycle (etc/RT_Config.pm: new, open,
// stalled, resolved, rejected, deleted; a new ticket may only start as
// new, open or resolved). The 200-byte Subject is the Tickets.Subject
// varchar(200) column, cut by DBIx::SearchBuilder's TruncateValue.
package rt
