package store

import (
	"context"
	"fmt"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// dashboardRows bounds the home page's lists: a glance, each linking to
// the full list behind it.
const dashboardRows = 8

// Dashboard reads the home page's summary in one round trip (one batch of
// small statements, each served by an index: none grows with the history
// but the last 24 hours' retcodes, a range of the calls' primary key).
func (s *Store) Dashboard(ctx context.Context) (domain.Dashboard, error) {
	var d domain.Dashboard
	var gws []gatewayRow
	logins, lasts := map[int64]domain.Call{}, map[int64]domain.Call{}
	active := map[int64]int64{}
	var b pgx.Batch
	b.Queue(`SELECT ` + gatewayColumns + ` FROM gateways ORDER BY lower(name), id`).Query(func(rows pgx.Rows) (err error) {
		gws, err = pgx.CollectRows(rows, pgx.RowToStructByName[gatewayRow])
		return err
	})
	// The newest login and the newest call of each gateway.
	for _, q := range []struct {
		where string
		into  map[int64]domain.Call
	}{{"AND c.operation = 'login'", logins}, {"", lasts}} {
		b.Queue(`SELECT x.* FROM gateways g CROSS JOIN LATERAL (SELECT ` + callColumns + ` FROM calls c
			WHERE c.gateway_id = g.id ` + q.where + ` ORDER BY c.started_at DESC, c.id DESC LIMIT 1) x`).
			Query(func(rows pgx.Rows) error {
				rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[callRow])
				for _, r := range rs {
					q.into[r.GatewayID] = r.domain()
				}
				return err
			})
	}
	b.Queue(`SELECT gateway_id, state, sum(n)::bigint FROM subscription_counts GROUP BY gateway_id, state HAVING sum(n) <> 0`).
		Query(func(rows pgx.Rows) error {
			d.Counts = domain.SubscriptionCounts{}
			var gw, n int64
			var state domain.SubState
			_, err := pgx.ForEachRow(rows, []any{&gw, &state, &n}, func() error {
				d.Counts[state] += n
				if state == domain.SubActive || state == domain.SubDegraded {
					active[gw] += n
				}
				return nil
			})
			return err
		})
	b.Queue(`SELECT ` + subscriptionColumns + ` FROM (` +
		attentionBranch(domain.SubUnknown, 1) + ` UNION ALL ` + attentionBranch(domain.SubDegraded, 2) + ` UNION ALL ` +
		attentionBranch(domain.SubLapsed, 3) + `) s JOIN gateways g ON g.id = s.gateway_id
		ORDER BY s.rank, s.created_at DESC, s.id DESC LIMIT ` + fmt.Sprint(dashboardRows)).
		Query(func(rows pgx.Rows) error {
			rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[subscriptionRow])
			for _, r := range rs {
				d.Attention = append(d.Attention, r.domain())
			}
			return err
		})
	b.Queue(`SELECT ` + callColumns + ` FROM (` + failureBranch(domain.OutcomeFailed) + ` UNION ALL ` +
		failureBranch(domain.OutcomeRejected) + ` UNION ALL ` + failureBranch(domain.OutcomeUnknown) + `) c
		ORDER BY started_at DESC, id DESC LIMIT ` + fmt.Sprint(dashboardRows)).
		Query(func(rows pgx.Rows) error {
			rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[callRow])
			for _, r := range rs {
				d.Failures = append(d.Failures, r.domain())
			}
			return err
		})
	b.Queue(`SELECT retcode, count(*) FROM calls WHERE started_at > now() - interval '24 hours' AND outcome <> 'pending'
		GROUP BY retcode ORDER BY count(*) DESC, retcode`).Query(func(rows pgx.Rows) error {
		var rc domain.RetcodeCount
		_, err := pgx.ForEachRow(rows, []any{&rc.Retcode, &rc.Count}, func() error {
			d.Calls24h += rc.Count
			if len(d.Retcodes) < dashboardRows {
				d.Retcodes = append(d.Retcodes, rc)
			}
			return nil
		})
		return err
	})
	b.Queue(`SELECT count(*) FILTER (WHERE accepted), count(*) FILTER (WHERE NOT accepted), now()
		FROM notifications WHERE received_at > now() - interval '1 hour'`).QueryRow(func(row pgx.Row) error {
		return row.Scan(&d.NotificationsAccepted, &d.NotificationsRefused, &d.At)
	})
	if err := s.db.SendBatch(ctx, &b).Close(); err != nil {
		return domain.Dashboard{}, fmt.Errorf("store.Dashboard: %w", err)
	}
	for _, r := range gws {
		h := domain.GatewayHealth{Gateway: r.domain(), Active: active[r.ID]}
		if c, ok := logins[r.ID]; ok {
			h.LastLogin = &c
		}
		if c, ok := lasts[r.ID]; ok {
			h.LastCall = &c
		}
		d.Gateways = append(d.Gateways, h)
	}
	d.At = d.At.UTC()
	return d, nil
}

// attentionBranch is the newest subscriptions in one state, ranked, read
// through subscriptions_state_created_idx.
func attentionBranch(state domain.SubState, rank int) string {
	return fmt.Sprintf(`(SELECT *, %d AS rank FROM subscriptions WHERE state = '%s'
		ORDER BY created_at DESC, id DESC LIMIT %d)`, rank, state, dashboardRows)
}

// failureBranch is the newest calls of one outcome, read through
// calls_outcome_idx.
func failureBranch(o domain.Outcome) string {
	return fmt.Sprintf(`(SELECT * FROM calls WHERE outcome = '%s' ORDER BY started_at DESC, id DESC LIMIT %d)`, o, dashboardRows)
}
