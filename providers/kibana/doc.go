// Package kibana imports a Kibana "Webhook - Case Management" connector
// (connector type ".cases-webhook") as an httpconn.Config, so a SIEM team
// that already pushes cases from Kibana keeps its requests.
//
//	cfg, report, err := kibana.Import(connectorJSON) // GET /api/actions/connector/{id}
//	fmt.Print(report)                                // what changed, and why
//	// enter report.MissingSecrets, then cfg.Validate() and save
//
// # What maps to what
//
//	createIncidentUrl/Method/Json      create.url/method/payload (Kibana's default method POST)
//	createIncidentResponseKey          ticket_id_path ("data[0].id" → "data.0.id")
//	getIncidentUrl                     get.url
//	getIncidentResponseExternalTitleKey ticket_key_path (read from the create response)
//	viewIncidentUrl                    view_url
//	updateIncidentUrl/Method/Json      update.url/method/payload (default PUT)
//	createCommentUrl/Method/Json       comment.url/method/payload (Kibana's default PUT, written out)
//	headers                            headers; an Authorization header → secret_headers
//	hasAuth, authType basic            auth basic (secrets.user, secrets.password)
//	authType SSL, certType crt-key/pfx tls client certificate (secrets.crt, key, pfx; password = passphrase)
//	ca, verificationMode               tls.ca_cert_pem (base64 decoded), tls.verification
//
// Mustache variables:
//
//	{{{case.id}}}           $case_id
//	{{{case.title}}}        $case_name
//	{{{case.description}}}  $description
//	{{{case.tags}}}         $tags
//	{{{case.severity}}}     $severity
//	{{{case.status}}}       $status (open, in_progress, ... where Kibana says in-progress)
//	{{{case.comment}}}      $note_text
//	{{{external.system.id}}}    $ticket_id
//	{{{external.system.title}}} $ticket_key
//
// # Escaping
//
// Kibana JSON-encodes a case value and inserts it as it is, so
// "summary": {{{case.title}}} works and "summary": "[SIEM] {{{case.title}}}"
// breaks the request. A $variable is escaped for where it lands: as a whole
// JSON value it renders exactly as Kibana's did; inside a JSON string it is
// escaped for the string. Each such place, and each double-brace tag (which
// mustache HTML-escapes), is a [KindEscapingFix] entry of the [Report].
//
// Nothing is dropped silently: unknown keys, mustache comments, sections,
// inverted sections, partials, unknown variables and missing secrets are
// each a report entry. Constructs with no equivalent stay in the template
// as written, so Validate names them until they are rewritten.
package kibana
