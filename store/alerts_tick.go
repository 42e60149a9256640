package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// AlertTick does what time alone changes, in one transaction: a server
// nothing was heard from turns unknown (and back), fleet-wide gap
// thresholds are judged, a firing alert held back by a silence or window
// that has ended is notified, and reminders fall due. It returns how many
// deliveries it queued. The dispatcher of every instance calls it; alerts
// another instance is judging are skipped (locked rows), never doubled.
func (s *Store) AlertTick(ctx context.Context) (int, error) {
	if err := s.diagnosed(ctx); err != nil {
		return 0, err
	}
	var queued int
	err := s.write(ctx, func(ctx context.Context, t *wtx) error {
		j, err := s.newJudgement(ctx, t)
		if err != nil {
			return err
		}
		if err := j.unknownServers(); err != nil {
			return err
		}
		if err := j.fleetGapThresholds(); err != nil {
			return err
		}
		if err := j.heldBackAndReminders(); err != nil {
			return err
		}
		queued = j.queued
		return nil
	})
	return queued, err
}

// unknownServers opens an alert for every server silent longer than
// UnknownAfter (once heard from), and resolves it when it reports again.
// The silence already lasted several probe intervals, so it fires at once.
func (j *judgement) unknownServers() error {
	rows, err := j.t.QueryContext(j.ctx, `SELECT id, name, last_report_at FROM servers WHERE last_report_at IS NOT NULL`)
	if err != nil {
		return err
	}
	type srv struct {
		name string
		last int64
	}
	silent := map[int64]srv{}
	for rows.Next() {
		var id int64
		var x srv
		if err := rows.Scan(&id, &x.name, &x.last); err != nil {
			rows.Close()
			return err
		}
		if j.t.now.Sub(fromMS(x.last)) > j.s.opts.UnknownAfter {
			silent[id] = x
		}
	}
	rows.Close()
	open, err := j.openAlerts(`rule = $1`, true, probes.RuleServerUnknown)
	if err != nil {
		return err
	}
	for i := range open {
		a := &open[i]
		if _, still := silent[a.serverID.Int64]; still {
			delete(silent, a.serverID.Int64)
			continue
		}
		a.oks = j.cfg.SuccessThreshold // heard from again: that is proof enough
		if _, err := j.gone(a); err != nil {
			return err
		}
		if err := j.save(a); err != nil {
			return err
		}
	}
	ids := make([]int64, 0, len(silent))
	for id := range silent {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		x := silent[id]
		last := fromMS(x.last)
		f := probes.Finding{Rule: probes.RuleServerUnknown, Severity: probes.SeverityWarning,
			Title:    "Nothing heard from the server for " + probes.FormatAge(j.t.now.Sub(last).Truncate(time.Minute)),
			Summary:  "No report or probe result arrived: its collector stopped, or the dashboard cannot reach it. Its findings are as old as its last report.",
			Evidence: []probes.Evidence{{Fact: "the last report or probe result was collected at " + last.Format("2006-01-02 15:04 UTC"), Source: "wsusfleet", At: last}},
			Remediation: []probes.Step{{Text: "Check the collector's scheduled task on the server (or that the dashboard can reach it), and run it once by hand",
				Command: `Get-ScheduledTask -TaskName *WsusFleet* | Get-ScheduledTaskInfo | Format-List TaskName, LastRunTime, LastTaskResult`}}}
		a := &alertRow{key: alertKey(id, probes.RuleServerUnknown, ""), serverID: sql.NullInt64{Int64: id, Valid: true}, rule: f.Rule,
			severity: f.Severity, msg: probes.NewNotification(x.name, f)}
		ok, err := j.open(a)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		a.fails = j.cfg.FailureThreshold - 1
		if err := j.seen(a); err != nil {
			return err
		}
		if err := j.save(a); err != nil {
			return err
		}
	}
	return nil
}

// fleetGapThresholds judges the fleet-wide gap thresholds against the kept
// counts. Clients of a server whose cause explains them are left out:
// they ride in that cause's message.
func (j *judgement) fleetGapThresholds() error {
	var ths []probes.GapThreshold
	for _, g := range j.cfg.GapThresholds {
		if g.Scope == "fleet" {
			ths = append(ths, g)
		}
	}
	counts := map[string]int64{}
	var total int64
	if len(ths) > 0 {
		rows, err := j.t.QueryContext(j.ctx, `SELECT g.category, g.count, COALESCE(s.gap_cause, '') FROM gap_counts g LEFT JOIN servers s ON s.id = g.server_key WHERE g.count <> 0`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var cat, cause string
			var n int64
			if err := rows.Scan(&cat, &n, &cause); err != nil {
				rows.Close()
				return err
			}
			if cause != "" && slices.Contains([]string{probes.GapStaleReport, probes.GapNeverReported, probes.GapScanOKReportStale}, cat) {
				continue
			}
			counts[cat] += n
		}
		rows.Close()
		if err := j.t.QueryRowContext(j.ctx, `SELECT COALESCE(SUM(clients_total), 0) FROM servers`).Scan(&total); err != nil {
			return err
		}
	}
	cands := map[string]*alertRow{}
	for _, g := range ths {
		n := counts[g.Category]
		if !g.Crossed(n, total) {
			continue
		}
		k := fleetAlertKey(g.Category)
		f := probes.Finding{Rule: g.Category, Severity: g.Severity,
			Title: fmt.Sprintf("%s clients across the fleet are in %s", probes.FormatCount(n), g.Category),
			Evidence: []probes.Evidence{{Fact: fmt.Sprintf("%s of %s clients (threshold: %s)", probes.FormatCount(n), probes.FormatCount(total), describeThreshold(g)),
				Source: "gap counts", At: j.t.now}},
			Remediation: []probes.Step{{Text: "Open the gap's page: its clients, their evidence and the fix for each"}}}
		cands[k] = &alertRow{key: k, rule: g.Category, severity: g.Severity, msg: probes.NewNotification("", f)}
	}
	open, err := j.openAlerts(`server_id IS NULL`, true)
	if err != nil {
		return err
	}
	return j.advance(open, cands)
}

func describeThreshold(g probes.GapThreshold) string {
	switch {
	case g.MinCount > 0 && g.MinShare > 0:
		return fmt.Sprintf("at least %s and %g%%", probes.FormatCount(g.MinCount), g.MinShare)
	case g.MinShare > 0:
		return fmt.Sprintf("at least %g%%", g.MinShare)
	}
	return "at least " + probes.FormatCount(g.MinCount)
}

// heldBackAndReminders notifies firing alerts a silence or window held back
// once it has ended, and reminds of firing ones nobody acknowledged.
func (j *judgement) heldBackAndReminders() error {
	open, err := j.openAlerts(`state = 'firing' AND (notified_at IS NULL OR (acked_at IS NULL AND remind_at <= $1))`, true, ms(j.t.now))
	if err != nil {
		return err
	}
	for i := range open {
		a := &open[i]
		why, err := j.muted(a)
		if err != nil {
			return err
		}
		if why != "" {
			continue
		}
		if !a.notifiedAt.Valid {
			if err := j.fire(a); err != nil {
				return err
			}
		} else {
			a.remindAt = j.nextReminder()
			if err := j.queue(a, probes.EventFiring, true); err != nil {
				return err
			}
		}
		if _, err := j.t.ExecContext(j.ctx, `UPDATE alerts SET notified_at = $2, notified_severity = $3, remind_at = $4 WHERE id = $1`,
			a.id, a.notifiedAt, a.notifiedSeverity, a.remindAt); err != nil {
			return err
		}
	}
	return nil
}
