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
//     no comment id to return);
//   - state codes both ways with [statusmap.ServiceNowStates]: 1 New, 2 In
//     Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled;
//   - urgency and impact from the severity's priority code (ServiceNow
//     computes the priority from them);
//   - resolving (6) or closing (7) needs close_code and close_notes: the
//     connector adds them to that update only, with
//     [ConnectorConfig.CloseCode] (default "Solved (Permanently)") and the
//     case's close notes.
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
