package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries enforces who imports whom (see each package's
// doc.go): sniff alone imports gopacket; model imports neither gopacket
// nor the screen libraries; ui never imports sniff nor gopacket; sniff
// never imports the screen libraries; export imports neither sniff nor
// ui (nor gopacket or the screen libraries); filter imports nothing but
// the standard library and x/net/bpf; procs imports no package of pktop.
func TestImportBoundaries(t *testing.T) {
	forbidden := map[string][]string{
		"./model": {"github.com/gopacket/", "github.com/rivo/tview", "github.com/gdamore/tcell", "github.com/guptarohit/asciigraph", "github.com/pktop/pktop/sniff", "github.com/pktop/pktop/ui"},
		"./ui":    {"github.com/gopacket/", "github.com/pktop/pktop/sniff"},
		"./sniff": {"github.com/rivo/tview", "github.com/gdamore/tcell", "github.com/guptarohit/asciigraph", "github.com/pktop/pktop/ui"},
		// export reads the model's deltas: never the sniffer, never the screen.
		"./export": {"github.com/gopacket/", "github.com/rivo/tview", "github.com/gdamore/tcell", "github.com/guptarohit/asciigraph", "github.com/pktop/pktop/sniff", "github.com/pktop/pktop/ui"},
		// procs imports nothing of pktop and no third-party module but x/sys.
		"./procs": {"github.com/pktop/", "github.com/gopacket/", "github.com/rivo/", "github.com/gdamore/", "github.com/guptarohit/"},
	}
	// filter (the pcap-filter compiler) imports nothing of pktop: the
	// standard library and golang.org/x/net/bpf only.
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./filter").Output()
	if err != nil {
		t.Fatalf("go list -deps ./filter: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/pktop/pktop/filter" && dep != "golang.org/x/net/bpf" {
			t.Errorf("./filter depends on %s", dep)
		}
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "matched no packages") || strings.Contains(string(out), "no Go files") {
				continue
			}
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if strings.HasPrefix(dep, b) && dep != "github.com/pktop/pktop"+pkg[1:] {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
	// main.go wires the packages but leaves gopacket to sniff.
	out, err = exec.Command("go", "list", "-f", "{{join .Imports \"\\n\"}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "github.com/gopacket/") {
		t.Errorf("package main imports gopacket directly:\n%s", out)
	}
}
