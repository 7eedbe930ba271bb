package itsm_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want itsm.Status
	}{
		{"open", itsm.StatusOpen},
		{"Open", itsm.StatusOpen},
		{"  OPEN\t", itsm.StatusOpen},
		{"new", itsm.StatusOpen},
		{"New", itsm.StatusOpen},
		{"in_progress", itsm.StatusInProgress},
		{"In Progress", itsm.StatusInProgress},
		{"in-progress", itsm.StatusInProgress},
		{"IN_PROGRESS", itsm.StatusInProgress},
		{"inprogress", itsm.StatusInProgress},
		{"InProgress", itsm.StatusInProgress},
		{"active", itsm.StatusInProgress},
		{"on_hold", itsm.StatusOnHold},
		{"On Hold", itsm.StatusOnHold},
		{"on-hold", itsm.StatusOnHold},
		{"onhold", itsm.StatusOnHold},
		{"pending", itsm.StatusOnHold},
		{"resolved", itsm.StatusResolved},
		{" Resolved ", itsm.StatusResolved},
		{"closed", itsm.StatusClosed},
		{"CLOSED", itsm.StatusClosed},
		{"done", itsm.StatusClosed},
		{"Done", itsm.StatusClosed},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := itsm.ParseStatus(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, got.Valid())
		})
	}
}

func TestParseStatusEveryStatusRoundTrips(t *testing.T) {
	t.Parallel()
	for _, s := range itsm.Statuses {
		t.Run(string(s), func(t *testing.T) {
			got, err := itsm.ParseStatus(string(s))
			require.NoError(t, err)
			assert.Equal(t, s, got)
		})
	}
}

func TestParseStatusInvalid(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100)
	tests := []struct {
		name, in, wantMsg string
	}{
		{"empty", "", `itsm: invalid status ""`},
		{"unknown", "archived", `itsm: invalid status "archived"`},
		{"inner space twice", "in  progress", `itsm: invalid status "in  progress"`},
		{"quotes kept quoted", `a"b`, `itsm: invalid status "a\"b"`},
		{"long truncated", long, `itsm: invalid status "` + strings.Repeat("x", 64) + `..."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := itsm.ParseStatus(tt.in)
			require.Error(t, err)
			assert.Empty(t, got)
			assert.ErrorIs(t, err, itsm.ErrInvalidStatus)
			assert.NotErrorIs(t, err, itsm.ErrInvalidSeverity)
			var ive *itsm.InvalidValueError
			require.ErrorAs(t, err, &ive)
			assert.Equal(t, "status", ive.Field)
			assert.Equal(t, tt.in, ive.Value, "the error keeps the full input for the caller")
			assert.Equal(t, tt.wantMsg, err.Error())
		})
	}
}

func TestInvalidValueErrorTruncatesOnRuneBoundary(t *testing.T) {
	t.Parallel()
	// 63 ASCII bytes then a 3-byte rune straddling the 64-byte cut.
	in := strings.Repeat("a", 63) + "€€€"
	_, err := itsm.ParseStatus(in)
	require.Error(t, err)
	msg := err.Error()
	assert.True(t, utf8.ValidString(msg), "message must stay valid UTF-8: %q", msg)
	assert.NotContains(t, msg, `\x`, "no broken rune escaped in the message")
	assert.Equal(t, `itsm: invalid status "`+strings.Repeat("a", 63)+`..."`, msg)
}

func TestParseSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want itsm.Severity
	}{
		{"low", itsm.SeverityLow},
		{"LOW", itsm.SeverityLow},
		{" Low ", itsm.SeverityLow},
		{"info", itsm.SeverityLow},
		{"Informational", itsm.SeverityLow},
		{"medium", itsm.SeverityMedium},
		{"Medium", itsm.SeverityMedium},
		{"moderate", itsm.SeverityMedium},
		{"high", itsm.SeverityHigh},
		{"HIGH", itsm.SeverityHigh},
		{"critical", itsm.SeverityCritical},
		{"\tCritical\n", itsm.SeverityCritical},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := itsm.ParseSeverity(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, got.Valid())
		})
	}
	for _, s := range itsm.Severities {
		got, err := itsm.ParseSeverity(string(s))
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
}

func TestParseSeverityInvalid(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "urgent", "p1", "very high", strings.Repeat("é", 50)} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			got, err := itsm.ParseSeverity(in)
			require.Error(t, err)
			assert.Empty(t, got)
			assert.ErrorIs(t, err, itsm.ErrInvalidSeverity)
			assert.NotErrorIs(t, err, itsm.ErrInvalidStatus)
			var ive *itsm.InvalidValueError
			require.ErrorAs(t, err, &ive)
			assert.Equal(t, "severity", ive.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "itsm: invalid severity "))
			assert.True(t, utf8.ValidString(err.Error()))
			assert.LessOrEqual(t, len(err.Error()), len("itsm: invalid severity ")+2+64+3)
		})
	}
}

func TestStatusValidAndTerminal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s               itsm.Status
		valid, terminal bool
	}{
		{itsm.StatusOpen, true, false},
		{itsm.StatusInProgress, true, false},
		{itsm.StatusOnHold, true, false},
		{itsm.StatusResolved, true, true},
		{itsm.StatusClosed, true, true},
		{"", false, false},
		{"Open", false, false}, // Valid is exact; ParseStatus normalizes
		{"done", false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.s), func(t *testing.T) {
			assert.Equal(t, tt.valid, tt.s.Valid())
			assert.Equal(t, tt.terminal, tt.s.IsTerminal())
		})
	}
	assert.False(t, itsm.Severity("High").Valid())
	assert.False(t, itsm.Severity("").Valid())
}

func TestCaseValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    *itsm.Case
		want []itsm.FieldError // nil: valid
	}{
		{"minimal", &itsm.Case{ID: "C-1", Title: "t"}, nil},
		{"full", &itsm.Case{ID: "C-1", Title: "t", Severity: itsm.SeverityCritical, Status: itsm.StatusOnHold}, nil},
		{"nil case", nil, []itsm.FieldError{{Field: "case", Message: "is nil"}}},
		{"empty", &itsm.Case{}, []itsm.FieldError{
			{Field: "id", Message: "is required"},
			{Field: "title", Message: "is required"},
		}},
		{"blank id and title", &itsm.Case{ID: " \t", Title: "\n"}, []itsm.FieldError{
			{Field: "id", Message: "is required"},
			{Field: "title", Message: "is required"},
		}},
		{"bad severity", &itsm.Case{ID: "C-1", Title: "t", Severity: "urgent"}, []itsm.FieldError{
			{Field: "severity", Message: `unknown severity "urgent"`},
		}},
		{"bad status", &itsm.Case{ID: "C-1", Title: "t", Status: "Open"}, []itsm.FieldError{
			{Field: "status", Message: `unknown status "Open"`},
		}},
		{"every problem at once", &itsm.Case{Severity: "x", Status: "y"}, []itsm.FieldError{
			{Field: "id", Message: "is required"},
			{Field: "title", Message: "is required"},
			{Field: "severity", Message: `unknown severity "x"`},
			{Field: "status", Message: `unknown status "y"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.c.Validate()
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, itsm.ErrInvalidInput)
			assert.NotErrorIs(t, err, itsm.ErrInvalidConfig)
			assert.Contains(t, err.Error(), "itsm: invalid input: ")
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.want, ve.Errors)
			for _, fe := range tt.want {
				assert.Contains(t, err.Error(), fe.Field+": "+fe.Message)
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	t.Parallel()
	err := &itsm.ValidationError{Errors: []itsm.FieldError{
		{Field: "create.url", Message: "is required"},
		{Field: "auth.password", Message: "is required"},
	}}
	assert.Equal(t, "itsm: invalid configuration: create.url: is required; auth.password: is required", err.Error())
	assert.True(t, errors.Is(err, itsm.ErrInvalidConfig))
	var wrapped error = &itsm.ValidationError{}
	assert.Equal(t, "itsm: invalid configuration: ", wrapped.Error())
}
