package itsm_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

func TestRegistryOnePerWorkspace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	reg, err := itsm.NewRegistry(memstore.New(), itsm.WithClock(clock))
	require.NoError(t, err)

	in, err := reg.Create(ctx, "ws-1", []byte(`{"name":"JIRA ITSM"}`))
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{32}$`, in.ID)
	assert.JSONEq(t, `{"name":"JIRA ITSM","id":"`+in.ID+`"}`, string(in.Config), "the generated id is written into the config")
	assert.Equal(t, "ws-1", in.Workspace)
	assert.Equal(t, clock.Now(), in.CreatedAt)

	_, err = reg.Create(ctx, "ws-1", []byte(`{"name":"second"}`))
	var ee *itsm.IntegrationExistsError
	require.ErrorAs(t, err, &ee)
	assert.ErrorIs(t, err, itsm.ErrIntegrationExists)
	assert.Equal(t, in.ID, ee.ExistingID)
	assert.Contains(t, err.Error(), "edit it instead")

	clock.Advance(time.Hour)
	up, err := reg.Update(ctx, in.ID, []byte(`{"name":"renamed","id":"forged"}`))
	require.NoError(t, err)
	assert.Equal(t, in.CreatedAt, up.CreatedAt)
	assert.Equal(t, clock.Now(), up.UpdatedAt)
	assert.JSONEq(t, `{"name":"renamed","id":"`+in.ID+`"}`, string(up.Config), "the id is read-only")

	got, err := reg.GetByWorkspace(ctx, "ws-1")
	require.NoError(t, err)
	assert.Equal(t, in.ID, got.ID)
	got, err = reg.Get(ctx, in.ID)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"renamed","id":"`+in.ID+`"}`, string(got.Config))

	other, err := reg.Create(ctx, "ws-2", []byte(`{"id":"cfg-2"}`))
	require.NoError(t, err)
	assert.Equal(t, "cfg-2", other.ID, "the config's own id is kept")
	_, err = reg.Create(ctx, "ws-3", []byte(`{"id":"cfg-2"}`))
	assert.ErrorIs(t, err, itsm.ErrConflict, "an id cannot move another workspace's integration")
	got, err = reg.GetByWorkspace(ctx, "ws-2")
	require.NoError(t, err)
	assert.Equal(t, "cfg-2", got.ID)

	require.NoError(t, reg.Delete(ctx, in.ID))
	require.NoError(t, reg.Delete(ctx, in.ID), "deleting twice is fine")
	_, err = reg.Get(ctx, in.ID)
	assert.ErrorIs(t, err, itsm.ErrNotFound)
	_, err = reg.GetByWorkspace(ctx, "ws-1")
	assert.ErrorIs(t, err, itsm.ErrNotFound)
	_, err = reg.Update(ctx, in.ID, []byte(`{}`))
	assert.ErrorIs(t, err, itsm.ErrNotFound)
	_, err = reg.Create(ctx, "ws-1", []byte(`{}`))
	assert.NoError(t, err, "the workspace is free again")
}

func TestRegistryRejectsBadInput(t *testing.T) {
	t.Parallel()
	reg, err := itsm.NewRegistry(memstore.New())
	require.NoError(t, err)
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func() error
		fields []string
	}{
		{"create without workspace", func() error { _, err := reg.Create(ctx, " ", []byte(`{}`)); return err }, []string{"workspace"}},
		{"create with bad json", func() error { _, err := reg.Create(ctx, "ws", []byte(`{`)); return err }, []string{"config"}},
		{"create with a non-object", func() error { _, err := reg.Create(ctx, "ws", []byte(`[1]`)); return err }, []string{"config"}},
		{"update without id and config", func() error { _, err := reg.Update(ctx, "", nil); return err }, []string{"id", "config"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ve *itsm.ValidationError
			require.ErrorAs(t, tt.call(), &ve)
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Field)
			}
			assert.Equal(t, tt.fields, got)
		})
	}
	_, err = itsm.NewRegistry(nil)
	assert.ErrorIs(t, err, itsm.ErrInvalidConfig)
}

func TestRegistryConcurrentCreateOneWins(t *testing.T) {
	t.Parallel()
	reg, err := itsm.NewRegistry(memstore.New())
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = reg.Create(context.Background(), "ws", []byte(`{}`))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.ErrorIs(t, err, itsm.ErrIntegrationExists)
	}
	assert.Equal(t, 1, ok)
}
