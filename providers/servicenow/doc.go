// Package servicenow is the ServiceNow preset: incidents through the Table
// API, out and back in.
//
// # Outbound
//
// [Preset] turns an instance URL and credentials (basic, or OAuth2 client
// credentials against <instance>/oauth_token.do) into an httpconn.Config: the
// create, update, work-note, get and lookup requests, the view and health
// URLs, and the state and priority maps. The host stores and edits it like
// any other config. [NewConnector] builds the connector from it:
//
//   - create: POST /api/now/table/incident; the ticket id is result.sys_id,
//     the key result.number. correlation_id is $correlation_key (with
//     correlation_display "itsmsync"), so a create whose outcome was
//     unknown is found again by the lookup
//     (sysparm_query=correlation_id=<key>^ORDERBYsys_created_on, with
//     correlation_id read back and compared: an instance drops a query term
//     it does not know and may list every record, per ServiceNow's
//     GlideRecord documentation) instead of being sent twice;
//   - update: PATCH /api/now/table/incident/<sys_id>;
//   - notes: PATCH the incident with work_notes (a journal entry: there is
//     no comment id to return), ending with a line "[itsmsync-note-…]", the
//     note's marker (see "Comment lookup");
//   - state codes both ways with [statusmap.ServiceNowStates]: 1 New, 2 In
//     Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled;
//   - urgency and impact from the severity's priority code (ServiceNow
//     computes the priority from them);
//   - resolving (6) or closing (7) needs close_code and close_notes: the
//     connector adds them to that update only, with
//     [ConnectorConfig.CloseCode] (default "Solved (Permanently)") and the
//     case's close notes.
//
// # Comment lookup (notes exactly once)
//
// A work note ends with a blank line and "[$note_marker]" (see
// itsm.NoteMarker): the marker is visible in the activity stream, and
// Options.NoNoteMarker leaves it out (and with it the lookup).
// [Connector.FindComment] reads the incident's work note journal entries
// with the Table API — GET /api/now/table/sys_journal_field?sysparm_query=
// element_id=<sys_id>^element=work_notes^valueLIKE<marker> — and checks
// that each returned entry's value holds the marker as a whole word and
// that its element_id is the incident; the query only narrows, it is never
// trusted alone. The comment id is the
// entry's sys_id.
//
// Documented by ServiceNow: journal fields (work notes, additional
// comments) are stored as sys_journal_field records, found by element_id
// (the record's sys_id) and element (the field name, e.g. "comments") —
// "Retrieve journal entries using direct web services" in the API
// reference (servicenow.com/docs, api-reference/web-services/
// retrieving-journal-entries); the Table API's sysparm_query takes an
// encoded query ("^" between conditions, LIKE for contains).
//
// Assumed: that the integration user may read sys_journal_field through
// the Table API (many instances restrict it to admins; grant a read ACL on
// sys_journal_field for the incident work notes). A Table API GET whose
// rows are hidden by ACLs answers 200 with fewer rows, which reads as "not
// found" and the note would be resent — check the grant before relying on
// it. The journal query for an incident that does not exist answers 200
// with no entries: FindComment reads that as "not found" (one request, to
// stay within the connector's call budget); the resend then fails with the
// Table API's 404 on the incident, so no note is doubled.
//
// # Inbound
//
// ServiceNow has no standard signed webhook. The SIEM gives the instance a
// callback token and the admin pastes a Business Rule ([BusinessRuleScript],
// README.md) that POSTs a small JSON body with "Authorization: Bearer
// <token>" whenever an incident's state (or priority) changes. [Parser]
// reads that body (version sys_mod_count, time sys_updated_on in UTC) and
// [Verifier] checks the token with a [callback.TokenVerifier].
//
// The Business Rule (System Definition > Business Rules > New):
//
//	Name:      itsmsync: send state changes
//	Table:     Incident [incident]
//	Advanced:  checked
//	When:      after          Insert: checked   Update: checked   Delete: checked
//	Condition: current.state.changes() || current.priority.changes()
//	Script:    BusinessRuleScript
//
// and three system properties: itsmsync.callback_url,
// itsmsync.callback_token (Private) and, optionally,
// itsmsync.integration_user (changes made by the SIEM's own user are not
// sent back).
//
// # What ServiceNow refuses, and how the preset avoids it
//
// From ServiceNow's incident documentation (the test fake answers each
// with ServiceNow's error body):
//
//   - an itil user may resolve (state 6, with close_code and close_notes:
//     the data policy "Resolution code, Resolution notes") but not close
//     (state 7: Closed is set by the platform after the auto-close period,
//     or by an admin), and a Closed incident is read-only ("ACL Exception
//     Update Failed due to security constraints"). A closed case is sent as
//     6 unless Options.SetClosed.
//   - On Hold (state 3) needs hold_reason ("Data Policy Exception: The
//     following fields are mandatory: On hold reason"): sent from
//     ConnectorConfig.HoldReason.
//   - short_description is 160 characters, description 4,000 (the incident
//     table's dictionary): [ShortDescription] and [DescriptionText] fit
//     them, keeping the case link.
//
// Assumptions (the fake refuses them so a regression shows; the real
// Table API accepts them silently): a blank state, urgency, impact or
// hold_reason is stored as a value rather than meaning "keep the
// default", so the preset leaves blanks out (omit_empty); over-long text is
// cut without an error, losing the case link; a blank work note records
// nothing, so [Connector.Comment] refuses it ([ErrBlankNote]).
package servicenow
