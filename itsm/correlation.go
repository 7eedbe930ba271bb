package itsm

import (
	"crypto/sha256"
	"encoding/hex"
)

// CorrelationKey derives the stable key that ties a ticket to a case for an
// integration: "itsmsync-" and 16 hex digits of SHA-256(integrationID, caseID).
// It contains only [a-z0-9-], so it fits a Jira label, a ServiceNow
// correlation_id and a URL query without escaping.
func CorrelationKey(integrationID, caseID string) string {
	h := sha256.New()
	h.Write([]byte(integrationID))
	h.Write([]byte{0})
	h.Write([]byte(caseID))
	return "itsmsync-" + hex.EncodeToString(h.Sum(nil)[:8])
}
