//go:build libpcap

package sniff

import (
	"fmt"
	"net"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
)

// pcapSource captures through libpcap (go build -tags libpcap; it needs
// cgo and libpcap's headers, libpcap-dev on Debian). It serves systems
// other than Linux (macOS, the BSDs), and compiles filters in process, so
// no tcpdump is needed. libpcap itself drops lo's outgoing copies, puts
// VLAN tags back, attaches the filter and drains what came before it.
type pcapSource struct {
	h    *pcap.Handle
	name string
	lt   layers.LinkType
}

func (s *pcapSource) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	data, ci, err := s.h.ZeroCopyReadPacketData()
	if err != nil {
		if err == pcap.NextErrorTimeoutExpired {
			return nil, ci, 0, errQuiet
		}
		return nil, ci, 0, fmt.Errorf("capture on %s: %v", s.name, err)
	}
	return data, ci, s.lt, nil
}

func (s *pcapSource) kernelDrops() (uint64, bool) {
	st, err := s.h.Stats()
	if err != nil {
		return 0, false
	}
	return uint64(st.PacketsDropped), true
}

func (s *pcapSource) close() { s.h.Close() }

// OpenLive opens a live capture through libpcap. The filter is compiled
// and attached here (a bad one gets libpcap's message), the interface put
// in promiscuous mode unless NoPromisc; no frame is read until Feed.
func OpenLive(opt LiveOptions) (*Live, error) {
	if opt.Snaplen <= 0 || opt.Snaplen > DefaultSnaplen {
		opt.Snaplen = DefaultSnaplen
	}
	name := opt.Interface
	if name == "" {
		name = "any"
	}
	if name != "any" {
		if _, err := liveInterface(name); err != nil {
			return nil, err
		}
	}
	l := newLive(opt, name)
	in, err := pcap.NewInactiveHandle(name)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %v", name, err)
	}
	defer in.CleanUp()
	in.SetSnapLen(l.snap)
	in.SetPromisc(!opt.NoPromisc && name != "any")
	in.SetTimeout(liveTick)
	in.SetBufferSize(32 << 20) // as the AF_PACKET ring
	h, err := in.Activate()
	if err != nil {
		switch err.Error() {
		case "Permission Denied":
			return nil, &PermissionError{Interface: name}
		case "No Such Device":
			return nil, fmt.Errorf("interface %q does not exist (pktop -D lists the interfaces)", name)
		case "Interface Not Up":
			return nil, fmt.Errorf("interface %s is down", name)
		}
		return nil, fmt.Errorf("capture on %s: %v", name, err)
	}
	if expr := strings.TrimSpace(opt.Filter); expr != "" {
		if err := h.SetBPFFilter(expr); err != nil {
			h.Close()
			msg := strings.TrimPrefix(err.Error(), "can't parse filter expression: ")
			return nil, fmt.Errorf("filter %q: %s", expr, msg)
		}
		l.inKernel = true
	}
	expr := strings.TrimSpace(opt.Filter)
	l.expr.Store(&expr)
	l.lt = h.LinkType()
	l.src = &pcapSource{h: h, name: name, lt: l.lt}
	return l, nil
}

// SetFilter replaces the capture filter for the frames that follow,
// compiled and attached by libpcap. Safe to call from any goroutine.
func (l *Live) SetFilter(expr string) error {
	expr = strings.TrimSpace(expr)
	l.mu.Lock()
	defer l.mu.Unlock()
	src, ok := l.src.(*pcapSource)
	if !ok || l.closed {
		return fmt.Errorf("capture on %s is closed", l.name)
	}
	if err := src.h.SetBPFFilter(expr); err != nil {
		msg := strings.TrimPrefix(err.Error(), "can't parse filter expression: ")
		return fmt.Errorf("filter %q: %s", expr, msg)
	}
	l.expr.Store(&expr)
	return nil
}

// Interfaces lists the interfaces libpcap can capture on, in its order.
func Interfaces() ([]Interface, error) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, err
	}
	var out []Interface
	for n, d := range devs {
		it := Interface{Index: n + 1, Name: d.Name, Link: d.Description,
			Up: d.Flags&pcapIfUp != 0, Running: d.Flags&pcapIfRunning != 0, Loopback: d.Flags&pcapIfLoopback != 0}
		for _, a := range d.Addresses {
			ones, _ := net.IPMask(a.Netmask).Size()
			it.Addrs = append(it.Addrs, fmt.Sprintf("%s/%d", a.IP, ones))
		}
		out = append(out, it)
	}
	return out, nil
}

// libpcap's interface flags.
const (
	pcapIfLoopback = 1
	pcapIfUp       = 2
	pcapIfRunning  = 4
)

// DefaultInterface returns the interface tcpdump would capture on: the
// first one libpcap lists that is up, not a loopback and has an address.
func DefaultInterface() (string, error) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return "", err
	}
	for _, d := range devs {
		if d.Name != "any" && d.Flags&pcapIfUp != 0 && d.Flags&pcapIfLoopback == 0 && len(d.Addresses) > 0 {
			return d.Name, nil
		}
	}
	return "", fmt.Errorf("no interface is up besides loopback: give -i with one that pktop -D lists, or --demo")
}
