// Package httpconn is the config-driven HTTP connector: an ITSM integration
// described as plain data ([Config]) and run by one [Connector], which
// implements [itsm.Connector] for the sync engine.
//
// # Configuration
//
// A [Config] is the whole integration form as plain, JSON-serializable
// data: the create, update, get, comment, lookup and comment lookup
// requests — method, URL
// template, payload template — where the ticket id sits in the response,
// headers, the body format, authentication, TLS, proxy and allowed hosts,
// timeouts, retries, the status and priority maps. [Config.Validate] reports
// every field problem at once (an [*itsm.ValidationError] whose fields are
// dotted JSON paths such as "create.payload"), with the same template parser
// the connector uses, so a UI rejects a bad config on save instead of at the
// first push.
//
// Secrets never leave in clear: json.Marshal of a Config writes
// [RedactedMarker] in place of every secret (what a UI shows); the host
// persists the full config with [Config.MarshalSecrets]. On edit, the UI
// sends secrets back blank or as the marker and [Config.Merge] keeps the
// saved values.
//
// # Connector
//
// [New] validates a Config, parses its templates once and builds the
// connector's own transport. The connector renders each request with
// escaping chosen by where a value lands, sends it with bounded retries,
// reads capped responses and extracts ids with gjson, exactly as sent. It
// implements [itsm.Finder] too (when a lookup request is configured: every
// ticket it returns proves the correlation key at [LookupConfig].MatchPath
// or GetMatchPath, so a search that ignores its filter never links an
// unrelated ticket), [itsm.CommentFinder] (when a comment lookup is
// configured: the comment request writes $note_marker, and
// [Connector.FindComment] reads one page of comments back and checks the
// marker on every item, so a note whose outcome is unknown is found instead
// of posted twice) and [itsm.CallBudgeter], so the Syncer sizes its lease
// from the config.
// [Connector.Preview] renders the requests without sending anything;
// [Connector.Check] makes one harmless authenticated call. Provider presets
// plug their quirks in with [NewWithHooks] and send the requests a Config
// does not describe (Jira's status transitions) with [Connector.Do], which
// gets the same authentication, network rules, retries and redaction.
//
// # Blank fields and refusals in a 2xx
//
// Many ITSMs take a blank as a value ("priority":{"name":""} is an
// unknown priority, "state":"" an invalid state). A request's OmitEmpty
// lists JSON paths removed from the rendered body when their value is
// null, a blank string, {} or []; paths are applied in order, so
// ["fields.priority.name", "fields.priority"] leaves the whole priority
// out. Only plain paths (keys, array indexes) are accepted: a wildcard,
// query or modifier is refused by Validate, because sjson ignores such
// paths silently. [Connector.Preview] shows the body as sent.
//
// Some ITSMs answer 200 to a request they refused and say so in the body.
// SuccessPath (a value that must be truthy) and ErrorPath (a value that
// must be empty) on the create, update and comment requests turn such an
// answer into an [*HTTPError] with the 2xx status and the refusal as Body,
// wrapping [itsm.ErrRefused]: not retried, and not an unknown outcome.
//
// # Retries
//
// What is retried depends on whether sending the request again could make a
// second object. Reads (get, lookup, comment lookup, check) and updates by PUT or PATCH are
// retried on connection errors, timeouts, 408, 429 and 5xx (except 501 and
// 505). Creates, comments and updates by POST are retried only when the
// ITSM certainly did not process them: the connection was never made
// (refused, DNS failure), 429, or 503 with a Retry-After header. Waits grow
// exponentially with jitter between Retry.WaitMin and Retry.WaitMax; a
// Retry-After is honoured up to Retry.MaxRetryAfter. A 401 is retried once
// after fetching a new OAuth2 token. Request bodies are replayed whole.
// Every wait goes through the clock given with [itsm.WithClock], so a fake
// clock makes them instant in tests.
//
// # Network rules
//
// [NetworkConfig] says where requests may go. By default any public host is
// allowed and loopback and private addresses are refused; link-local,
// cloud metadata and reserved addresses are always refused. Addresses are
// checked after DNS resolution, at dial time, so a host name cannot smuggle
// a refused address in. A refused request is a [*HostNotAllowedError] that
// names the setting that would allow it: "network.allowed_hosts",
// "network.allow_private_networks" or "network.allow_loopback".
//
// # Errors
//
// Every error of a request names its operation and begins with
// "httpconn: " (a configuration that does not validate is an
// [*itsm.ValidationError] instead); none carries a secret. What a host does
// with one — the first row that matches decides (a create or comment that
// ends in a 5xx or without an answer matches the first row, not the
// "retry" rows below it):
//
//	Error                                    What happened                       What the host does
//	*HTTPError or *NetworkError wrapping     a write may have been processed     do not resend: look the ticket up (the
//	itsm.ErrOutcomeUnknown                                                       Syncer does, given a lookup request)
//	                                                                             or ask a person
//	*HTTPError, Temporary() is true          408, 429, 5xx but 501 and 505: the  retry later (after RetryAfter when set);
//	                                         ITSM is busy or failed              a person if it lasts
//	*HTTPError, 501 or 505                   the ITSM does not support it        needs a person: the templates
//	*HTTPError, 401 or 403                   credentials refused                 needs a person: the auth settings
//	*HTTPError, another 4xx                  the ITSM refused the request        needs a person: the templates or the ITSM
//	*HTTPError wrapping itsm.ErrRefused      a 2xx whose body broke a response   needs a person: the templates or the ITSM
//	                                         rule (success_path, error_path)
//	*NetworkError (itsm.ErrUnreachable)      no response: refused, DNS, reset,   retry now (resending is safe: nothing
//	                                         the connector's timeout, TLS        was sent, or it was a read); later
//	                                                                             if it keeps failing; Temporary() false
//	                                                                             (a TLS cause) needs a person
//	*NetworkError, ContextDone               the caller's context ended          the caller's decision; the error wraps
//	                                                                             ctx.Err(), not itsm.ErrUnreachable
//	*HostNotAllowedError (ErrHostNotAllowed) refused by the network rules,       needs a person: the setting it names
//	                                         nothing sent                        (Setting)
//	*OAuth2Error                             the token request failed            Temporary() (no answer: it wraps
//	                                                                             itsm.ErrUnreachable; 429, 5xx): retry
//	                                                                             later; else needs a person: the
//	                                                                             auth.oauth2 settings
//	*itsm.ValidationError,                   the configuration is wrong          needs a person: the configuration
//	ErrInvalidRenderedJSON
//	itsm.ErrNotConfigured                    the config has no such request      nothing to retry
//
// The sync engine reads these through [itsm.StatusCoder] and the itsm
// sentinels; a host calling the connector directly uses errors.As and
// errors.Is.
package httpconn
