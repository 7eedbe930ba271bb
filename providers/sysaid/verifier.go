package sysaid

import "github.com/itsmsync/itsmsync/callback"

// VerifierConfig is the X-Sysaid-Signature scheme this package assumes
// ([callback.SysAidHMAC]): the hex HMAC-SHA256 of the raw body keyed with
// the subscription secret, with or without a "sha256=" prefix. SysAid
// documents the header but not how it is computed; the config is plain
// data — change Algorithm, Encoding or Prefix if your instance signs
// differently.
func VerifierConfig(secrets ...string) callback.HMACConfig {
	return callback.SysAidHMAC(secrets...)
}

// Verifier returns the verifier of SysAid webhook signatures for the
// subscription secret(s) (several are accepted at once, for rotation), with
// the scheme of [VerifierConfig]. No secret, or an empty one, is a
// validation error (errors.As: *itsm.ValidationError, matching
// itsm.ErrInvalidConfig) that never contains a secret. The verifier is safe for concurrent use; its Sign
// method makes test deliveries.
func Verifier(secrets ...string) (*callback.HMACVerifier, error) {
	return callback.NewHMACVerifier(VerifierConfig(secrets...))
}
