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
// with a matching Sign helper so a host application can test its own
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
//     entries, "whsec_" base64 secrets).
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
// [IssuedToken]; the store (itsm.TokenStore: memstore or sqlstore) keeps only
// its SHA-256. A 256-bit random token cannot be brute-forced from its hash,
// so a slow password hash would only slow every callback down. Tokens are
// scoped to one integration, optionally expire, can be revoked, and record
// when they were last used (best effort, at most once per
// [DefaultTouchInterval]). An integration may hold several live tokens:
// rotate by generating a new token, switching the ITSM to it, then revoking
// the old one.
package callback
