package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// BenchmarkSaveSmallReports measures the store alone: 64 goroutines saving
// small reports (no HTTP).
func BenchmarkSaveSmallReports(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, store.Options{})
			now := time.Now().UTC()
			reps := make([]*probes.Report, b.N)
			for i := range reps {
				reps[i] = storetest.Report(fmt.Sprintf("b-%d", i), fmt.Sprintf("wsus%03d", i%500), now)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						if _, _, err := st.SaveReport(b.Context(), reps[i], ""); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reports/s")
		})
	}
}

// BenchmarkSnapshot100k: a server report with a complete snapshot of 100,000
// clients, as acknowledged (merge and counts): for a new server (first-s);
// the list sent again an hour later with 5% of the clients having reported
// since (again-s, what every collector run does); and again with every
// client's facts changed (all-s, the worst case). Against a bare prepared
// insert loop (SQLite) or CopyFrom (PostgreSQL) of the same rows into an
// empty table of the same shape, in the same run (bare-s). Then the gap
// classification that follows the first list (gaps-s) and the second (regaps-s).
// Reproduce: go test -run '^$' -bench Snapshot100k -benchtime 3x ./store/
func BenchmarkSnapshot100k(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, store.Options{})
			now := time.Now().UTC()
			var first, again, all, classify, reclassify, bare time.Duration
			save := func(id, server string, at time.Time, clients []probes.Client) time.Duration {
				r := storetest.Report(id, server, at)
				r.VDirChecks = nil
				r.Clients = &probes.ClientList{Complete: true, Items: clients}
				t0 := time.Now()
				// The HTTP handler passes the hash of the body it read.
				if _, _, err := st.SaveReport(b.Context(), r, "digest-"+id); err != nil {
					b.Fatal(err)
				}
				return time.Since(t0)
			}
			settle := func() time.Duration {
				t0 := time.Now()
				if n, _, err := st.Settle(b.Context()); err != nil || n != 1 {
					b.Fatalf("settle: %d servers, %v", n, err)
				}
				return time.Since(t0)
			}
			for i := range b.N {
				server := fmt.Sprintf("wsus-big-%d", i)
				// Each server lists its own machines, as WSUS servers do.
				clients := storetest.ClientRange(i*100000, 100000, now, func(j int) time.Duration {
					if j%50 == 0 {
						return -1
					}
					return time.Duration(j%(20*24)) * time.Hour
				})
				first += save(fmt.Sprintf("first-%d-%d", now.UnixNano(), i), server, now, clients)
				classify += settle()
				for j := 0; j < len(clients); j += 20 {
					clients[j].LastReport = probes.TimeOf(now.Add(30 * time.Minute))
				}
				again += save(fmt.Sprintf("again-%d-%d", now.UnixNano(), i), server, now.Add(time.Hour), clients)
				reclassify += settle()
				for j := range clients {
					clients[j].LastSync = probes.TimeOf(now.Add(90 * time.Minute))
				}
				all += save(fmt.Sprintf("all-%d-%d", now.UnixNano(), i), server, now.Add(2*time.Hour), clients)
				settle()
				d, err := store.BareClientInsert(b.Context(), st, server, clients)
				if err != nil {
					b.Fatal(err)
				}
				bare += d
			}
			n := float64(b.N)
			b.ReportMetric(first.Seconds()/n, "first-s")
			b.ReportMetric(again.Seconds()/n, "again-s")
			b.ReportMetric(all.Seconds()/n, "all-s")
			b.ReportMetric(bare.Seconds()/n, "bare-s")
			b.ReportMetric(float64(first)/float64(bare), "first/bare")
			b.ReportMetric(float64(all)/float64(bare), "all/bare")
			b.ReportMetric(classify.Seconds()/n, "gaps-s")
			b.ReportMetric(reclassify.Seconds()/n, "regaps-s")
		})
	}
}

// BenchmarkClassify100k: the gap categories of a server's 100,000 clients
// right after its first list, for a healthy server (about 10% of clients
// stale or never reported) and a sick one (about 65%, report ages spread
// evenly over 20 days): every client in a category gets it written.
// Reproduce: go test -run '^$' -bench Classify100k -benchtime 3x ./store/
func BenchmarkClassify100k(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		for _, c := range []struct {
			label string
			age   func(j int) time.Duration
		}{
			{"healthy", func(j int) time.Duration {
				switch {
				case j%50 == 0:
					return -1
				case j%12 == 0:
					return time.Duration(8+j%30) * 24 * time.Hour
				}
				return time.Duration(j%(6*24)) * time.Hour
			}},
			{"sick", func(j int) time.Duration {
				if j%50 == 0 {
					return -1
				}
				return time.Duration(j%(20*24)) * time.Hour
			}},
		} {
			b.Run(name+"/"+c.label, func(b *testing.B) {
				st := open(b, store.Options{})
				now := time.Now().UTC()
				var took time.Duration
				var inGaps int64
				for i := range b.N {
					server := fmt.Sprintf("wsus-%s-%d", c.label, i)
					r := storetest.Report(fmt.Sprintf("cl-%d-%d", now.UnixNano(), i), server, now)
					r.VDirChecks = nil
					r.Clients = &probes.ClientList{Complete: true, Items: storetest.ClientRange(i*100000, 100000, now, c.age)}
					if _, _, err := st.SaveReport(b.Context(), r, ""); err != nil {
						b.Fatal(err)
					}
					t0 := time.Now()
					if n, _, err := st.Settle(b.Context()); err != nil || n != 1 {
						b.Fatalf("settle: %d servers, %v", n, err)
					}
					took += time.Since(t0)
					st, err := st.ServerState(b.Context(), server)
					if err != nil {
						b.Fatal(err)
					}
					inGaps = 0
					for _, n := range st.Gaps {
						inGaps += n
					}
				}
				b.ReportMetric(took.Seconds()/float64(b.N), "gaps-s")
				b.ReportMetric(float64(inGaps)/1000, "k-in-gaps")
			})
		}
	}
}

// BenchmarkClassifyAmongReports: a server of 40 clients is classified again
// (its list changed) in a fleet whose clients have sent 20,000 reports of
// their own, as Settle does for each server whose list or clock moved. The
// SusClientIds it needs are its own clients': a read of every client's
// report for each server classified grew with the fleet.
// Reproduce: go test -run '^$' -bench ClassifyAmongReports -benchtime 50x ./store/
func BenchmarkClassifyAmongReports(b *testing.B) {
	const reports = 20000
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, store.Options{})
			now := time.Now().UTC()
			url := "http://wsus01.corp.example:8530"
			list := func(id string, at time.Time) {
				r := storetest.Report(id, "wsus01.corp.example", at)
				r.Server.URL, r.VDirChecks = url, nil
				r.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(40, at, func(int) time.Duration { return time.Hour })}
				if _, _, err := st.SaveReport(b.Context(), r, ""); err != nil {
					b.Fatal(err)
				}
			}
			list("ca-seed", now)
			var wg sync.WaitGroup
			for w := range 32 {
				wg.Go(func() {
					for i := w; i < reports; i += 32 {
						cr := storetest.ClientReport(fmt.Sprintf("m%05d.corp.example", i), url, url, fmt.Sprintf("SUS-%05d", i), now)
						if _, _, err := st.SaveClientReport(b.Context(), cr, ""); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if b.Failed() {
				b.FailNow()
			}
			if _, _, err := st.Settle(b.Context()); err != nil {
				b.Fatal(err)
			}
			var took time.Duration
			b.ResetTimer()
			for i := range b.N {
				at := now.Add(time.Duration(i+1) * time.Second)
				list(fmt.Sprintf("ca-%d", i), at)
				t0 := time.Now()
				if n, _, err := st.Settle(b.Context()); err != nil || n != 1 {
					b.Fatalf("settle: %d servers, %v", n, err)
				}
				took += time.Since(t0)
			}
			b.ReportMetric(float64(took.Microseconds())/1000/float64(b.N), "settle-ms")
		})
	}
}

// BenchmarkFirstDiagnosis: a fleet of 500 servers has reported once each,
// half of them with two vDirs answering 503, and RediagnoseDue runs every
// server's first diagnosis (the rules, their findings, severities and alerts), what the maintenance loop does after a
// dashboard starts on a new database or a fleet is added.
// Reproduce: go test -run '^$' -bench FirstDiagnosis -benchtime 5x ./store/
func BenchmarkFirstDiagnosis(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, store.Options{Diagnose: rules.Diagnose})
			const servers = 500
			var took time.Duration
			for n := range b.N {
				b.StopTimer()
				at := storetest.T0.Add(time.Duration(n) * time.Hour)
				for i := range servers {
					r := storetest.Report(fmt.Sprintf("d%d-%d", n, i), fmt.Sprintf("wsus%03d-%d", i, n), at)
					if i%2 == 0 { // half the fleet has findings to open
						r.VDirChecks[0].Status, r.VDirChecks[1].Status = 503, 503
					}
					if _, _, err := st.SaveReport(b.Context(), r, ""); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				got, err := st.RediagnoseDue(b.Context())
				took += time.Since(start)
				if err != nil || got != servers {
					b.Fatalf("RediagnoseDue: %d servers (%v), want %d", got, err, servers)
				}
				if st, err := st.ServerState(b.Context(), fmt.Sprintf("wsus000-%d", n)); err != nil || len(st.Findings) == 0 {
					b.Fatalf("wsus000-%d: %d findings (%v), want some", n, len(st.Findings), err)
				}
			}
			b.ReportMetric(float64(b.N*servers)/took.Seconds(), "servers/s")
		})
	}
}
