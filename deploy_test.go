package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pktop/pktop/internal/collect"
)

// TestDeployRules checks the shipped Prometheus files with promtool: the
// rules parse (check rules), the alerts fire as their unit tests say
// (test rules), and the fleet configuration is valid (check config).
func TestDeployRules(t *testing.T) {
	collect.Need(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", "pktop-rules.yml"},
		{"test", "rules", "pktop-rules.test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		c := exec.Command("promtool", args...)
		c.Dir = "deploy"
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDeployDashboard checks the Grafana dashboard: valid JSON, every
// query valid PromQL (promtool parses them as recording rules, Grafana's
// variables filled in), and every metric it names one pktop exports.
func TestDeployDashboard(t *testing.T) {
	collect.Need(t, "promtool")
	raw, err := os.ReadFile("deploy/grafana-pktop.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	golden, err := os.ReadFile("export/testdata/metrics.prom")
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("$__rate_interval", "1m", "$instance", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			n++
			e := fill.Replace(tg.Expr)
			fmt.Fprintf(&rules, "      - record: dashboard:query:%d\n        expr: %q\n", n, e)
			for _, m := range regexp.MustCompile(`\b(pktop_[a-z_]+|process_[a-z_]+)`).FindAllString(e, -1) {
				if !strings.HasPrefix(m, "process_") && !strings.Contains(string(golden), "\n"+m+"{") {
					t.Errorf("panel %q: pktop exports no %s", p.Title, m)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d queries in the dashboard", n)
	}
	f := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	os.WriteFile(f, []byte(rules.String()), 0o644)
	if out, err := exec.Command("promtool", "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("the dashboard's queries: %v\n%s", err, out)
	}
}

// TestDeployService: the systemd unit's command lines are flags pktop
// takes.
func TestDeployService(t *testing.T) {
	raw, err := os.ReadFile("deploy/pktop.service")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ln := range strings.Split(string(raw), "\n") {
		ln = strings.TrimPrefix(ln, "# ")
		if !strings.HasPrefix(ln, "ExecStart=") {
			continue
		}
		args := strings.Fields(strings.TrimPrefix(ln, "ExecStart="))[1:]
		if o, code := parseFlags(args, io.Discard, io.Discard); o == nil || code != -1 || !o.exp.headless {
			t.Errorf("%s: pktop would not run it headless (exit %d)", ln, code)
		}
		n++
	}
	if n == 0 {
		t.Error("no ExecStart in pktop.service")
	}
}
