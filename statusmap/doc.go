// Package statusmap maps ITSM labels to case values and back: ticket statuses
// to case statuses, and ticket priorities to case severities.
//
// A [Map] is the "Status Mapping" table of an integration's config drawer,
// serialized as JSON:
//
//	{"entries": [
//	   {"itsm": "Open",     "case": "open", "preferred": true},
//	   {"itsm": "Done",     "case": "closed", "preferred": true},
//	   {"itsm": "Resolved", "case": "closed"}],
//	 "categories": [{"itsm": "done", "case": "closed"}],
//	 "unmapped": "ignore"}
//
// Many ITSM labels may map to one case value (Done, Resolved, Closed →
// closed); the Preferred entry gives the label used the other way (closed →
// Done), else the first entry for that value.
//
// The way out can differ from the way back: [Map].Outbound rows choose the
// label sent for a case value before the entries do, and several case values
// may share one label, which the entries map back to one case value:
//
//	{"entries":  [{"itsm": "To Do", "case": "open"}, {"itsm": "Done", "case": "closed"}],
//	 "outbound": [{"case": "resolved", "itsm": "Done"}, {"case": "closed", "itsm": "Done"}]}
//
// sends resolved and closed cases as Done, and reads Done as closed. A case
// value without an Outbound row is sent as the entries say. Validate refuses
// two labels for one case value, and a label the ITSM could not report back
// (no entry maps it and the policy would refuse it or read it as Default).
//
// [Map.ToCase] walks a fallback chain and never drops a label silently:
//
//  1. the entry whose label matches (case-insensitive, separator-tolerant:
//     see [Normalize]);
//  2. the category entry matching the category the ITSM sent (Jira's
//     statusCategory key new/indeterminate/done, a ServiceNow state code);
//  3. the Unmapped [Policy]: [Ignore] (the zero value) reports
//     Result.Ignored with a nil error so the caller can audit the event and
//     change nothing; [UseDefault] maps to Map.Default; [Fail] returns an
//     *[UnmappedError] wrapping [ErrUnmapped].
//
// [Map.Validate] reports every problem of a table at once (empty labels,
// labels that normalize alike, two preferred rows for one value, a policy
// without its default) as one *itsm.ValidationError, the error shape of the
// whole SDK, whose field paths ("entries[2].itsm") let a UI mark the rows.
//
// Map is plain data and its methods only read it, so a Map shared between
// goroutines is safe as long as nobody edits it meanwhile. [Map.Compile]
// validates once and returns an immutable [Compiled] index for hot paths.
//
// The presets ([JiraStatuses], [JiraPriorities], [ServiceNowStates],
// [ServiceNowPriorities], [SysAidStatuses], [SysAidPriorities]) return fresh
// tables whose case values are the strings of the itsm package's Status and
// Severity. The HTTP connector's configuration (httpconn.Config) embeds a
// Map for its status and priority maps.
package statusmap
