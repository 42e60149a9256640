package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// The outbox: notifications written with the state change that caused them,
// claimed by one instance at a time, sent, and marked sent or retried with
// back-off. A claim is a lease: an instance that dies while sending leaves
// the message to be claimed again when the lease ends.

// maxAnswer bounds the receiver's answer kept with a delivery.
const maxAnswer = 1000

// ClaimNotifications leases up to limit deliveries that are due to holder
// until lease ends. On PostgreSQL the rows are locked with SKIP LOCKED, so
// instances sharing the database never claim the same delivery.
func (s *Store) ClaimNotifications(ctx context.Context, holder string, limit int, lease time.Duration) ([]probes.OutboxItem, error) {
	var out []probes.OutboxItem
	err := s.write(ctx, func(ctx context.Context, t *wtx) error {
		out = out[:0]
		rows, err := t.QueryContext(ctx, `SELECT id FROM notifications WHERE state IN ('pending', 'sending') AND next_at <= $1
			ORDER BY next_at, id LIMIT $2`+s.d.lockRows(true), ms(t.now), limit)
		if err != nil {
			return fmt.Errorf("claim notifications: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		chans := map[int64]probes.NotifierConfig{}
		for _, id := range ids {
			var it probes.OutboxItem
			var body string
			var notifier, created int64
			// The state check holds even where rows are not locked.
			err := t.QueryRowContext(ctx, `UPDATE notifications SET state = 'sending', holder = $2, next_at = $3
				WHERE id = $1 AND state IN ('pending', 'sending') AND next_at <= $4 RETURNING id, attempts, body, notifier_id, created_at`,
				id, holder, ms(t.now.Add(lease)), ms(t.now)).Scan(&it.ID, &it.Attempts, &body, &notifier, &created)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return fmt.Errorf("claim notification %d: %w", id, err)
			}
			ch, ok := chans[notifier]
			if !ok {
				if ch, err = notifierConfig(ctx, t, notifier); err != nil {
					return err
				}
				chans[notifier] = ch
			}
			it.Body, it.Channel, it.Created = []byte(body), ch, fromMS(created)
			if err := json.Unmarshal(it.Body, &it.Message); err != nil {
				return fmt.Errorf("decode notification %d: %w", id, err)
			}
			out = append(out, it)
		}
		return nil
	})
	return out, err
}

// FinishNotification records how holder's attempt at a delivery ended: sent;
// or failed, to be retried with back-off (doubling from the settings'
// retry_after, at most an hour) until give_up_after has passed since it was
// queued or the receiver refused it for good. An attempt whose claim another
// instance took over meanwhile is not recorded.
func (s *Store) FinishNotification(ctx context.Context, id int64, holder string, r probes.DeliveryResult) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		var attempts int
		var created int64
		err := t.QueryRowContext(ctx, `SELECT attempts, created_at FROM notifications WHERE id = $1 AND state = 'sending' AND holder = $2`+s.d.lockRows(false),
			id, holder).Scan(&attempts, &created)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		attempts++
		answer := truncate(r.Answer, maxAnswer)
		if r.OK {
			_, err = t.ExecContext(ctx, `UPDATE notifications SET state = 'sent', attempts = $2, answer = $3, sent_at = $4, next_at = $4, holder = '' WHERE id = $1`,
				id, attempts, answer, ms(t.now))
			return err
		}
		cfg, err := alertSettings(ctx, t)
		if err != nil {
			return err
		}
		next := t.now.Add(cfg.Retry(attempts))
		if !r.Retry.IsZero() && r.Retry.After(next) {
			next = r.Retry // the receiver asked for more time (Retry-After)
		}
		state := probes.DeliveryPending
		if r.Retry.IsZero() || next.Sub(fromMS(created)) > cfg.GiveUp() {
			state = probes.DeliveryFailed
		}
		_, err = t.ExecContext(ctx, `UPDATE notifications SET state = $2, attempts = $3, answer = $4, next_at = $5, holder = '' WHERE id = $1`,
			id, state, attempts, answer, ms(next))
		return err
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// RecordTest keeps a "send test" in the delivery history with its answer.
func (s *Store) RecordTest(ctx context.Context, channel int64, msg probes.Notification, r probes.DeliveryResult) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	state := probes.DeliverySent
	if !r.OK {
		state = probes.DeliveryFailed
	}
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		var sent any
		if r.OK {
			sent = ms(t.now)
		}
		_, err := t.ExecContext(ctx, `INSERT INTO notifications (event_id, notifier_id, event, server, severity, rule, title, body, state, attempts, next_at, answer, created_at, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $10, $12)`,
			msg.ID, channel, msg.Event, msg.Server, msg.Severity, msg.Rule, msg.Title, string(body), state, ms(t.now), truncate(r.Answer, maxAnswer), sent)
		return err
	})
}

// Deliveries lists delivery history, newest first.
func (s *Store) Deliveries(ctx context.Context, q probes.DeliveryQuery) ([]probes.Delivery, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	where, args := []string{"1 = 1"}, []any{}
	if q.State != "" {
		args = append(args, q.State)
		where = append(where, fmt.Sprintf("n.state = $%d", len(args)))
	}
	if q.Before > 0 {
		args = append(args, q.Before)
		where = append(where, fmt.Sprintf("n.id < $%d", len(args)))
	}
	args = append(args, q.Limit)
	rows, err := s.db.QueryContext(ctx, `SELECT n.id, n.event_id, n.event, n.notifier_id, COALESCE(c.name, ''), COALESCE(c.kind, ''), n.server, n.severity,
		n.rule, n.title, n.body, n.state, n.attempts, n.answer, n.created_at, n.next_at, n.sent_at
		FROM notifications n LEFT JOIN notifiers c ON c.id = n.notifier_id WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY n.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	defer rows.Close()
	out := []probes.Delivery{}
	for rows.Next() {
		var d probes.Delivery
		var body string
		var created, next int64
		var sent sql.NullInt64
		if err := rows.Scan(&d.ID, &d.EventID, &d.Event, &d.Notifier, &d.Channel, &d.Kind, &d.Server, &d.Severity, &d.Rule, &d.Title, &body,
			&d.State, &d.Attempts, &d.Answer, &created, &next, &sent); err != nil {
			return nil, err
		}
		var msg probes.Notification
		if json.Unmarshal([]byte(body), &msg) == nil {
			d.Reminder, d.Test = msg.Reminder, msg.Test
		}
		d.CreatedAt, d.SentAt = fromMS(created), fromNullMS(sent)
		if d.State == probes.DeliveryPending || d.State == probes.DeliverySending {
			t := fromMS(next)
			d.NextAttempt = &t
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// PruneAlerts deletes resolved alerts and finished deliveries older than before.
func (s *Store) PruneAlerts(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE created_at < $1 AND state IN ('sent', 'failed') LIMIT 5000)`,
		`DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE resolved_at < $1 LIMIT 5000)`,
	} {
		err := s.write(ctx, func(ctx context.Context, t *wtx) error {
			res, err := t.ExecContext(ctx, q, ms(before))
			if err != nil {
				return fmt.Errorf("prune alerts: %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
