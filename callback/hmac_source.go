package callback

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// matchesSource checks sigs against the keys of v's SecretSource. A
// signature that matches no key makes a refreshing source (managed secrets)
// re-read once, so a secret rotated on another replica verifies before the
// cache expires. Every (key, signature) pair is compared.
func (v *HMACVerifier) matchesSource(ctx context.Context, ts string, body []byte, sigs [][]byte) error {
	keys, err := v.src.HMACSecrets(ctx)
	if err != nil {
		return sourceUnavailable(err)
	}
	if v.matchesKeys(keys, ts, body, sigs) {
		return nil
	}
	if r, ok := v.src.(secretRefresher); ok {
		fresh, changed, err := r.refreshHMACSecrets(ctx)
		if err != nil {
			return sourceUnavailable(err)
		}
		if changed {
			if v.matchesKeys(fresh, ts, body, sigs) {
				return nil
			}
			keys = fresh
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("%w: no live secret", ErrInvalidSignature)
	}
	return ErrInvalidSignature
}

func sourceUnavailable(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return unavailable("secret source", err)
}

// matchesKeys reports whether any signature equals the MAC under any key.
func (v *HMACVerifier) matchesKeys(keys [][]byte, ts string, body []byte, sigs [][]byte) bool {
	ok := false
	for _, key := range keys {
		st := macState{h: hmac.New(v.newHash, key)}
		want := st.compute(v.timestamped(), ts, body)
		for _, sig := range sigs {
			if hmac.Equal(want, sig) {
				ok = true
			}
		}
	}
	return ok
}

// signSource signs with the source's newest key; no header when the source
// has none or fails.
func (v *HMACVerifier) signSource(body []byte, at time.Time) http.Header {
	keys, err := v.src.HMACSecrets(context.Background())
	if err != nil || len(keys) == 0 {
		return http.Header{}
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	st := macState{h: hmac.New(v.newHash, keys[0])}
	return v.signHeader(ts, st.compute(v.timestamped(), ts, body))
}
