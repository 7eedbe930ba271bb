// Package webhook is the generic preset of itsmsync: an integration with any
// ITSM that has a JSON REST API and can send a webhook, configured entirely
// as data — no code.
//
// # Outbound
//
// [Preset] returns an httpconn.Config skeleton for a typical ticket API
// (POST {base}/tickets, PUT/GET {base}/tickets/$ticket_id, POST
// .../comments, and with Options.Lookup a lookup by ?correlation_key=) whose
// payloads carry every
// case variable under an obvious name:
//
//	{"title": "[SIEM] $case_name", "description": "$description", "severity": "$severity",
//	 "priority": "$priority", "status": "$itsm_status", "tags": $tags, "assignee": "$assignee",
//	 "case_id": "$case_id", "case_url": "$case_url", "correlation_key": "$correlation_key",
//	 "created_at": "$created_at", "updated_at": "$updated_at"}
//
// Every field is meant to be edited to the ITSM's API: methods, URLs,
// payloads (escaping is chosen by where each $variable lands), the gjson
// paths of the ticket id and key in the create response, the get request's
// title and status paths, the comment request, the lookup that makes creates
// exactly-once (put $correlation_key into a field the ITSM can search on and
// returns in its list: the lookup's match_path must read it back, since an
// ITSM that ignores an unknown filter lists unrelated tickets), headers, auth, TLS, network rules, status and priority maps. Validate it
// with httpconn.Config.Validate and look at the requests with
// httpconn.Connector.Preview before saving.
//
// # Comment lookup (opt-in)
//
// A note whose outcome is unknown (no answer, a 5xx after sending, a crash)
// is resolved before any resend only when the config has a comment_lookup
// (httpconn.CommentLookupConfig); the preset has none, because what a
// generic ITSM can do is not known. To turn it on, the ITSM must:
//
//   - store a value the comment request sends with the note and return it
//     when comments are read: put $note_marker in the comment payload (a
//     field, a property, or a line of the text — Validate refuses a
//     comment_lookup whose comment request does not carry $note_marker);
//   - list a ticket's comments (newest first, in one page large enough to
//     hold the recent ones: no next page is followed) as a JSON array
//     where each item has that value;
//   - answer an unknown ticket with an error status (404), not an empty
//     list, so it is not read as "the note was never posted".
//
// For example:
//
//	"comment_lookup": {"method": "GET",
//	  "url": "https://itsm.example.com/api/tickets/$ticket_id/comments?order=desc&limit=100",
//	  "items_path": "comments", "match_path": "marker", "id_path": "id"}
//
// The match is always checked on each returned item (a whole-word match of
// the marker at match_path), so an endpoint that ignores a filter in the
// URL cannot produce a false match. The returned [httpconn.Connector]
// implements itsm.CommentFinder; CanFindComments reports whether the
// lookup is configured.
//
// # Inbound
//
// [Inbound] returns a callback.JSONParserConfig: the gjson paths of the
// ticket id and key, status and status category, priority, event id, event
// type (mapped to created/updated/deleted/comment), timestamp and version in
// the ITSM's webhook body. callback.NewJSONParser turns it into the
// callback.Parser of the callback handler; pair it with a callback token
// verifier or an HMAC scheme (callback.HMACConfig) as the ITSM supports.
//
// # A complete integration as JSON
//
// [Integration] holds both halves in one document. This one talks to a
// fictitious "Acme ServiceDesk" (it is testdata/integration.json, loaded and
// exercised by the package tests):
//
//	{
//	  "outbound": {
//	    "name": "Acme ServiceDesk",
//	    "provider": "webhook",
//	    "create": {
//	      "method": "POST",
//	      "url": "https://servicedesk.example.com/api/v2/incidents",
//	      "payload": "{\"subject\": \"[SIEM] $case_name\", \"body\": \"$description\\n\\nCase: $case_url\", \"urgency\": \"$priority\", \"labels\": $tags, \"external_ref\": \"$correlation_key\"}"
//	    },
//	    "ticket_id_path": "data.id",
//	    "ticket_key_path": "data.number",
//	    "update": {
//	      "method": "PATCH",
//	      "url": "https://servicedesk.example.com/api/v2/incidents/$ticket_id",
//	      "payload": "{\"subject\": \"[SIEM] $case_name\", \"urgency\": \"$priority\", \"state\": \"$itsm_status\"}"
//	    },
//	    "get": {
//	      "url": "https://servicedesk.example.com/api/v2/incidents/$ticket_id",
//	      "title_path": "data.subject",
//	      "status_path": "data.state"
//	    },
//	    "comment": {
//	      "url": "https://servicedesk.example.com/api/v2/incidents/$ticket_id/notes",
//	      "payload": "{\"text\": \"$note_text\", \"internal\": true}",
//	      "comment_id_path": "data.id"
//	    },
//	    "lookup": {
//	      "url": "https://servicedesk.example.com/api/v2/incidents?external_ref=$correlation_key",
//	      "items_path": "data",
//	      "ticket_id_path": "id",
//	      "ticket_key_path": "number",
//	      "match_path": "external_ref"
//	    },
//	    "view_url": "https://servicedesk.example.com/incidents/$ticket_key",
//	    "health_url": "https://servicedesk.example.com/api/v2/me",
//	    "headers": {"X-Source": "siem"},
//	    "auth": {"type": "api_key", "header_name": "X-Api-Key", "api_key": "ak_live_1234567890"},
//	    "network": {"allowed_hosts": ["servicedesk.example.com"]},
//	    "timeouts": {"request": "15s"},
//	    "retry": {"max_attempts": 3, "max_retry_after": "30s"},
//	    "status_map": {
//	      "entries": [
//	        {"itsm": "new", "case": "open", "preferred": true},
//	        {"itsm": "assigned", "case": "in_progress", "preferred": true},
//	        {"itsm": "waiting", "case": "on_hold", "preferred": true},
//	        {"itsm": "solved", "case": "resolved", "preferred": true},
//	        {"itsm": "closed", "case": "closed", "preferred": true}
//	      ],
//	      "unmapped": "ignore"
//	    },
//	    "priority_map": {
//	      "entries": [
//	        {"itsm": "P4", "case": "low", "preferred": true},
//	        {"itsm": "P3", "case": "medium", "preferred": true},
//	        {"itsm": "P2", "case": "high", "preferred": true},
//	        {"itsm": "P1", "case": "critical", "preferred": true}
//	      ]
//	    }
//	  },
//	  "inbound": {
//	    "ticket_id_path": "incident.id",
//	    "ticket_key_path": "incident.number",
//	    "status_path": "incident.state",
//	    "priority_path": "incident.urgency",
//	    "event_id_path": "delivery_id",
//	    "event_type_path": "type",
//	    "event_kinds": {
//	      "incident.created": "created",
//	      "incident.updated": "updated",
//	      "incident.deleted": "deleted",
//	      "incident.note_added": "comment"
//	    },
//	    "timestamp_path": "sent_at",
//	    "version_path": "incident.revision",
//	    "comment_body_path": "note.text",
//	    "comment_author_path": "note.author",
//	    "comment_id_path": "note.id"
//	  }
//	}
//
// Secrets (here auth.api_key) are redacted by json.Marshal of the outbound
// config; persist the document with [Integration.MarshalSecrets] and edit it
// with httpconn.Config.Merge ("leave blank to keep the saved value").
package webhook
