package callback_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
)

// TestEventValidate_ValidationError: Event.Validate reports every problem
// at once as the SDK's one validation error shape (invalid input), and is
// still ErrMalformedPayload for the handler.
func TestEventValidate_ValidationError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ev     callback.Event
		fields []string
	}{
		{"unknown kind", callback.Event{Kind: "moved", TicketID: "1"}, []string{"kind"}},
		{"no ticket", callback.Event{Kind: callback.EventUpdated}, []string{"ticket_id"}},
		{"comment without comment", callback.Event{Kind: callback.EventComment, TicketID: "1"}, []string{"comment"}},
		{"negative version", callback.Event{Kind: callback.EventUpdated, TicketID: "1", Version: -1}, []string{"version"}},
		{"everything at once", callback.Event{Kind: "", Version: -2}, []string{"kind", "ticket_id", "version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.ev.Validate()
			require.ErrorIs(t, err, callback.ErrMalformedPayload)
			require.ErrorIs(t, err, itsm.ErrInvalidInput)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			var fields []string
			for _, fe := range ve.Errors {
				fields = append(fields, fe.Field)
			}
			assert.Equal(t, tt.fields, fields)
			assert.True(t, ve.Input)
			assert.Equal(t, "callback", ve.Component)
		})
	}
	require.NoError(t, callback.Event{Kind: callback.EventUpdated, TicketKey: "SEC-1"}.Validate())
}
