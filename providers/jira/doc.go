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
//	lookup   GET  .../search/jql (Cloud) or .../search (DC)  jql=labels = "$correlation_key"
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
