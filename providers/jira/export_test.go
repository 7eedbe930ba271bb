package jira

// Exported for the package's external tests only.
var (
	ADFToText     = adfToText
	NormalizeText = normalizeText
	ErrNotADF     = errNotADF
)
