package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
)

// RunSecrets runs the conformance suite of [callback.SecretStore] against
// the stores newStore returns: adding and listing (Ciphertext and times
// round-trip, order by Seq), retiring older secrets atomically with an add
// (an earlier retirement is kept), conflicts on a Seq or id already taken,
// revocation (first time kept, unknown or foreign ids not found),
// integrations kept apart, copies not aliased, a canceled context, and
// RaceWorkers goroutines racing to add the same generation (exactly one
// wins), directly and through callback.Secrets.
//
// newStore is called inside each subtest and must return an empty store; it
// may use t.Cleanup and t.Skip.
func RunSecrets(t *testing.T, newStore func(t *testing.T) callback.SecretStore) {
	t.Helper()
	for _, c := range stSecretCases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			require.NotNil(t, s, "newStore returned nil")
			c.run(t, s)
		})
	}
	t.Run("Concurrency", func(t *testing.T) {
		for _, c := range stSecretRaceCases {
			t.Run(c.name, func(t *testing.T) {
				s := newStore(t)
				require.NotNil(t, s, "newStore returned nil")
				c.run(t, []callback.SecretStore{s})
			})
		}
	})
}

// RunSecretsReplicas runs the cross-replica part of the SecretStore suite:
// newReplicas returns two stores over one shared, empty storage. What one
// adds or revokes is seen through the other, and the concurrency subtests
// race goroutines split across both (concurrent rotations on two replicas
// leave one current secret, the one a winner was given).
func RunSecretsReplicas(t *testing.T, newReplicas func(t *testing.T) (a, b callback.SecretStore)) {
	t.Helper()
	t.Run("Visibility", func(t *testing.T) {
		a, b := newReplicas(t)
		require.NotNil(t, a)
		require.NotNil(t, b)
		ctx := t.Context()
		w1 := stSecretFixture("int-1", 1, stBase)
		require.NoError(t, a.AddWebhookSecret(ctx, w1, stBase))
		w2 := stSecretFixture("int-1", 2, stAt(time.Minute))
		require.NoError(t, b.AddWebhookSecret(ctx, w2, stAt(time.Hour)))
		require.NoError(t, b.RevokeWebhookSecret(ctx, "int-1", w2.ID, stAt(2*time.Minute)))
		w1.RetiresAt, w2.RevokedAt = stAt(time.Hour), stAt(2*time.Minute)
		stListSecrets(t, a, "int-1", w1, w2)
		stIs(t, a.AddWebhookSecret(ctx, stSecretFixture("int-1", 2, stBase), stBase), itsm.ErrConflict)
	})
	t.Run("Concurrency", func(t *testing.T) {
		for _, c := range stSecretRaceCases {
			t.Run(c.name, func(t *testing.T) {
				a, b := newReplicas(t)
				require.NotNil(t, a)
				require.NotNil(t, b)
				c.run(t, []callback.SecretStore{a, b})
			})
		}
	})
}

type stSecretCase struct {
	name string
	run  func(t *testing.T, s callback.SecretStore)
}

type stSecretRaceCase struct {
	name string
	run  func(t *testing.T, stores []callback.SecretStore)
}

// stSecretFixture returns generation seq of an integration's secrets,
// created at created, with a made-up ciphertext.
func stSecretFixture(integrationID string, seq int64, created time.Time) itsm.WebhookSecret {
	return itsm.WebhookSecret{
		ID:            fmt.Sprintf("whs_%s_%02d", integrationID, seq),
		IntegrationID: integrationID,
		Seq:           seq,
		Ciphertext:    fmt.Appendf(nil, "\x01sealed %s %d \x00\xff", integrationID, seq),
		CreatedAt:     created,
	}
}

func stSecret(w itsm.WebhookSecret) itsm.WebhookSecret {
	w.Ciphertext = stBytes(w.Ciphertext)
	w.CreatedAt = stTime(w.CreatedAt)
	w.RetiresAt = stTime(w.RetiresAt)
	w.RevokedAt = stTime(w.RevokedAt)
	return w
}

// stListSecrets requires ListWebhookSecrets to return want, in order.
func stListSecrets(t *testing.T, s callback.SecretStore, integrationID string, want ...itsm.WebhookSecret) {
	t.Helper()
	got, err := s.ListWebhookSecrets(t.Context(), integrationID)
	require.NoError(t, err)
	require.Len(t, got, len(want), "secrets of %s", integrationID)
	for i := range want {
		assert.Equal(t, stSecret(want[i]), stSecret(got[i]), "secret %d of %s", i, integrationID)
	}
}

var stSecretCases = []stSecretCase{
	{"EmptyList", func(t *testing.T, s callback.SecretStore) {
		got, err := s.ListWebhookSecrets(t.Context(), "int-1")
		require.NoError(t, err)
		assert.Empty(t, got)
	}},
	{"AddThenList", func(t *testing.T, s callback.SecretStore) {
		ctx := t.Context()
		w := stSecretFixture("int-1", 1, stBase.In(stZoneEast))
		require.NoError(t, s.AddWebhookSecret(ctx, w, stAt(time.Hour)))
		stListSecrets(t, s, "int-1", w) // no older secret: nothing retired
	}},
	{"RotateRetiresOlder", func(t *testing.T, s callback.SecretStore) {
		ctx := t.Context()
		w1 := stSecretFixture("int-1", 1, stBase)
		w2 := stSecretFixture("int-1", 2, stAt(time.Minute))
		w3 := stSecretFixture("int-1", 3, stAt(2*time.Minute))
		w4 := stSecretFixture("int-1", 4, stAt(3*time.Minute))
		require.NoError(t, s.AddWebhookSecret(ctx, w1, stAt(-time.Hour)))
		require.NoError(t, s.AddWebhookSecret(ctx, w2, stAt(24*time.Hour).In(stZoneWest)))
		w1.RetiresAt = stAt(24 * time.Hour)
		stListSecrets(t, s, "int-1", w1, w2)
		// A later retirement does not extend an earlier one.
		require.NoError(t, s.AddWebhookSecret(ctx, w3, stAt(48*time.Hour)))
		w2.RetiresAt = stAt(48 * time.Hour)
		stListSecrets(t, s, "int-1", w1, w2, w3)
		// An earlier one cuts every older secret short.
		require.NoError(t, s.AddWebhookSecret(ctx, w4, stAt(3*time.Minute)))
		w1.RetiresAt, w2.RetiresAt, w3.RetiresAt = stAt(3*time.Minute), stAt(3*time.Minute), stAt(3*time.Minute)
		stListSecrets(t, s, "int-1", w1, w2, w3, w4)
	}},
	{"Conflicts", func(t *testing.T, s callback.SecretStore) {
		ctx := t.Context()
		w1 := stSecretFixture("int-1", 1, stBase)
		w2 := stSecretFixture("int-1", 2, stBase)
		require.NoError(t, s.AddWebhookSecret(ctx, w1, stBase))
		require.NoError(t, s.AddWebhookSecret(ctx, w2, stAt(time.Hour)))
		sameSeq := stSecretFixture("int-1", 2, stBase)
		sameSeq.ID = "whs_other"
		lower := stSecretFixture("int-1", 1, stBase)
		lower.ID = "whs_lower"
		sameID := stSecretFixture("int-1", 3, stBase)
		sameID.ID = w1.ID
		for name, w := range map[string]itsm.WebhookSecret{"same seq": sameSeq, "lower seq": lower, "same id": sameID} {
			stIs(t, s.AddWebhookSecret(ctx, w, stAt(time.Minute)), itsm.ErrConflict, name)
		}
		w1.RetiresAt = stAt(time.Hour)
		stListSecrets(t, s, "int-1", w1, w2) // nothing written, nothing retired
	}},
	{"Revoke", func(t *testing.T, s callback.SecretStore) {
		ctx := t.Context()
		w1 := stSecretFixture("int-1", 1, stBase)
		require.NoError(t, s.AddWebhookSecret(ctx, w1, stBase))
		require.NoError(t, s.RevokeWebhookSecret(ctx, "int-1", w1.ID, stAt(time.Minute)))
		require.NoError(t, s.RevokeWebhookSecret(ctx, "int-1", w1.ID, stAt(time.Hour)), "revoking again")
		w1.RevokedAt = stAt(time.Minute) // the first time is kept
		stListSecrets(t, s, "int-1", w1)
		stIs(t, s.RevokeWebhookSecret(ctx, "int-1", "whs_unknown", stBase), itsm.ErrNotFound, "unknown id")
		stIs(t, s.RevokeWebhookSecret(ctx, "int-2", w1.ID, stBase), itsm.ErrNotFound, "another integration's id")
	}},
	{"IntegrationsApart", func(t *testing.T, s callback.SecretStore) {
		ctx := t.Context()
		a1, b1 := stSecretFixture("int-a", 1, stBase), stSecretFixture("int-b", 1, stBase)
		b1.ID = a1.ID // ids are unique per integration only
		require.NoError(t, s.AddWebhookSecret(ctx, a1, stBase))
		require.NoError(t, s.AddWebhookSecret(ctx, b1, stBase))
		a2 := stSecretFixture("int-a", 2, stBase)
		require.NoError(t, s.AddWebhookSecret(ctx, a2, stAt(time.Hour)))
		require.NoError(t, s.RevokeWebhookSecret(ctx, "int-a", a1.ID, stAt(time.Minute)))
		a1.RetiresAt, a1.RevokedAt = stAt(time.Hour), stAt(time.Minute)
		stListSecrets(t, s, "int-a", a1, a2)
		stListSecrets(t, s, "int-b", b1) // neither retired nor revoked by int-a's changes
	}},
	{"CopiesNotAliased", func(t *testing.T, s callback.SecretStore) {
		ctx := t.Context()
		w := stSecretFixture("int-1", 1, stBase)
		in := w
		in.Ciphertext = bytes.Clone(w.Ciphertext)
		require.NoError(t, s.AddWebhookSecret(ctx, in, stBase))
		in.Ciphertext[0] ^= 0xff
		got, err := s.ListWebhookSecrets(ctx, "int-1")
		require.NoError(t, err)
		require.Len(t, got, 1)
		got[0].Ciphertext[0] ^= 0xff
		stListSecrets(t, s, "int-1", w)
	}},
	{"CanceledContext", func(t *testing.T, s callback.SecretStore) {
		ctx := stCanceled(t)
		check := func(name string, err error, allowed ...error) {
			t.Helper()
			for _, a := range allowed {
				if errors.Is(err, a) {
					return
				}
			}
			if err != nil {
				assert.ErrorIs(t, err, itsm.ErrStore, "%s with a canceled context: %v", name, err)
			}
		}
		check("AddWebhookSecret", s.AddWebhookSecret(ctx, stSecretFixture("int-1", 1, stBase), stBase))
		_, err := s.ListWebhookSecrets(ctx, "int-1")
		check("ListWebhookSecrets", err)
		check("RevokeWebhookSecret", s.RevokeWebhookSecret(ctx, "int-1", "whs_x", stBase), itsm.ErrNotFound)
	}},
}

var stSecretRaceCases = []stSecretRaceCase{
	{"AddSameGeneration", func(t *testing.T, stores []callback.SecretStore) {
		ctx := t.Context()
		w1 := stSecretFixture("int-1", 1, stBase)
		require.NoError(t, stores[0].AddWebhookSecret(ctx, w1, stBase))
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			w := stSecretFixture("int-1", 2, stAt(time.Minute))
			w.ID = fmt.Sprintf("whs_racer_%02d", i)
			errs[i] = stores[i%len(stores)].AddWebhookSecret(ctx, w, stAt(time.Duration(i+1)*time.Hour))
		})
		win := stOneWinner(t, errs, itsm.ErrConflict)
		require.GreaterOrEqual(t, win, 0)
		want := stSecretFixture("int-1", 2, stAt(time.Minute))
		want.ID = fmt.Sprintf("whs_racer_%02d", win)
		w1.RetiresAt = stAt(time.Duration(win+1) * time.Hour) // retired by the winner only
		for _, s := range stores {
			stListSecrets(t, s, "int-1", w1, want)
		}
	}},
	{"SecretsRotate", func(t *testing.T, stores []callback.SecretStore) {
		// callback.Secrets over each store, as replicas hold them, rotating
		// one integration at once: the losers get ErrSecretConflict and
		// store nothing; one secret is current, a winner's, and it (not a
		// loser's) verifies on every replica.
		ctx := t.Context()
		clock := itsmtest.NewClock(stBase)
		sealer, err := callback.NewAESGCMSealer(bytes.Repeat([]byte{7}, callback.AESKeySize))
		require.NoError(t, err)
		managers := make([]*callback.Secrets, len(stores))
		for i, s := range stores {
			managers[i], err = callback.NewSecrets(s, sealer, callback.SecretsConfig{CacheTTL: itsm.Off}, itsm.WithClock(clock))
			require.NoError(t, err)
		}
		first, err := managers[0].Generate(ctx, "int-1")
		require.NoError(t, err)
		issued := make([]callback.IssuedSecret, RaceWorkers)
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			issued[i], errs[i] = managers[i%len(managers)].Rotate(ctx, "int-1")
		})
		winners := map[string]callback.IssuedSecret{}
		for i, err := range errs {
			if err != nil {
				assert.ErrorIs(t, err, callback.ErrSecretConflict, "rotation %d", i)
				assert.ErrorIs(t, err, itsm.ErrConflict, "rotation %d", i)
				assert.True(t, issued[i].Secret.IsZero(), "a losing rotation returns no secret")
				continue
			}
			winners[issued[i].Info.ID] = issued[i]
		}
		require.NotEmpty(t, winners, "at least one rotation wins")
		for _, m := range managers {
			infos, err := m.List(ctx, "int-1")
			require.NoError(t, err)
			require.Len(t, infos, 1+len(winners), "the first secret and the winners' only")
			current := 0
			for _, in := range infos {
				if in.State == callback.SecretCurrent {
					current++
					_, ok := winners[in.ID]
					assert.True(t, ok, "the current secret %s is a winner's", in.ID)
				}
			}
			assert.Equal(t, 1, current, "exactly one current secret")
		}
		last := infosLast(t, managers[0])
		body := []byte(`{"webhookEvent":"jira:issue_updated"}`)
		for i, m := range managers {
			v, err := m.Verifier("int-1", callback.JiraHMAC())
			require.NoError(t, err)
			for _, w := range winners {
				assert.NoError(t, stVerify(v, w.Secret.Reveal(), body), "replica %d: winner %s inside the overlap", i, w.Info.ID)
			}
			assert.NoError(t, stVerify(v, first.Secret.Reveal(), body), "replica %d: the first secret inside the overlap", i)
			clock.Set(stBase.Add(callback.DefaultSecretOverlap))
			for id, w := range winners {
				err := stVerify(v, w.Secret.Reveal(), body)
				if id == last {
					assert.NoError(t, err, "replica %d: the current secret after the overlap", i)
				} else {
					assert.ErrorIs(t, err, callback.ErrInvalidSignature, "replica %d: replaced secret %s after the overlap", i, id)
				}
			}
			assert.ErrorIs(t, stVerify(v, first.Secret.Reveal(), body), callback.ErrInvalidSignature, "replica %d", i)
			clock.Set(stBase)
		}
	}},
}

// infosLast returns the id of the current secret of int-1.
func infosLast(t *testing.T, m *callback.Secrets) string {
	t.Helper()
	infos, err := m.List(t.Context(), "int-1")
	require.NoError(t, err)
	require.NotEmpty(t, infos)
	return infos[len(infos)-1].ID
}

// stVerify signs body as Jira would with secret and verifies it with v.
func stVerify(v *callback.HMACVerifier, secret string, body []byte) error {
	signer, err := callback.NewHMACVerifier(callback.JiraHMAC(secret))
	if err != nil {
		return err
	}
	r := httptest.NewRequest("POST", "/inbound", strings.NewReader(string(body)))
	for k, vs := range signer.Sign(body, stBase) {
		r.Header[k] = vs
	}
	return v.Verify(r, body)
}
