// Package jira is the Jira preset of itsmsync: Jira Cloud (REST v3) and Jira
// Data Center/Server (REST v2).
//
// A preset is an httpconn.Config plus the few pieces Jira needs beyond it. A
// host fills in [Options] — the site URL, a project key, a credential — and
// [Preset] returns a complete, editable configuration:
//
//	create   POST {base}/rest/api/{3|2}/issue                fields: project, issuetype,
//	                                                         summary "[SIEM] $case_name",
//	                                                         description, labels (siem, the
//	                                                         correlation key), priority
//	update   PUT  .../issue/$ticket_id                       summary, description, priority
//	get      GET  .../issue/$ticket_id?fields=summary,status fields.summary, fields.status.name,
//	                                                         fields.status.statusCategory.key
//	comment  POST .../issue/$ticket_id/comment               body, comment id at "id"
//	lookup   GET  .../search/jql (Cloud) or .../search (DC)  jql=labels = "$correlation_key" ORDER BY created ASC,
//	                                                         fields=labels: every issue whose
//	                                                         issues[].fields.labels holds the key
//	view     {site}/browse/$ticket_key;  health GET .../myself
//
// The ticket id is Jira's numeric issue id ("id": it never changes), the key
// ("SEC-42": it changes when an issue moves project) is $ticket_key. Jira
// Cloud (REST v3) wants rich text in Atlassian Document Format: the preset
// uses the computed variables $description_adf and $note_adf, which
// [Variables] builds from the plain case text ([TextToADF]: paragraphs on
// blank lines, hard breaks on single newlines, valid JSON for any text).
// Data Center (REST v2) takes plain strings. Cloud's search is /search/jql:
// the legacy /search was removed from Jira Cloud in 2025 (CHANGE-2046) and is
// only used for Data Center. The status map is statusmap.JiraStatuses, the
// priority map statusmap.JiraPriorities with "Highest" sent for critical
// (Jira's default priority scheme has no "Critical").
//
// Authentication: [APIToken] (Cloud: email and API token, basic auth),
// [PersonalAccessToken] (Data Center, bearer), [ServiceAccountOAuth2]
// (Cloud service accounts: OAuth2 client credentials, valid on the API
// gateway [GatewayURL], with SiteURL for the browse links). For the way
// back, [Verifier] checks Jira's webhook signature (callback.JiraHMAC).
//
// # Webhooks: moved issues, comments, edits
//
// [Parser] reads Jira's webhook payloads as Atlassian documents them
// (developer.atlassian.com/cloud/jira/platform/webhooks: webhookEvent,
// issue_event_type_name, issue, changelog, comment) and as real Cloud and
// Server deliveries show them (testdata/captures, SOURCES.md there):
//
//   - an issue moved to another project keeps its id and gets a new key; the
//     jira:issue_updated delivery has a changelog item whose field is "Key"
//     (fromString the old key, toString the new one) next to a "project"
//     item. The event carries Event.PreviousTicketKey, and the
//     callback.Applier moves the link it finds by the stable issue id to the
//     new key (and view URL), unless the link no longer holds the old key;
//   - a comment carried inside jira:issue_updated (the top-level "comment"
//     of issue_commented, issue_comment_edited, or a transition with a
//     comment) is a comment event like comment_created. Atlassian announced
//     the removal of that object from jira:issue_* webhooks in favour of
//     comment_created/comment_updated ("Deprecation notice - removal of
//     comment object data in jira:issue_* webhooks"), but Server and many
//     Cloud sites still send it, so both may arrive for one comment: the
//     applier applies a comment once per ticket and comment id, whichever
//     delivery comes first;
//   - comment_updated (and issue_comment_edited) is applied as an edit:
//     Comment.Edited is the comment's "updated" time and the EventID
//     "comment:<id>:edited:<unix ms>", so each edit reaches the case once, as
//     a new note. A SIEM case is an append-only record: the analyst must see
//     that the ITSM side changed a comment and what it says now, without the
//     earlier text disappearing. comment_deleted is acknowledged and ignored
//     (audited as unsupported): removing a note from a case would erase
//     evidence;
//   - Jira Server's comment_created and comment_updated carry no issue: the
//     issue id is read from the comment's self URL.
//
// # Status changes
//
// Jira cannot set a status with a PUT: it moves through workflow
// transitions. [NewConnector] wraps httpconn.Connector so that, after an
// update, a case status that maps to another Jira status is applied by
// reading the transitions, taking the one to the target status name,
// else to a status of the target's category (new, indeterminate, done), and
// posting it. No such transition is a [*TransitionError] wrapping
// [ErrNoTransition], naming the target and the available transitions —
// never a silent no-op. The extra requests go through
// httpconn.Connector.Do, so they share the connector's transport, auth,
// retries, redaction and audit; [Connector.MaxCallDuration] counts them, so
// the lease itsm.NewSyncer takes outlasts a whole Create or Update.
//
// # What Jira refuses, and how the preset avoids it
//
// From Jira's documentation and real error bodies (the test fake in
// itsm/itsmtest answers each with Jira's own message):
//
//   - summary over 255 characters: "Summary can't exceed 255 characters."
//     and a line break in it: "The summary is invalid because it contains
//     newline characters." (Jira Cloud REST v3 reference; quoted in public
//     reports, e.g. ParabolInc/parabol#6066). The preset sends
//     "[SIEM] $summary_text": the title on one line, cut with "…"
//     ([SummaryText]).
//   - rich text over 32,767 characters (jira.text.field.character.limit):
//     "The entered text is too long. It exceeds the allowed limit of 32,767
//     characters." (JRASERVER-64351, JRACLOUD-59124;
//     mozilla/jira-bugzilla-integration#180). Descriptions and comments
//     are cut with [TextCutMarker] and the case link ([DescriptionADF],
//     [NoteADF], [DescriptionWiki], [NoteWiki]).
//   - an empty comment: "Comment body can not be empty!". [Connector.Comment]
//     refuses a blank note before sending ([ErrBlankNote]).
//   - a priority that names nothing ({"name": ""}): Jira's "Priority name ... is not
//     valid". The preset leaves it out (omit_empty; the connector's
//     middleware also covers older configs).
//   - ADF that breaks Atlassian's ADF JSON schema (an empty text node, a link
//     without href): the tests validate every document the preset builds
//     against the official schema (@atlaskit/adf-schema, draft-04).
//
// Assumptions (not documented by Atlassian): Jira counts characters as Java
// does (UTF-16 code units), so the preset does too; on Cloud the limit is
// applied to the ADF document's JSON, which is never shorter than its text.
// Data Center renders description and comments as wiki markup, so the
// preset escapes case text ([WikiEscape]): Atlassian's Text Formatting
// Notation help documents "\X" to escape a special character X; a
// backslash is written &#92; and "&" as &amp;, as pandoc's Jira writer does,
// because a doubled backslash is a line break.
//
// # Comment lookup (notes exactly once)
//
// Every comment the preset posts carries the note's marker
// ($note_marker, see itsm.NoteMarker) as a comment entity property, key
// [CommentPropertyKey]: "properties": [{"key": "itsmsync", "value":
// {"marker": "itsmsync-note-…"}}] in the add comment body — invisible in
// Jira's UI. [Connector.FindComment] reads the comments, newest
// first (GET .../issue/{id}/comment?orderBy=-created&maxResults=100&
// expand=properties), and matches the property on each comment; one page is
// read, so a note is found only among the 100 newest comments.
//
// Documented by Atlassian (the Jira Cloud platform REST API reference and
// its OpenAPI document, as read in the jira.js client's generated models
// and an OpenAPI-generated client's IssueCommentsApi.md): the Comment
// schema's "properties" ("A list of comment properties. Optional on create
// and update."), so Add comment accepts them; Get comments' startAt,
// maxResults (default 50) and orderBy ("created", "-created", "+created";
// 400 for anything else); expand=properties ("Returns the comment's
// properties") on Get comments by IDs (POST .../comment/list).
//
// Assumed, not documented: that Get comments (GET .../issue/{id}/comment)
// honours expand=properties too — its reference lists only renderedBody —
// and that Data Center's REST v2 accepts "properties" on add comment as
// Cloud does. The lookup guards the assumption: it requires a "properties"
// field on every comment (httpconn.CommentLookupConfig.ExpectPath), so a
// Jira that does not expand them makes FindComment an error wrapping
// itsm.ErrInvalidResponse, never a "not found" that would post the note
// twice. A Jira that refuses the property on add comment (a 400 for every
// note) needs Options.NoNoteMarker: no property, no lookup. The fake Jira
// in itsmtest stores comment properties and serves them on Get comments
// with expand=properties.
//
// # Inbound
//
// [Parser] reads Jira webhooks (issue created, updated, deleted, comment
// created) into callback events: the issue id and key identify the ticket,
// the status comes from the changelog's status item (Cloud items carry a
// fieldId, Server items only a field name), the statusCategory key is the
// status map's fallback, the priority comes from the changelog's priority
// item (or the issue on create), and the payload's millisecond timestamp
// orders the events. Pair it with callback.JiraHMAC (X-Hub-Signature:
// sha256=<hex>), whose signature covers the body alone: the handler
// deduplicates by a digest of that body, and reports [DeliveryIDHeader]
// (X-Atlassian-Webhook-Identifier, unsigned) to the updater and the audit:
//
//	v, _ := callback.NewHMACVerifier(callback.JiraHMAC(secret))
//	m, _ := (&statusmap.Map{...}).Compile() // e.g. statusmap.JiraStatuses()
//	h, _ := callback.NewHandler(callback.HandlerConfig{
//		ApplierConfig: callback.ApplierConfig{IntegrationID: id, Store: store, StatusMap: m, Updater: updater},
//		Verifier: v, Parser: jira.Parser{}, DeliveryIDHeader: jira.DeliveryIDHeader,
//	})
package jira
