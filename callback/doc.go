// Package callback brings ITSM changes back into cases: it authenticates the
// ITSM's webhook deliveries, and its inbound http.Handler turns them into
// case status changes.
//
// # Verify before parse
//
// Every delivery is checked by a [Verifier] on the raw, size-capped body
// before a single byte of it is parsed. The verifiers compare in constant
// time (hmac.Equal, subtle.ConstantTimeCompare), accept several secrets or
// tokens at once so credentials can be rotated without downtime, and come
// with a matching Sign method so a host application can test its own
// endpoint:
//
//   - [TokenVerifier]: a callback token in "Authorization: Bearer <token>",
//     in a named header, or (discouraged, because URLs are logged) in a query
//     parameter. The token must belong to the integration and be neither
//     revoked nor expired.
//   - [HMACVerifier]: an HMAC of the raw body in a configurable header,
//     algorithm (SHA-256; SHA-1 for legacy senders; SHA-512), encoding (hex,
//     base64) and prefix, with presets for Jira ([JiraHMAC],
//     "X-Hub-Signature: sha256=<hex>"), GitHub-style senders ([GitHubHMAC],
//     "X-Hub-Signature-256"), SysAid ([SysAidHMAC], "X-Sysaid-Signature":
//     SysAid does not publish the scheme, so the preset assumes hex
//     HMAC-SHA256 of the body and stays configurable) and Stripe
//     ([StripeHMAC], "t=<ts>,v1=<hex>" over "<ts>.<body>"). A timestamp
//     header turns any plain scheme into a timestamped one.
//   - [StandardWebhooksVerifier]: the Standard Webhooks scheme (webhook-id,
//     webhook-timestamp, webhook-signature with space-separated "v1,<sig>"
//     entries, "whsec_" base64 secrets; the svix-* spellings too).
//
// A signature header may list several signatures (one per secret during a
// rotation): every entry up to [MaxSignatureEntries] is tried, and a header
// with more is rejected as malformed.
//
// Timestamped schemes reject a timestamp more than the tolerance
// ([DefaultTolerance], 5 minutes) before or after now, so a captured delivery
// cannot be replayed later; the timestamp is checked only once the signature
// matched, so a forger learns nothing from the error. Verification errors
// wrap the sentinels of this package ([ErrInvalidSignature],
// [ErrTimestampOutOfRange], [ErrInvalidToken] ...) and never contain a
// secret, a token or a signature. A failed token store yields
// [ErrUnavailable], which deserves a 503 (the sender retries), not a 401.
//
// # Callback tokens
//
// [Tokens] issues the callback token of the product's "Create a Callback
// Token" step: 32 random bytes from crypto/rand, written as
// "itsm_cb_<base64url>" ([TokenPrefix] makes a leaked token greppable and
// recognizable by secret scanners). The plaintext is returned once, in
// [IssuedToken]; the store ([TokenStore]: memstore or sqlstore) keeps only
// its SHA-256. A 256-bit random token cannot be brute-forced from its hash,
// so a slow password hash would only slow every callback down. Tokens are
// scoped to one integration, optionally expire, can be revoked, and record
// when they were last used (best effort, at most once per
// [TokensConfig].TouchInterval, [DefaultTouchInterval] by default). An integration may hold several live tokens:
// rotate by generating a new token, switching the ITSM to it, then revoking
// the old one.
//
// # Managed webhook secrets
//
// Jira and SysAid sign their webhooks with HMAC, which needs the secret
// itself, not a hash. [Secrets] keeps these secrets for the host: Generate
// makes one per integration ([SecretPrefix] and 64 hex digits of
// crypto/rand, safe to paste anywhere) and returns it once, as a [Secret]
// that prints "[REDACTED]" everywhere until Reveal is called; the store
// ([SecretStore]: memstore or sqlstore) keeps it sealed by a [Sealer] —
// [AESGCMSealer] under a 32-byte key the host holds, or the host's KMS —
// bound to its integration and id, so a row copied elsewhere does not
// open. Rotate makes a new current secret while the replaced ones keep
// verifying for [SecretsConfig].Overlap ([DefaultSecretOverlap], a day;
// itsm.Off ends them at once); Revoke stops one at once; List describes
// them without the secret. Concurrent rotations, also on several replicas,
// leave one current secret: the losers get [ErrSecretConflict] and store
// nothing. [Secrets.Verifier] (or an [HMACConfig] with Source set to
// [Secrets.Source]) verifies with the live secrets, cached for
// [SecretsConfig].CacheTTL ([DefaultSecretCacheTTL], 30 s); a signature that
// matches no cached secret re-reads the store at most once a second, so a
// rotation made on another replica works at once, and a revocation made
// there is seen within the TTL. A secret the sealer cannot open (wrong key)
// makes verification fail with [ErrUnavailable] and [ErrSecretUnreadable]
// (503: the sender retries once the key is fixed) and is logged by id.
//
// # The inbound handler
//
// [Handler] is the endpoint an ITSM's webhook calls, one per integration
// ([NewHandler] with a [HandlerConfig]). A delivery goes through:
//
//	POST only (405) → body ≤ MaxBodyBytes (413), read within ReadTimeout
//	(408) → Verifier (401, or 503 when the token store is down) → Parser
//	(400 malformed; 200 unsupported event) → per event: dedup claim → link
//	lookup → ordering → status map → echo suppression → the host's
//	CaseUpdater → advance the ordering state
//
// [Parser] is the provider half: it turns a verified body into [Event]s
// (kind created/updated/deleted/comment, ticket id and key, the status label
// the event sets, its category, priority, event id, occurred-at, record
// version, comment). [JSONParser] is configured by gjson paths alone
// ([JSONParserConfig], plain JSON data: the generic webhook preset);
// providers ship their own (providers/jira.Parser). A parser reports
// [ErrMalformedPayload] (the handler answers 400) or [ErrUnsupportedEvent]
// (acknowledged with 200 and audited as ignored, so the sender does not
// retry what will never apply).
//
// [Applier] applies events with the inbound rules, and a reconciler uses it
// directly ([Handler.Applier]) so polled changes follow the same rules:
//
//   - Dedup, keyed on what the signature covers: the delivery id when the
//     verifier authenticated one (Standard Webhooks' webhook-id or svix-id:
//     see [DeliveryVerifier]), else a digest of the authenticated body (Jira
//     and SysAid sign the body alone; their delivery-id header, such as
//     X-Atlassian-Webhook-Identifier, is not signed, so a replay could
//     change it). The key is claimed in the store
//     ([InboundStore].ClaimDelivery, kept [DefaultDedupTTL]); a second
//     delivery with that key is acknowledged and changes nothing, so a
//     captured delivery re-sent under fresh ids is applied at most once
//     per signed content. A claim is kept only for an event that was
//     applied or deliberately ignored: a stale or failed event's claim is
//     released. A sender whose body carries no event id, time or version
//     sends identical bodies for identical changes: within the TTL such a
//     repeat is taken for a copy (the reconciler repairs a case that needed
//     it).
//   - Ordering: per ticket, the last applied status change (version when
//     both sides have one, else occurred-at; equal is not newer) makes any
//     older event stale: acknowledged, not applied. The state advances only
//     after the updater succeeded, and only for status changes, so a delayed
//     status change is not made stale by a later priority edit. Within a
//     process the check-apply-advance of one ticket is serialized; across
//     replicas a narrow race remains (two deliveries of one ticket at the
//     same moment), which AdvanceInboundState bounds and reconciliation
//     repairs.
//   - A ticket linked to no case is acknowledged, audited as ignored and
//     reported to ApplierConfig.OnUnlinked, never an error loop. A linked
//     ticket's "created" event only echoes the SDK's own create: it is
//     ignored unless ApplierConfig.ApplyCreated is set.
//   - Links belong to a target: with ApplierConfig.Target set (the
//     connector's Target()), an event matches only links of that target
//     (and links made before targets were recorded); a link made in the ITSM
//     the integration pointed at before an edit is never touched, and the
//     event is audited as ignored. A ticket whose key changed (a Jira issue
//     moved to another project: Event.PreviousTicketKey) gets its new key on
//     its link. A comment is applied once per id, an edited comment
//     (Comment.Edited) once per edit.
//   - The status map (a [CaseMapper] such as a *statusmap.Compiled) turns
//     the label into a case status (its category as the fallback); an
//     unmapped label is ignored with a reason.
//   - Echo suppression: a status equal to Link.LastPushedStatus (or mapping
//     to the same case status) within [DefaultEchoWindow] of LastPushedAt is
//     what this SDK pushed, so it is not applied back (the Syncer records
//     the status before it sends the update, so an echo that arrives while
//     the sync still runs is recognised too); a comment whose id is a note
//     the SDK posted is not applied either (that id is known once the
//     ITSM answered the comment request). A create's echo needs no record
//     ahead of the call: its "created" event carries the ticket's initial
//     status and is ignored by default (above).
//   - The host's [CaseUpdater] applies the [TicketChange]. When it fails the
//     event's claim is released and the handler answers 500 (503 when the
//     store failed): the sender retries and the retry is applied once. An
//     event that was not applied is never acknowledged.
//
// Work is bounded (body size, [DefaultReadTimeout] to read it,
// [DefaultMaxEvents] events per delivery, [DefaultApplyTimeout] for store
// and updater calls) so the handler answers within senders' timeouts
// (SysAid: 10 s). Each event, and each rejected delivery, yields one
// itsm.AuditEvent (operation "inbound"; outcome success, duplicate, stale,
// ignored or rejected, with a reason); neither audit records nor logs ever
// hold the body, a secret or a signature. The error text of the host's
// components (the store, the updater, the token store) reaches them only
// sanitized: clipped to 256 bytes, credential-looking values and opaque
// keys, hashes or tokens redacted, control characters removed.
//
// # Serving it
//
// The handler bounds the reading of the body itself (ReadTimeout), but
// not what comes before it: the request line and headers are read by the
// host's http.Server, whose timeouts are all off by default. Set them,
// e.g.:
//
//	srv := &http.Server{
//		Addr:              ":8443",
//		Handler:           mux, // with the callback.Handler mounted
//		ReadHeaderTimeout: 5 * time.Second,  // slow headers (Slowloris)
//		ReadTimeout:       15 * time.Second, // headers and body
//		WriteTimeout:      30 * time.Second, // > ReadTimeout + ApplyTimeout
//		IdleTimeout:       60 * time.Second, // idle keep-alive connections
//		MaxHeaderBytes:    64 << 10,
//	}
//
// WriteTimeout must exceed the time the handler may take (body read plus
// [ApplierConfig].ApplyTimeout), or an answer is cut off and the sender
// retries a delivery that was applied (dedup then acknowledges it).
//
// # Reconciliation
//
// Webhooks are best effort: senders drop deliveries, and SysAid says so. A
// [Reconciler] (NewReconciler, then Run in a goroutine the host owns, or
// RunOnce from its own scheduler) reads every linked, open ticket through
// the connector's Get, with bounded concurrency and a rate limit, and hands
// what it finds to the handler's [Applier] as a synthetic event — so a poll
// follows the same dedup, ordering and echo rules as a webhook, and a
// missed status change is applied exactly once. Links of another target
// than the connector's (ApplierConfig.Target, else the connector's own when
// it implements itsm.Targeter) are never read through it. Run stops with
// its context.
// Opt-in ([ReconcilerConfig].Finder and OrphanEvery, or
// [Reconciler.FindOrphans] on demand), it also looks each open link's
// correlation key up, a bounded number of links per search, and reports
// every other ticket carrying it as an itsm.Orphan: what a create stored
// by the ITSM after the Syncer's lookup grace leaves behind.
//
// # Settings and options
//
// Every component is built the same way: New...(cfg, opts ...itsm.Option),
// where cfg is a plain config struct and opts inject what the host owns —
// itsm.WithClock, itsm.WithLogger, itsm.WithAudit — and nothing else. In a
// config struct the zero value of a field is its documented default, and a
// duration that can be turned off ([ApplierConfig].EchoWindow,
// [HandlerConfig].ReadTimeout, [ReconcilerConfig].Interval,
// [TokensConfig].TouchInterval) is turned off by a negative value, spelled
// itsm.Off; one that cannot (a signature
// tolerance, the dedup TTL, the apply timeout) rejects a negative value.
// [NewHandler] passes its options on to its [Applier]; [NewReconciler]
// uses the applier's unless it is given its own.
//
// A configuration that does not validate is reported whole: the error
// lists every problem by the field's JSON path ("secrets[1]: is empty"),
// errors.As finds its *itsm.ValidationError, and it matches
// itsm.ErrInvalidConfig. Constructors never panic on bad input.
package callback
