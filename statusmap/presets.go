package statusmap

// Ready-made tables for common ITSMs. Each call returns a fresh Map (plain
// data the caller may edit, e.g. to add a custom workflow status). Case values
// are the strings of the SDK's case statuses ("open", "in_progress",
// "on_hold", "resolved", "closed") and severities ("low", "medium", "high",
// "critical"); the package does not import them to stay a leaf.

// Case status values used by the presets (the strings of itsm.Status).
const (
	caseOpen       = "open"
	caseInProgress = "in_progress"
	caseOnHold     = "on_hold"
	caseResolved   = "resolved"
	caseClosed     = "closed"
)

// Case severity values used by the presets (the strings of itsm.Severity).
const (
	sevLow      = "low"
	sevMedium   = "medium"
	sevHigh     = "high"
	sevCritical = "critical"
)

func e(itsm, c string) Entry  { return Entry{ITSM: itsm, Case: c} }
func ep(itsm, c string) Entry { return Entry{ITSM: itsm, Case: c, Preferred: true} }

// JiraStatuses maps the statuses of Jira's default workflows: To Do and Open
// → open (reverse "To Do"), In Progress → in_progress, Done, Closed and
// Resolved → closed (reverse "Done"). Any other status falls back on its
// statusCategory key: new → open, indeterminate → in_progress, done → closed.
// Unmapped labels are ignored.
func JiraStatuses() Map {
	return Map{
		Entries: []Entry{
			ep("To Do", caseOpen),
			e("Open", caseOpen),
			e("Backlog", caseOpen),
			e("Reopened", caseOpen),
			ep("In Progress", caseInProgress),
			ep("Done", caseClosed),
			e("Closed", caseClosed),
			e("Resolved", caseClosed),
		},
		Categories: []Entry{
			e("new", caseOpen),
			e("indeterminate", caseInProgress),
			e("done", caseClosed),
		},
		Unmapped: Ignore,
	}
}

// JiraPriorities maps Jira priorities to severities: Highest and Critical →
// critical, High → high, Medium → medium, Low and Lowest → low; the reverse
// values are Critical, High, Medium and Low. (Jira Cloud's default scheme
// has Highest instead of Critical: change Preferred if yours does.)
// Unmapped priorities are ignored.
func JiraPriorities() Map {
	return Map{
		Entries: []Entry{
			e("Highest", sevCritical),
			ep("Critical", sevCritical),
			e("Blocker", sevCritical),
			ep("High", sevHigh),
			e("Major", sevHigh),
			ep("Medium", sevMedium),
			ep("Low", sevLow),
			e("Lowest", sevLow),
			e("Minor", sevLow),
			e("Trivial", sevLow),
		},
		Unmapped: Ignore,
	}
}

// ServiceNowStates maps the incident state field. The API sends codes
// (state=6), which are the preferred labels, so a reverse mapping renders the
// code; the display names (sysparm_display_value=true) map too: 1 New → open,
// 2 In Progress → in_progress, 3 On Hold → on_hold, 6 Resolved → resolved,
// 7 Closed and 8 Canceled → closed. The codes are also categories, so a
// caller passing the code as the category of a renamed display value still
// maps. Unmapped states are ignored.
func ServiceNowStates() Map {
	return Map{
		Entries: []Entry{
			ep("1", caseOpen),
			e("New", caseOpen),
			ep("2", caseInProgress),
			e("In Progress", caseInProgress),
			ep("3", caseOnHold),
			e("On Hold", caseOnHold),
			ep("6", caseResolved),
			e("Resolved", caseResolved),
			ep("7", caseClosed),
			e("Closed", caseClosed),
			e("8", caseClosed),
			e("Canceled", caseClosed),
		},
		Categories: []Entry{
			e("1", caseOpen),
			e("2", caseInProgress),
			e("3", caseOnHold),
			e("6", caseResolved),
			e("7", caseClosed),
			e("8", caseClosed),
		},
		Unmapped: Ignore,
	}
}

// ServiceNowPriorities maps the incident priority codes (and their display
// names): 1 Critical → critical, 2 High → high, 3 Moderate → medium, 4 Low
// and 5 Planning → low; the codes 1-4 are the reverse values. Unmapped
// priorities are ignored.
func ServiceNowPriorities() Map {
	return Map{
		Entries: []Entry{
			ep("1", sevCritical),
			e("1 - Critical", sevCritical),
			e("Critical", sevCritical),
			ep("2", sevHigh),
			e("2 - High", sevHigh),
			e("High", sevHigh),
			ep("3", sevMedium),
			e("3 - Moderate", sevMedium),
			e("Moderate", sevMedium),
			ep("4", sevLow),
			e("4 - Low", sevLow),
			e("Low", sevLow),
			e("5", sevLow),
			e("5 - Planning", sevLow),
			e("Planning", sevLow),
		},
		Unmapped: Ignore,
	}
}

// SysAidStatuses maps SysAid's default service-record statuses. Webhooks and
// the REST API send the numeric id (the preferred labels); the captions map
// too. SysAid does not publish its default status table; these ids are the
// ones a default installation ships with, consistent with the "open" status
// ids used by public integrations (1, 2, 5, 6, 8 open; 3, 4, 7 not):
// 1 New → open, 2 Open → in_progress, 3 Closed and 4 Verified closed →
// closed, 5 Pending and 6 Postponed → on_hold, 8 Reopened → open. 7 Deleted
// and custom statuses are unmapped (ignored): add rows for your instance's
// statuses (GET /api/v1/list/status lists them).
func SysAidStatuses() Map {
	return Map{
		Entries: []Entry{
			ep("1", caseOpen),
			e("New", caseOpen),
			ep("2", caseInProgress),
			e("Open", caseInProgress),
			ep("3", caseClosed),
			e("Closed", caseClosed),
			e("4", caseClosed),
			e("Verified closed", caseClosed),
			ep("5", caseOnHold),
			e("Pending", caseOnHold),
			e("6", caseOnHold),
			e("Postponed", caseOnHold),
			e("8", caseOpen),
			e("Reopened", caseOpen),
		},
		Unmapped: Ignore,
	}
}

// SysAidPriorities maps SysAid's default priorities (id, caption): 1 Highest
// → critical, 2 Very High and 3 High → high, 4 Normal → medium, 5 Low → low;
// the reverse values are 1, 2, 4 and 5. Unmapped priorities are ignored.
func SysAidPriorities() Map {
	return Map{
		Entries: []Entry{
			ep("1", sevCritical),
			e("Highest", sevCritical),
			ep("2", sevHigh),
			e("Very High", sevHigh),
			e("3", sevHigh),
			e("High", sevHigh),
			ep("4", sevMedium),
			e("Normal", sevMedium),
			ep("5", sevLow),
			e("Low", sevLow),
		},
		Unmapped: Ignore,
	}
}
