package probes

// Normalize puts a validated report into its stored form: names are
// lower-cased identities, and every vDir check is judged against DESIGN §7.1
// as of the time it was collected, whatever the collector said. Idempotent.
func (r *Report) Normalize() {
	r.Server.Name = NormalizeName(r.Server.Name)
	JudgeChecks(r.VDirChecks, r.CollectedAt.Time)
	if r.Sync != nil && r.Sync.Upstream != nil {
		r.Sync.Upstream.Host = NormalizeName(r.Sync.Upstream.Host)
	}
	if r.Clients != nil && !r.Clients.Streamed() { // a streamed list's names are normalized as they arrive
		for i := range r.Clients.Items {
			r.Clients.Items[i].Name = NormalizeName(r.Clients.Items[i].Name)
		}
	}
}

// HasFacts reports whether the server info says more than which server it is
// (name and URL), i.e. whether it came from someone who looked at the server.
func (s ServerInfo) HasFacts() bool {
	return s.Version != "" || s.HTTPPort != 0 || s.HTTPSPort != 0 || s.SSL || s.ContentDir != "" ||
		s.Database != "" || s.NotDeclinedUpdates != nil || s.Targeting != "" || len(s.Aliases) > 0 || len(s.Addresses) > 0
}

// CollectorRun says whether a report tells of its collector's run on the
// server: the server collector's (it reports the server's facts) or any
// that could not collect (collector.error). Evidence uploads and probes
// from elsewhere say nothing of it and leave the last run as it was.
func (r *Report) CollectorRun() bool {
	return r.Collector.Error != "" || (r.Collector.Vantage == VantageServer && r.Server.HasFacts())
}

// Normalize puts a validated client report into its stored form: the name
// lower-cased, its vDir checks judged.
func (r *ClientReport) Normalize() {
	r.Client.Name = NormalizeName(r.Client.Name)
	JudgeChecks(r.VDirChecks, r.CollectedAt.Time)
}
