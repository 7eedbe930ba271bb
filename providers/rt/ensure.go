package rt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// OpCreateField is the operation name of the custom field creation of
// [EnsureCorrelationField].
const OpCreateField itsm.Operation = "create custom field"

// EnsureCorrelationField makes sure the correlation custom field exists and
// applies to the queue, creating it when the connector's credentials allow
// it:
//
//  1. GET /REST/2.0/queue/<queue>: an unknown queue or a missing right is
//     a [*SetupError] ([ErrQueueNotFound], [ErrPermission]); a field of
//     that name in TicketCustomFields means there is nothing to do;
//  2. POST /REST/2.0/customfield {"Name": <field>, "Type": "Freeform",
//     "MaxValues": 1, "LookupType": "RT::Queue-RT::Ticket", "Queue": <queue
//     id>} — RT::CustomField->Create applies a field created with a Queue
//     to that queue; it needs the AdminCustomField right (a 403 is a
//     [*SetupError] wrapping [ErrPermission] naming that admin step);
//  3. GET the queue again: the field must now apply to it, else a
//     [*SetupError] wrapping [ErrFieldMissing] names the step "apply the
//     custom field to the queue".
//
// RT allows several custom fields of one name: when a field of that name
// exists but does not apply to the queue, a new one is created for the
// queue (TicketSQL's CF.{name} and the create's CustomFields by name both
// resolve to the one applied to the ticket's queue).
//
// It is safe to call on every start: with the field in place it sends one
// GET. c must not be nil.
func EnsureCorrelationField(ctx context.Context, c *Connector) error {
	applied, queueID, err := c.queueHasField(ctx, nil)
	if err != nil {
		return err
	}
	if applied {
		c.markChecked()
		return nil
	}
	var queue any = c.cc.Queue
	if n, err := strconv.ParseInt(queueID, 10, 64); err == nil && n > 0 {
		queue = n
	}
	body, _ := json.Marshal(map[string]any{
		"Name":        c.cc.CorrelationField,
		"Type":        "Freeform",
		"MaxValues":   1,
		"LookupType":  "RT::Queue-RT::Ticket",
		"Queue":       queue,
		"Description": "itsmsync: the SIEM case a ticket belongs to (do not edit)",
	})
	_, err = c.base.Do(ctx, httpconn.Request{Op: OpCreateField, Method: http.MethodPost, URL: c.api() + "/customfield", Body: body})
	if err != nil {
		var he *httpconn.HTTPError
		if errors.As(err, &he) {
			switch {
			// RT::CustomField->Create answers (0, "Permission Denied")
			// without AdminCustomField, which REST2 sends as a 400.
			case he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden || permissionMessage(he.Body):
				return &SetupError{Op: OpCreateField, Field: "correlation_field", AdminStep: stepAdminRight, Err: ErrPermission, Cause: err}
			case he.StatusCode == http.StatusBadRequest || he.StatusCode == http.StatusConflict:
				return &SetupError{Op: OpCreateField, Field: "correlation_field", AdminStep: stepField, Err: ErrFieldMissing, Cause: err}
			}
		}
		return err
	}
	applied, _, err = c.queueHasField(ctx, nil)
	if err != nil {
		return err
	}
	if !applied {
		return &SetupError{Op: OpCreateField, Field: "correlation_field", AdminStep: stepFieldApply, Err: ErrFieldMissing}
	}
	c.markChecked()
	return nil
}

func (c *Connector) markChecked() {
	c.checked.Store(true)
}
