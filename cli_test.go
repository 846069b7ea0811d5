package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs pktop with args and returns its exit status, standard
// output and standard error.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestCommandLine: the command line reads as tcpdump's: options after
// the filter words, -h on standard output, one line for a bad option.
func TestCommandLine(t *testing.T) {
	dns := "testdata/captures/pcpp_DnsPackets.pcap"
	code, out, errs := runCLI("-r", dns, "udp", "port", "53", "--report", "text", "--top", "1")
	if code != 0 || !strings.Contains(out, "filter      udp port 53\n") || !strings.Contains(out, "filtered out 36") {
		t.Errorf("options after the filter words: exit %d\n%s%s", code, out, errs)
	}
	if c, o, e := runCLI("-r", dns, "--report", "text", "--", "udp", "port", "53"); c != 0 || !strings.Contains(o, "filter      udp port 53\n") {
		t.Errorf("words after -- are the filter: exit %d\n%s%s", c, o, e)
	}
	code, out, errs = runCLI("-h")
	if code != 0 || !strings.HasPrefix(out, "pktop: top for packets.") || !strings.Contains(out, "-report") || errs != "" {
		t.Errorf("-h: exit %d, stdout %d bytes, stderr %q", code, len(out), errs)
	}
	code, out, errs = runCLI("--help")
	if code != 0 || !strings.HasPrefix(out, "pktop: top for packets.") {
		t.Errorf("--help: exit %d", code)
	}
	code, out, errs = runCLI("--no-such-option", "-r", dns)
	if code != 2 || out != "" || errs != "pktop: flag provided but not defined: -no-such-option (pktop -h lists the options)\n" {
		t.Errorf("a bad option: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCLI("-r", dns, "--report", "text", "--top", "0")
	if code != 0 || !strings.Contains(out, "\n10.0.0.1 <=> 224.0.0.251 ") {
		t.Errorf("--top 0 should list every conversation, the sixth too: exit %d\n%s%s", code, out, errs)
	}
	if strings.Count(out, "\nudp/") < 2 {
		t.Errorf("--top 0 should list every port:\n%s", out)
	}
}

// TestAverageNeedsASecond: a report of a capture shorter than a second
// gives no average rate (two packets a microsecond apart are not a
// million packets a second).
func TestAverageNeedsASecond(t *testing.T) {
	code, out, errs := runCLI("-r", "testdata/captures/tcpdump_tcp-handshake-nano.pcap", "--report", "text")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "average     (none: the capture lasts less than a second)") {
		t.Errorf("average:\n%s", out)
	}
}
