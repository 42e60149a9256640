package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/prober"
)

// exitFaulty is probe's exit code when a vDir is faulty (1 is for errors).
const exitFaulty = 3

func cmdProbe(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("probe", "Check every WSUS vDir of a server from here, print the results, optionally send them to a dashboard.\n"+
		"Exit status: 0 all healthy, 3 a vDir is faulty, 1 an error, 2 a usage error.", stderr)
	server := fs.String("server", "", "the WSUS server's URL, e.g. http://wsus01:8530 or https://wsus01:8531 (required)")
	name := fs.String("name", "", "the server's name as the dashboard knows it (default with --post: the server the dashboard knows at this URL; without: the URL's host)")
	asJSON := fs.Bool("json", false, "print the report as JSON instead of a table")
	post := fs.String("post", "", "send the report to this dashboard, e.g. http://dashboard:8080")
	token := fs.String("token", "", "an ingest token for --post")
	vantage := fs.String("vantage", probes.VantageRemote, "where this runs: remote (anywhere but the server) or server (on the WSUS server)")
	timeout := fs.Duration("timeout", prober.DefaultRequestTimeout, "time limit per request")
	caFile := fs.String("ca-file", "", "PEM file of extra CA certificates to trust (an internal CA)")
	suPort := fs.Int("selfupdate-port", 80, "where SelfUpdate must also answer when the WSUS port is not 80 (-1: skip)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if *server == "" {
		return usageError("--server is required, e.g. --server http://wsus01:8530")
	}
	if err := probes.CheckServerURL(*server); err != nil {
		return usageError("--server: " + err.Error())
	}
	if *vantage != probes.VantageRemote && *vantage != probes.VantageServer {
		return usageError(fmt.Sprintf("--vantage: %q is not remote or server", *vantage))
	}
	if *post != "" && *token == "" {
		return usageError("--post needs --token (or WSUSFLEET_TOKEN): an ingest token from wsusfleet token create")
	}
	opts := prober.Options{RequestTimeout: *timeout, SelfUpdatePort: *suPort}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return usageError("--ca-file: " + err.Error())
		}
		opts.RootCAs, _ = x509.SystemCertPool()
		if opts.RootCAs == nil {
			opts.RootCAs = x509.NewCertPool()
		}
		if !opts.RootCAs.AppendCertsFromPEM(pem) {
			return usageError("--ca-file: no PEM certificates in " + *caFile)
		}
	}
	if *post != "" && *name == "" {
		// Never file a report under a name the dashboard does not know (a
		// phantom server named after the URL's address): ask which it is.
		known, err := resolveName(ctx, *post, *token, *server)
		if err != nil {
			return err
		}
		*name = known
	}
	reg := probes.Registration{Name: *name, URL: *server}
	host, _ := os.Hostname()
	started := time.Now()
	checks, err := prober.New(opts).Probe(ctx, *server)
	if err != nil {
		return err
	}
	r := probeReport(reg.ServerName(), strings.TrimSuffix(*server, "/"), *vantage, host, started, checks)
	r.Normalize()
	if *asJSON {
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		printChecks(stdout, r)
	}
	if *post != "" {
		receipt, err := postReport(ctx, *post, *token, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "sent to %s as report %s\n", *post, receipt.ID)
	}
	for _, c := range r.VDirChecks {
		if c.Verdict == probes.VerdictFault {
			return &exitError{code: exitFaulty}
		}
	}
	return nil
}

func printChecks(w io.Writer, r *probes.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "VDIR\tURL\tRESULT\tSTATUS\tLATENCY\tWHY\n")
	for _, c := range r.VDirChecks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f ms\t%s\n", c.VDir, c.URL, strings.ToUpper(c.Verdict), c.StatusText(), c.LatencyMS, c.Reason)
	}
	tw.Flush()
}

// postReport sends a report to a dashboard, retrying transient failures.
func postReport(ctx context.Context, dashboard, token string, r *probes.Report) (probes.Receipt, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return probes.Receipt{}, err
	}
	endpoint, err := url.JoinPath(dashboard, "/api/v1/reports")
	if err != nil {
		return probes.Receipt{}, usageError("--post: " + err.Error())
	}
	var receipt probes.Receipt
	err = sendWithRetry(ctx, "POST", endpoint, token, "application/json", func() (io.Reader, int64) {
		return strings.NewReader(string(body)), int64(len(body))
	}, "", &receipt)
	return receipt, err
}

// resolveName asks the dashboard which known server the URL (host and port)
// names; when none (or several) does, the answer is a usage error asking
// for --name.
func resolveName(ctx context.Context, dashboard, token, server string) (string, error) {
	endpoint, err := url.JoinPath(dashboard, "/api/v1/resolve")
	if err != nil {
		return "", usageError("--post: " + err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+url.Values{"url": {server}}.Encode(), nil)
	if err != nil {
		return "", usageError("--post: " + err.Error())
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("ask %s which server %s is: %w", dashboard, server, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode == http.StatusOK {
		var answer struct {
			Server string `json:"server"`
		}
		if err := json.Unmarshal(data, &answer); err != nil || answer.Server == "" {
			return "", fmt.Errorf("%s answered %q for %s", endpoint, data, server)
		}
		return answer.Server, nil
	}
	var p problem
	if json.Unmarshal(data, &p) != nil || p.Title == "" {
		p.Title, p.Detail = res.Status, strings.TrimSpace(string(data))
	}
	if res.StatusCode == http.StatusNotFound {
		return "", usageError(fmt.Sprintf("--name is required: the dashboard knows no server at %s (%s); give the server's name as the dashboard knows it, e.g. --name wsus01.corp.example", server, p.Detail))
	}
	return "", fmt.Errorf("ask %s which server %s is: %s", dashboard, server, p)
}
