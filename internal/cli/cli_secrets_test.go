package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"ccsub/internal/database"
	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/store"

	"github.com/jackc/pgx/v5/pgxpool"
)

func rawKey(fill byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, 32))
}

// sealedFixture is a database whose secrets were sealed with one key.
type sealedFixture struct {
	pool    *pgxpool.Pool
	st      *store.Store
	plain   map[string]string // "table:id" → plaintext
	primary int               // call tokens already sealed with the new key
}

func mustSeal(t *testing.T, kr *secret.Keyring, plain, purpose string) []byte {
	t.Helper()
	b, err := kr.Seal([]byte(plain), purpose)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedSealed writes a gateway, two subscriptions, calls (some sharing one
// started_at, one without a token, two already on the new key) and a
// session key, all sealed with old.
func seedSealed(t *testing.T, dbURL string, old, fresh *secret.Keyring, calls int) *sealedFixture {
	t.Helper()
	ctx := t.Context()
	pool, err := database.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := database.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	f := &sealedFixture{pool: pool, st: store.New(pool), plain: map[string]string{}}
	g, err := f.st.CreateGateway(ctx, domain.GatewayInput{Name: "gw", BaseURL: "https://10.0.0.1:8043", AgentID: 1,
		PasswordSealed: mustSeal(t, old, "gw-password-1", secret.PurposeGatewayPassword)})
	if err != nil {
		t.Fatal(err)
	}
	f.plain[fmt.Sprintf("gateways:%d", g.ID)] = "gw-password-1"
	if _, err := f.st.SessionKeys(ctx, func() ([]byte, error) { return old.Seal(bytes.Repeat([]byte{7}, 64), secret.PurposeSessionKey) }); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range calls {
		tok := fmt.Sprintf("call-token-%03d", i)
		kr := old
		if i < 2 {
			kr, f.primary = fresh, f.primary+1
		}
		nc := domain.NewCall{GatewayID: g.ID, GatewayName: g.Name, Actor: "t", Operation: domain.OpRegister, TokenPresent: true,
			TokenSealed: mustSeal(t, kr, tok, secret.PurposeServiceToken)}
		if i == calls-1 {
			nc.TokenPresent, nc.TokenSealed, tok = false, nil, ""
		}
		c, err := f.st.BeginCall(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		// Groups of three calls share one started_at, so the keyset must
		// order by (started_at, id) to visit each exactly once.
		if _, err := pool.Exec(ctx, "UPDATE calls SET started_at = $1 WHERE id = $2", base.Add(time.Duration(i/3)*time.Minute), c.ID); err != nil {
			t.Fatal(err)
		}
		if tok != "" {
			f.plain[fmt.Sprintf("calls:%d", c.ID)] = tok
		}
		if i < 2 {
			s, err := f.st.CreateSubscription(ctx, domain.NewSubscription{GatewayID: g.ID, ServerID: fmt.Sprintf("srv-%d", i),
				SubscribeType: "1", CallbackURI: "https://cb.example/x", TokenSealed: mustSeal(t, old, "sub-token-"+tok, secret.PurposeServiceToken),
				CreatedBy: "t", RegisterCallID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			f.plain[fmt.Sprintf("subscriptions:%d", s.ID)] = "sub-token-" + tok
		}
	}
	return f
}

// openAll opens every sealed value with kr and compares it with the seed.
func (f *sealedFixture) openAll(t *testing.T, kr *secret.Keyring) {
	t.Helper()
	queries := map[string]string{
		"gateways":      "SELECT id, password_sealed FROM gateways",
		"subscriptions": "SELECT id, token_sealed FROM subscriptions WHERE token_sealed IS NOT NULL",
		"calls":         "SELECT id, token_sealed FROM calls WHERE token_sealed IS NOT NULL",
	}
	purposes := map[string]string{"gateways": secret.PurposeGatewayPassword, "subscriptions": secret.PurposeServiceToken, "calls": secret.PurposeServiceToken}
	seen := 0
	for table, q := range queries {
		rows, err := f.pool.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var sealed []byte
			if err := rows.Scan(&id, &sealed); err != nil {
				t.Fatal(err)
			}
			got, err := kr.Open(sealed, purposes[table])
			key := fmt.Sprintf("%s:%d", table, id)
			if err != nil || string(got) != f.plain[key] {
				t.Errorf("%s: opens to %q (%v), want %q", key, got, err, f.plain[key])
			}
			seen++
		}
		rows.Close()
	}
	if seen != len(f.plain) {
		t.Errorf("opened %d values, want %d", seen, len(f.plain))
	}
	var sk []byte
	if err := f.pool.QueryRow(t.Context(), "SELECT sealed FROM session_keys").Scan(&sk); err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Open(sk, secret.PurposeSessionKey); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{7}, 64)) {
		t.Errorf("the session key does not open with the new key: %v", err)
	}
}

func TestSecretsRotate(t *testing.T) {
	oldKey, newKey := rawKey(1), rawKey(2)
	old, _ := secret.ParseKeys(oldKey)
	fresh, _ := secret.ParseKeys(newKey)
	dbURL := freshDatabase(t)
	const calls = 23
	f := seedSealed(t, dbURL, old, fresh, calls)
	env := map[string]string{"DATABASE_URL": dbURL, "CCSUB_DATA_DIR": t.TempDir(), "CCSUB_SECRET_KEY": newKey + "," + oldKey, "USER": "ops"}
	// 23 calls: 2 already on the new key, 1 without a token → 20 re-sealed.
	wantCalls := calls - f.primary - 1

	t.Run("rotation re-seals every table in batches and says the old key can go", func(t *testing.T) {
		stdout, _, err := runCLI(t, env, "", "secrets", "rotate", "--batch", "4")
		if err != nil {
			t.Fatalf("rotate: %v\n%s", err, stdout)
		}
		for _, want := range []string{
			"session_keys.sealed          1 re-sealed",
			"gateways.password_sealed     1 re-sealed",
			"subscriptions.token_sealed   2 re-sealed",
			fmt.Sprintf("calls.token_sealed           %d re-sealed, 0 changed meanwhile (left alone), 0 unreadable, 0 still on another key", wantCalls),
			"older key(s) " + old.PrimaryID() + " can be removed",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		f.openAll(t, fresh)
	})
	t.Run("the rotation is in the audit trail", func(t *testing.T) {
		var actor, outcome, target, diff string
		err := f.pool.QueryRow(t.Context(), `SELECT actor, outcome, target_id, diff FROM audit_log WHERE action = $1`,
			string(domain.AuditSecretsRotate)).Scan(&actor, &outcome, &target, &diff)
		if err != nil {
			t.Fatal(err)
		}
		if actor != "cli:ops" || outcome != "success" || target != fresh.PrimaryID() ||
			!strings.Contains(diff, fmt.Sprintf(`"calls.token_sealed":{"before":%d,"after":0}`, wantCalls)) {
			t.Errorf("audit entry actor %q outcome %q target %q diff %s", actor, outcome, target, diff)
		}
	})
	t.Run("running it again changes nothing", func(t *testing.T) {
		stdout, _, err := runCLI(t, env, "", "secrets", "rotate")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stdout, " 1 re-sealed") || !strings.Contains(stdout, "calls.token_sealed           0 re-sealed") {
			t.Errorf("second run re-sealed values:\n%s", stdout)
		}
		f.openAll(t, fresh)
	})
	t.Run("with the new key alone there is nothing to rotate", func(t *testing.T) {
		env1 := map[string]string{"DATABASE_URL": dbURL, "CCSUB_DATA_DIR": t.TempDir(), "CCSUB_SECRET_KEY": newKey}
		stdout, _, err := runCLI(t, env1, "", "secrets", "rotate")
		if err != nil || !strings.Contains(stdout, "nothing to rotate") {
			t.Errorf("err %v, stdout:\n%s", err, stdout)
		}
	})
	t.Run("a value sealed with a key that is not configured is reported, not lost", func(t *testing.T) {
		stranger, _ := secret.ParseKeys(rawKey(3))
		var id int64
		err := f.pool.QueryRow(context.Background(), `UPDATE calls SET token_sealed = $1 WHERE id = (SELECT min(id) FROM calls) RETURNING id`,
			mustSeal(t, stranger, "call-token-xxx", secret.PurposeServiceToken)).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		stdout, _, err := runCLI(t, env, "", "secrets", "rotate")
		if err == nil || !strings.Contains(err.Error(), "1 value(s) could not be opened") {
			t.Fatalf("err %v, want the unreadable value reported", err)
		}
		if !strings.Contains(stdout, fmt.Sprintf("unreadable rows (id): %d", id)) {
			t.Errorf("stdout does not name row %d:\n%s", id, stdout)
		}
		if strings.Contains(stdout+err.Error(), "call-token") {
			t.Errorf("output shows a secret:\n%s", stdout)
		}
	})
	t.Run("without any key configured it refuses instead of generating one", func(t *testing.T) {
		refusal{"no key", []string{"secrets", "rotate"}, "", []string{"no key configured", "CCSUB_SECRET_KEY=NEW,OLD"}}.
			check(t, map[string]string{"DATABASE_URL": dbURL, "CCSUB_DATA_DIR": t.TempDir()})
	})
}
