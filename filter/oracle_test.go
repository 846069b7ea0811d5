package filter

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/bpf"
)

// The oracle is libpcap, through tcpdump: "tcpdump -y DLT -ddd EXPR"
// compiles without privileges or an interface; "tcpdump -r FILE -ddd"
// compiles for a file (the byte order of a NULL header).

// dltNames are tcpdump's names (for -y) of the link types.
var dltNames = map[int]string{
	LinkNull: "NULL", LinkEthernet: "EN10MB", LinkPPP: "PPP", LinkRaw12: "RAW", LinkRaw14: "RAW", LinkRaw: "RAW",
	LinkPPPSerial: "PPP_SERIAL", LinkPPPEther: "PPP_ETHER", LinkCHDLC: "C_HDLC", Link80211: "IEEE802_11",
	LinkLoop: "LOOP", LinkSLL: "LINUX_SLL", LinkRadiotap: "IEEE802_11_RADIO", LinkPPI: "PPI", LinkIPv4: "IPV4",
	LinkIPv6: "IPV6", LinkNFLOG: "NFLOG", LinkSLL2: "LINUX_SLL2",
}

// oracleResult is what libpcap made of an expression: a program, or the
// error tcpdump printed.
type oracleResult struct {
	prog []bpf.RawInstruction
	err  string
}

var (
	oracleMu    sync.Mutex
	oracleCache = map[string]oracleResult{}
)

func needTcpdump(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed: the differential tests need libpcap's compiler")
	}
}

// libpcap compiles expr with tcpdump; how is "-y DLT", "-r FILE" or
// "-i IFACE".
func libpcap(expr string, how ...string) oracleResult {
	key := strings.Join(how, " ") + "\x00" + expr
	oracleMu.Lock()
	r, ok := oracleCache[key]
	oracleMu.Unlock()
	if ok {
		return r
	}
	args := append(append([]string{}, how...), "-ddd", "--", expr)
	cmd := exec.Command("tcpdump", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndex(msg, "tcpdump: "); i >= 0 {
			msg = msg[i+len("tcpdump: "):]
		}
		if strings.Contains(msg, "expression rejects all packets") {
			// libpcap's optimiser refuses a program that rejects
			// everything; it is a program all the same.
			r = oracleResult{prog: []bpf.RawInstruction{{Op: opRET, K: 0}}}
		} else {
			r = oracleResult{err: msg}
		}
	} else {
		p, err := parseDDD(out.String())
		if err != nil {
			r = oracleResult{err: err.Error()}
		} else {
			r = oracleResult{prog: p}
		}
	}
	oracleMu.Lock()
	oracleCache[key] = r
	oracleMu.Unlock()
	return r
}

// parseDDD parses tcpdump -ddd: a count, then "code jt jf k" lines.
func parseDDD(s string) ([]bpf.RawInstruction, error) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || n != len(lines)-1 {
		return nil, fmt.Errorf("unexpected tcpdump -ddd output: %q", lines[0])
	}
	out := make([]bpf.RawInstruction, 0, n)
	for _, l := range lines[1:] {
		var r bpf.RawInstruction
		if _, err := fmt.Sscan(l, &r.Op, &r.Jt, &r.Jf, &r.K); err != nil {
			return nil, fmt.Errorf("unexpected tcpdump -ddd line %q", l)
		}
		out = append(out, r)
	}
	return out, nil
}

// side is what a program running in the kernel sees besides the frame:
// the wire length, the VLAN tag the kernel took off, the packet type.
type side struct {
	wire    uint32
	vlanP   bool
	vlanTCI uint16
	pktType uint16
	ifIndex uint32
}

// sideLen is the size of the header runnable() puts before the frame.
const sideLen = 20

// runnable rewrites a program for the x/net/bpf VM, which knows neither
// the wire length (its "len" is the captured length) nor Linux's
// ancillary loads: they become loads from a 20-byte header put in front
// of the frame (wire length, VLAN-present, VLAN TCI, packet type,
// interface index), and
// every other packet load moves by 20.
func runnable(prog []bpf.RawInstruction) (*bpf.VM, error) {
	ins := make([]bpf.Instruction, len(prog))
	for i, r := range prog {
		cls := r.Op & 7
		mode := r.Op & 0xe0
		switch {
		case cls == opLD && mode == mLEN:
			r = bpf.RawInstruction{Op: opLD | mABS | szW, K: 0}
		case cls == opLD && mode == mABS && r.K >= skfAdOff:
			switch r.K - skfAdOff {
			case skfAdVlanTagPre:
				r = bpf.RawInstruction{Op: opLD | mABS | szW, K: 4}
			case skfAdVlanTag:
				r = bpf.RawInstruction{Op: opLD | mABS | szW, K: 8}
			case skfAdPktType:
				r = bpf.RawInstruction{Op: opLD | mABS | szW, K: 12}
			case skfAdIfIndex:
				r = bpf.RawInstruction{Op: opLD | mABS | szW, K: 16}
			default:
				// Outside a socket a "negative" offset is
				// out of the packet.
				r = bpf.RawInstruction{Op: r.Op, K: 0x7fffffff}
			}
		case cls == opLD && (mode == mABS || mode == mIND), cls == opLDX && mode == mMSH:
			r.K += sideLen
		}
		ins[i] = r.Disassemble()
	}
	return bpf.NewVM(ins)
}

// frameWithSide builds the VM's input for a frame.
func frameWithSide(buf []byte, data []byte, s side) []byte {
	buf = buf[:0]
	var h [sideLen]byte
	binary.BigEndian.PutUint32(h[0:], s.wire)
	if s.vlanP {
		binary.BigEndian.PutUint32(h[4:], 1)
	}
	binary.BigEndian.PutUint32(h[8:], uint32(s.vlanTCI))
	binary.BigEndian.PutUint32(h[12:], uint32(s.pktType))
	binary.BigEndian.PutUint32(h[16:], s.ifIndex)
	buf = append(buf, h[:]...)
	return append(buf, data...)
}

func accepts(vm *bpf.VM, in []byte) bool {
	n, err := vm.Run(in)
	return err == nil && n > 0
}

// testdataDirs are where captures are: the repository's, and the shared
// corpus when present (in CI, ../shared/pcaps beside the repository).
func testdataDirs() []string {
	dirs := []string{"../testdata/captures"}
	for _, d := range []string{"../../shared/pcaps", "/work/shared/pcaps"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			dirs = append(dirs, d)
			break
		}
	}
	return dirs
}

func captureFiles() []string {
	var out []string
	for _, d := range testdataDirs() {
		for _, pat := range []string{"*.pcap", "*.pcapng", "*.cap"} {
			m, _ := filepath.Glob(filepath.Join(d, pat))
			out = append(out, m...)
		}
	}
	return out
}
