package ui

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/pktop/pktop/model"
)

// asker is an Attribution for the tests: it records the flows asked
// about; the test answers them with Aggregator.Attribute.
type asker struct{ asked []model.ProcAnswer }

func (a *asker) Ask(l4 uint8, src, dst netip.AddrPort) bool {
	a.asked = append(a.asked, model.ProcAnswer{L4: l4, Src: src, Dst: dst})
	return true
}

func (a *asker) Answers() <-chan []model.ProcAnswer { return nil }

// procsAgg counts the synthetic traffic as a live capture with
// attribution would: each client's flows go to one of a few processes
// (one in a container, one with a hostile name), the DNS server's are
// the kernel's (as if ICMP), one host's are forwarded.
func procsAgg(hosts, secs int, evil string) *model.Aggregator {
	fa := &asker{}
	cfg := testConfig(hosts)
	cfg.Procs = fa
	agg := model.NewAggregator(cfg)
	for _, b := range synthBatches(hosts, secs) {
		agg.AddBatch(b)
	}
	owners := []model.Owner{
		{PID: 4242, Start: 10, Command: "firefox", Cmdline: "/usr/lib/firefox/firefox", UID: 1000, HasUID: true, User: "alice", Via: "socket"},
		{PID: 5151, Start: 20, Command: "curl", UID: 1000, HasUID: true, User: "alice", Via: "creator"},
		{PID: 777, Start: 30, Command: "nginx", UID: 33, HasUID: true, User: "www-data", Container: "docker:4f2a9c1b7e30", Via: "socket"},
		{PID: 6666, Start: 40, Command: evil, Cmdline: evil, UID: 1001, HasUID: true, User: evil, Container: evil},
	}
	var as []model.ProcAnswer
	for i, q := range fa.asked {
		x := q
		local := model.Owner{Reason: model.ReasonRemote}
		switch {
		case q.Dst.Port() == 53 || q.Src.Port() == 53:
			local = model.Owner{Reason: model.ReasonKernel}
		case i%7 == 6:
			x.SrcOwner, x.DstOwner = model.Owner{Reason: model.ReasonNotLocal}, model.Owner{Reason: model.ReasonNotLocal}
			as = append(as, x)
			continue
		default:
			local = owners[i%len(owners)]
		}
		// The client (the high port) is the local end.
		if q.Src.Port() > q.Dst.Port() {
			x.SrcOwner, x.DstOwner = local, model.Owner{Reason: model.ReasonRemote}
		} else {
			x.SrcOwner, x.DstOwner = model.Owner{Reason: model.ReasonRemote}, local
		}
		as = append(as, x)
	}
	agg.Attribute(as)
	return agg
}

// TestProcessScreens: the Processes tab of a live capture, focused on a
// process, and of a replay.
func TestProcessScreens(t *testing.T) {
	live := Source{Title: "eth0", Live: true}
	cases := []struct {
		name string
		agg  func() *model.Aggregator
		src  Source
		w, h int
		keys string
	}{
		{"procs-120x40", func() *model.Aggregator { return procsAgg(30, 50, "mal\x1b[31mware") }, live, 120, 40, "\t\t\t\t"},
		{"procs-80x24", func() *model.Aggregator { return procsAgg(30, 50, "mal\x1b[31mware") }, live, 80, 24, "\t\t\t\t"},
		{"procs-focus-120x40", func() *model.Aggregator { return procsAgg(30, 50, "x") }, live, 120, 40, "\t\t\t\t\n"},
		{"procs-replay-80x24", func() *model.Aggregator { return synthAgg(30, 50) },
			Source{Title: "synthetic.pcap", NoProcs: "no processes in a replay of a file"}, 80, 24, "\t\t\t\t"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Render(NewStatic(c.agg(), false), c.src, false, c.w, c.h, Keys(c.keys)...)
			golden(t, c.name, got)
		})
	}
}

// TestProcessNamesInert: a process names itself: its command, arguments
// and user are drawn as inert text in the Processes table and in the
// focus's header, with the pid after them, so that no name can pass for
// another row.
func TestProcessNamesInert(t *testing.T) {
	evil := "sshd\x1b]0;pwned\a[red]10.0.0.1 <=> 10.0.0.2\u202e"
	sim := simScreen(t, 140, 40)
	u := New(Config{Model: NewStatic(procsAgg(8, 5, evil), true), Source: Source{Title: "eth0", Live: true}})
	u.st.w, u.st.h = 140, 40
	u.st.kind = model.KindProc
	u.renderOnce(sim)
	screen := ScreenText(sim)
	if !strings.Contains(screen, model.Sanitize(evil, 0)+" 6666") {
		t.Errorf("the hostile command should show escaped, its pid after it; screen:\n%s", screen)
	}
	checkInert(t, sim)
}
