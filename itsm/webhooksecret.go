package itsm

import "time"

// WebhookSecret is a stored webhook signing secret of an integration: the
// HMAC key an ITSM (Jira, SysAid) signs its webhooks with. Package callback
// generates, rotates and revokes them (callback.Secrets); the secret itself
// is kept only as Ciphertext, sealed under a key the host supplies, and is
// never returned by a listing.
type WebhookSecret struct {
	// ID names the secret ("whs_" and 24 hex digits); unique within its
	// integration.
	ID            string `json:"id"`
	IntegrationID string `json:"integration_id"`
	// Seq is the secret's generation within its integration: 1 for the
	// first, one more for each rotation. The highest Seq is the newest.
	Seq int64 `json:"seq"`
	// Ciphertext is the sealed secret, bound to IntegrationID and ID.
	Ciphertext []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	// RetiresAt is when a rotated-out secret stops verifying (it verifies
	// before that instant, not at it); zero while no newer secret exists.
	RetiresAt time.Time `json:"retires_at,omitzero"`
	// RevokedAt is when the secret was revoked; zero when it was not.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}
