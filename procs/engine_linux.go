package procs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Bounds on what the engine keeps, whatever the system holds.
const (
	maxSockets    = 1 << 18 // socket inode -> pid entries from one scan
	maxNamespaces = 1024
	maxProcCache  = 8192
	maxClosed     = 16384 // sockets remembered from close notices
	maxUsers      = 65536
	maxCgroups    = 65536
	maxPending    = 65536 // flows waiting for a /proc scan

	minScanGap = 20 * time.Millisecond
	// tickNs is a clock tick of /proc/PID/stat (USER_HZ is 100 on every
	// Linux architecture) in nanoseconds.
	tickNs     = 10_000_000
	addrMaxAge = time.Second
)

// New starts a Resolver for this host. It needs sock_diag (any Linux
// since 3.3); what it cannot have beyond that (the socket-creation hook,
// other network namespaces, other users' /proc/PID/fd) it does without,
// says through Config.Logf, and Status reports.
func New(cfg Config) (*Resolver, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	return newResolver(cfg, e), nil
}

type nsState struct {
	ino     uint64
	label   string    // "" for pktop's own namespace
	diag    *diagConn // nil when the namespace cannot be entered
	route   *diagConn // NETLINK_ROUTE, for its addresses
	destroy *diagConn // close notices, nil without CAP_NET_ADMIN
	local   map[netip.Addr]struct{}
	addrAt  time.Time
	seen    uint64 // scan generation that last saw a process in it
	named   bool   // has a name in /run/netns
	enterr  error
}

type procInfo struct {
	start                    uint64
	comm, cmdline, container string
	netns                    uint64
}

type closedKey struct {
	ns            uint64
	proto         uint8
	local, remote netip.AddrPort
}

// end is one end of a flow on its way to an Owner.
type end struct {
	o        Owner
	ns       *nsState
	sock     diagSock
	rec      hookRecord
	hasSock  bool
	hasRec   bool
	listener diagSock
	hasLst   bool
	closed   bool // the socket came from a close notice
	wait     bool // needs a /proc scan
	// missing: local, but no socket and no close notice yet. The kernel
	// sends close notices from a work queue, a little after the socket
	// left its tables: look again until closedWait has passed.
	missing bool
	proto   uint8
	local   netip.AddrPort
	remote  netip.AddrPort
}

type partial struct {
	key      FlowKey
	at       time.Time
	src, dst end
}

// closedWait is how long an end whose socket is gone waits for its close
// notice.
const closedWait = 30 * time.Millisecond

func (p *partial) needsScan() bool { return p.src.wait || p.dst.wait }
func (p *partial) missing() bool   { return p.src.missing || p.dst.missing }

type engine_ struct {
	cfg     Config
	proc    string
	selfIno uint64
	self    *nsState
	nss     map[uint64]*nsState
	hook    *hook

	socks    map[uint32]int32 // socket inode -> pid, from the last scan
	gen      uint64
	scanEnd  time.Time
	scanCost time.Duration

	procs   map[int32]procInfo
	users   map[uint32]string
	usersAt time.Time
	cgroups map[uint64]string // cgroup id -> container name ("" known none)
	cgAt    time.Time

	closed     map[closedKey]diagSock
	closedRing []closedKey
	closedNext int

	pending []partial
	st      Stats
	logged  map[string]bool
}

func newEngine(cfg Config) (*engine_, error) {
	if cfg.Proc == "" {
		cfg.Proc = "/proc"
	}
	e := &engine_{
		cfg:     cfg,
		proc:    cfg.Proc,
		nss:     make(map[uint64]*nsState),
		socks:   make(map[uint32]int32),
		procs:   make(map[int32]procInfo),
		cgroups: make(map[uint64]string),
		closed:  make(map[closedKey]diagSock),
		logged:  make(map[string]bool),
	}
	ino, err := e.nsInode("self")
	if err != nil {
		return nil, fmt.Errorf("process attribution: own network namespace: %w", err)
	}
	e.selfIno = ino
	self := &nsState{ino: ino}
	if self.diag, err = newDiagConn(); err != nil {
		return nil, fmt.Errorf("process attribution: sock_diag: %w", err)
	}
	if self.route, err = newNetlink(unix.NETLINK_ROUTE, 0); err != nil {
		self.diag.close()
		return nil, fmt.Errorf("process attribution: rtnetlink: %w", err)
	}
	self.destroy, err = newDestroyConn()
	if err != nil {
		e.logf("process attribution: no close notices (%v): sockets that close before the lookup go unnamed", err)
	}
	e.self = self
	e.nss[ino] = self
	if !cfg.NoHook {
		if e.hook, err = openHook(); err != nil {
			e.logf("process attribution: %v; short-lived connections will often go unnamed", err)
		}
	}
	e.scan(time.Now())
	return e, nil
}

func (e *engine_) logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if e.cfg.Logf == nil || e.logged[msg] || len(e.logged) > 64 {
		return
	}
	e.logged[msg] = true
	e.cfg.Logf("%s", msg)
}

// newDestroyConn joins the four close-notice groups (CAP_NET_ADMIN) with
// a receive queue large enough for bursts of closes.
func newDestroyConn() (*diagConn, error) {
	groups := uint32(1<<(grpTCP4Destroy-1) | 1<<(grpUDP4Destroy-1) | 1<<(grpTCP6Destroy-1) | 1<<(grpUDP6Destroy-1))
	c, err := newNetlink(unix.NETLINK_SOCK_DIAG, groups)
	if err != nil {
		return nil, err
	}
	if unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20) != nil {
		unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	}
	return c, nil
}

func (e *engine_) close() {
	for _, ns := range e.nss {
		ns.closeConns()
	}
	e.hook.close()
}

func (ns *nsState) closeConns() {
	ns.diag.close()
	ns.route.close()
	ns.destroy.close()
}

func (e *engine_) stats(s *Stats) {
	*s = e.st
	s.Namespaces = len(e.nss)
	s.Hook = e.hook != nil
}

func (e *engine_) tick(now time.Time) { e.drainClosed() }

// ---- flows ----

func (e *engine_) resolve(keys []FlowKey, now time.Time) {
	e.drainClosed()
	for _, k := range keys {
		if len(e.pending) >= maxPending {
			e.st.Errors++
			continue
		}
		p := partial{key: k, at: now}
		switch k.Proto {
		case ProtoTCP, ProtoUDP:
			srcLocal := e.lookupEnd(&p.src, k.Proto, k.Src, k.Dst, now)
			dstLocal := e.lookupEnd(&p.dst, k.Proto, k.Dst, k.Src, now)
			if !srcLocal && !dstLocal {
				p.src.o.Reason, p.dst.o.Reason = NotLocal, NotLocal
			}
		default:
			why := OtherProtocol
			if k.Proto == ProtoICMP || k.Proto == ProtoICMPv6 {
				why = KernelICMP
			}
			srcLocal := e.markLocal(&p.src, k.Src.Addr(), why, now)
			dstLocal := e.markLocal(&p.dst, k.Dst.Addr(), why, now)
			if !srcLocal && !dstLocal {
				p.src.o.Reason, p.dst.o.Reason = NotLocal, NotLocal
			}
		}
		e.pending = append(e.pending, p)
	}
}

func (e *engine_) markLocal(x *end, a netip.Addr, why Reason, now time.Time) bool {
	cands := e.namespacesWith(a, now)
	if len(cands) == 0 {
		x.o.Reason = Remote
		return false
	}
	x.o.Reason = why
	x.o.Netns = cands[0].ino
	x.o.Container = cands[0].label
	return true
}

// lookupEnd finds the socket of one end (local is this end, remote the
// other) and fills what it can at once; it says whether the address is
// local to some namespace.
func (e *engine_) lookupEnd(x *end, proto uint8, local, remote netip.AddrPort, now time.Time) bool {
	cands := e.namespacesWith(local.Addr(), now)
	if len(cands) == 0 {
		x.o.Reason = Remote
		return false
	}
	x.o.Reason = SocketClosed
	x.ns = cands[0]
	for _, ns := range cands {
		if ns.diag == nil {
			if x.ns.diag == nil {
				x.o.Reason = NoNamespace
			}
			continue
		}
		s, found, err := ns.diag.get(proto, local, remote)
		e.st.Lookups++
		if err != nil {
			e.st.Errors++
			continue
		}
		if found && proto == ProtoTCP && s.State == tcpListen {
			// No connection matched: the kernel fell back to the listener.
			if !x.hasLst {
				x.listener, x.hasLst, x.ns = s, true, ns
			}
			found = false
		}
		if !found {
			if c, ok := e.closedGet(ns.ino, proto, local, remote); ok {
				s, found = c, true
				x.closed = true
				e.st.Closed++
			}
		}
		if !found {
			continue
		}
		x.sock, x.hasSock, x.ns = s, true, ns
		break
	}
	x.proto, x.local, x.remote = proto, local, remote
	x.missing = !x.hasSock && x.ns.diag != nil && x.ns.destroy != nil
	if x.hasSock {
		// A TIME_WAIT remnant says uid 0 whoever owned the connection.
		if !(proto == ProtoTCP && x.sock.State == tcpTimeWait) {
			x.o.UID, x.o.HasUID = x.sock.UID, true
		}
		x.rec, x.hasRec = e.hook.lookup(x.sock.Cookie)
	}
	if !x.hasLst && proto == ProtoTCP && x.ns.diag != nil && (!x.hasSock || x.sock.Inode == 0 || !x.hasRec) {
		// A connection accepted from a listener, or one that is gone: the
		// listener of its local port names the server.
		if s, found, err := x.ns.diag.get(proto, local, netip.AddrPortFrom(unspecified(local.Addr()), 0)); err == nil && found && s.State == tcpListen {
			x.listener, x.hasLst = s, true
		}
		e.st.Lookups++
	}
	if x.hasSock && x.sock.Inode != 0 {
		if _, ok := e.socks[x.sock.Inode]; !ok {
			// The creator, or the listener's holder, likely holds it:
			// read that one process before a walk of all of them.
			if x.hasRec {
				e.scanPID(int32(x.rec.TGID))
			}
			if _, ok := e.socks[x.sock.Inode]; !ok && x.hasLst && x.listener.Inode != 0 {
				if pid, ok := e.socks[x.listener.Inode]; ok {
					e.scanPID(pid)
				}
			}
			_, ok = e.socks[x.sock.Inode]
			x.wait = !ok
		}
	}
	if x.hasLst && x.listener.Inode != 0 {
		if _, ok := e.socks[x.listener.Inode]; !ok {
			x.wait = true
		}
	}
	return true
}

func unspecified(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

func (e *engine_) wake() time.Time {
	var w time.Time
	for i := range e.pending {
		p := &e.pending[i]
		var t time.Time
		switch {
		case p.needsScan():
			t = e.scanEnd.Add(e.scanGap())
		case p.missing():
			t = p.at.Add(closedWait)
		default:
			continue
		}
		if w.IsZero() || t.Before(w) {
			w = t
		}
	}
	return w
}

func (e *engine_) scanGap() time.Duration {
	if g := 4 * e.scanCost; g > minScanGap {
		return g
	}
	return minScanGap
}

// retryClosed looks again for the close notice of an end whose socket was
// missing.
func (e *engine_) retryClosed(x *end, final bool) {
	if !x.missing {
		return
	}
	if s, ok := e.closedGet(x.ns.ino, x.proto, x.local, x.remote); ok {
		x.missing = false
		x.sock, x.hasSock, x.closed = s, true, true
		e.st.Closed++
		x.o.UID, x.o.HasUID = s.UID, true
		x.rec, x.hasRec = e.hook.lookup(s.Cookie)
		return
	}
	if final {
		x.missing = false
	}
}

func (e *engine_) poll(now time.Time) []Answer {
	if len(e.pending) == 0 {
		return nil
	}
	e.drainClosed()
	scan := false
	for i := range e.pending {
		p := &e.pending[i]
		final := now.Sub(p.at) >= closedWait
		e.retryClosed(&p.src, final)
		e.retryClosed(&p.dst, final)
		scan = scan || p.needsScan()
	}
	if scan && !now.Before(e.scanEnd.Add(e.scanGap())) {
		e.scan(now)
		for i := range e.pending {
			e.pending[i].src.wait, e.pending[i].dst.wait = false, false
		}
	}
	var out []Answer
	keep := e.pending[:0]
	for _, p := range e.pending {
		if p.needsScan() || p.missing() {
			keep = append(keep, p)
			continue
		}
		out = append(out, e.finish(&p))
	}
	clear(e.pending[len(keep):])
	e.pending = keep
	return out
}

func (e *engine_) finish(p *partial) Answer {
	return Answer{Key: p.key, Src: e.ownerOf(&p.src, p.key.Proto), Dst: e.ownerOf(&p.dst, p.key.Proto)}
}

// ownerOf turns what lookupEnd found into an Owner: the process holding
// the socket now, else its recorded creator, else the listener's holder,
// else why there is none.
func (e *engine_) ownerOf(x *end, proto uint8) Owner {
	o := e.ownerOf1(x, proto)
	if o.Container == "" && x.ns != nil && x.ns != e.self {
		// No container named by the cgroup (or the process is a zombie
		// whose files are empty): the socket's namespace names it.
		o.Container = x.ns.label
	}
	return o
}

func (e *engine_) ownerOf1(x *end, proto uint8) Owner {
	o := x.o
	if o.Reason == Remote || o.Reason == NotLocal || o.Reason == KernelICMP || o.Reason == OtherProtocol {
		return o
	}
	if x.ns != nil {
		o.Netns = x.ns.ino
	}
	if x.hasSock && x.sock.Inode != 0 {
		if pid, ok := e.socks[x.sock.Inode]; ok && e.fillProc(&o, pid) {
			o.Reason, o.Via = Owned, ViaSocket
			e.fillUser(&o)
			return o
		}
	}
	if x.hasRec && x.rec.TGID != 0 {
		o.Reason, o.Via = Owned, ViaCreator
		if !o.HasUID {
			o.UID, o.HasUID = x.rec.UID, true
		}
		e.st.Creators++
		// The process is the creator if it started before the socket was
		// created (a PID reused since started after).
		if !e.fillProc(&o, int32(x.rec.TGID)) || o.Start*tickNs > x.rec.Boot+tickNs {
			// Exited: keep what the hook saw.
			o.PID, o.Start, o.Cmdline = int32(x.rec.TGID), 0, ""
			o.Command = x.rec.comm()
			if name, ok := e.hook.leader(x.rec.TGID); ok && name != "" {
				o.Command = name
			}
			o.Container = e.cgroupName(x.rec.Cgroup, x.ns)
		}
		e.fillUser(&o)
		return o
	}
	if x.hasLst && x.listener.Inode != 0 {
		if pid, ok := e.socks[x.listener.Inode]; ok && e.fillProc(&o, pid) {
			o.Reason, o.Via = Owned, ViaListener
			if !o.HasUID {
				o.UID, o.HasUID = x.listener.UID, true
			}
			e.fillUser(&o)
			return o
		}
	}
	switch {
	case !x.hasSock:
		// SocketClosed or NoNamespace, set by lookupEnd.
	case x.closed:
		o.Reason = SocketClosed
	case x.sock.Inode == 0 && x.sock.State == tcpTimeWait && proto == ProtoTCP:
		o.Reason = TimeWait
	default:
		o.Reason = NoProcess
	}
	if x.ns != nil && x.ns != e.self {
		o.Container = x.ns.label
	}
	e.fillUser(&o)
	return o
}

// ---- processes ----

// fillProc names the process pid, false when it is gone.
func (e *engine_) fillProc(o *Owner, pid int32) bool {
	if pid <= 0 {
		return false
	}
	dir := e.proc + "/" + strconv.Itoa(int(pid))
	b, err := readBounded(dir+"/stat", 4096)
	if err != nil {
		return false
	}
	st, err := parseStat(b)
	if err != nil {
		return false
	}
	info, ok := e.procs[pid]
	if !ok || info.start != st.Start {
		info = procInfo{start: st.Start, comm: st.Comm}
		if b, err := readBounded(dir+"/cmdline", MaxCmdline+1); err == nil {
			info.cmdline = parseCmdline(b)
		}
		if b, err := readBounded(dir+"/cgroup", 64<<10); err == nil {
			info.container = containerOf(b)
		}
		if ino, err := e.nsInode(strconv.Itoa(int(pid))); err == nil {
			info.netns = ino
		}
		if info.container == "" && info.netns != 0 && info.netns != e.selfIno {
			if ns := e.nss[info.netns]; ns != nil {
				info.container = ns.label
			} else {
				info.container = "netns:[" + strconv.FormatUint(info.netns, 10) + "]"
			}
		}
		if len(e.procs) >= maxProcCache {
			clear(e.procs)
		}
		e.procs[pid] = info
	}
	o.PID, o.Start = pid, info.start
	o.Command, o.Cmdline, o.Container = info.comm, info.cmdline, info.container
	return true
}

func (e *engine_) fillUser(o *Owner) {
	if !o.HasUID {
		return
	}
	name, ok := e.users[o.UID]
	if !ok && time.Since(e.usersAt) > 10*time.Second {
		e.usersAt = time.Now()
		if f, err := os.Open("/etc/passwd"); err == nil {
			e.users = parsePasswd(f, maxUsers)
			f.Close()
		}
		name = e.users[o.UID]
	}
	o.User = name
}

// cgroupName names the container of a cgroup v2 id, for a process that
// has exited, by finding the cgroup directory whose inode is the id.
func (e *engine_) cgroupName(id uint64, ns *nsState) string {
	name, ok := e.cgroups[id]
	if !ok && id > 1 && time.Since(e.cgAt) > 5*time.Second {
		e.cgAt = time.Now()
		clear(e.cgroups)
		if root, err := cgroup2Root(); err == nil {
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.IsDir() {
					return nil
				}
				if len(e.cgroups) >= maxCgroups {
					return filepath.SkipAll
				}
				var st unix.Stat_t
				if unix.Stat(p, &st) == nil {
					e.cgroups[st.Ino] = containerOfPath(p[len(root):])
				}
				return nil
			})
		}
		name = e.cgroups[id]
	}
	if name == "" && ns != nil && ns != e.self {
		return ns.label
	}
	return name
}

// readBounded reads at most max bytes of a file.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max))
}

func (e *engine_) nsInode(pid string) (uint64, error) {
	buf := make([]byte, 64)
	n, err := unix.Readlink(e.proc+"/"+pid+"/ns/net", buf)
	if err != nil {
		return 0, err
	}
	ino, ok := parseNsLink(buf[:n])
	if !ok {
		return 0, fmt.Errorf("%s/%s/ns/net: %q: %w", e.proc, pid, buf[:n], errFormat)
	}
	return ino, nil
}

// ---- the walk of /proc ----

// scan walks every process's descriptors, rebuilding the socket inode ->
// pid map, and notes the network namespaces processes are in. Processes
// that exit during the walk are skipped: that is normal.
func (e *engine_) scan(now time.Time) {
	start := time.Now()
	e.gen++
	e.st.Scans++
	socks := make(map[uint32]int32, len(e.socks))
	d, err := os.Open(e.proc)
	if err != nil {
		e.logf("process attribution: %v", err)
		return
	}
	defer d.Close()
	nsPID := make(map[uint64]int32)
	buf := make([]byte, 128)
	denied := 0
	for {
		names, err := d.Readdirnames(512)
		for _, name := range names {
			pid, err := strconv.Atoi(name)
			if err != nil || pid <= 0 {
				continue
			}
			if !e.cfg.NoNamespaces {
				if ino, err := e.nsInode(name); err == nil {
					if _, ok := nsPID[ino]; !ok && len(nsPID) < maxNamespaces {
						nsPID[ino] = int32(pid)
					}
				}
			}
			if e.readFDs(int32(pid), socks, buf) == errDenied {
				denied++
			}
		}
		if err != nil {
			break
		}
	}
	e.socks = socks
	if denied > 0 {
		e.logf("process attribution: /proc/PID/fd of %d processes could not be read (CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH let pktop read other users')", denied)
	}
	if !e.cfg.NoNamespaces {
		e.updateNamespaces(nsPID, now)
	}
	e.scanEnd = time.Now()
	e.scanCost = e.scanEnd.Sub(start)
}

var errDenied = errors.New("permission denied")

// readFDs adds the sockets of one process to socks.
func (e *engine_) readFDs(pid int32, socks map[uint32]int32, buf []byte) error {
	dir := e.proc + "/" + strconv.Itoa(int(pid)) + "/fd"
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			return errDenied
		}
		return err
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	for {
		names, err := f.Readdirnames(1024)
		for _, n := range names {
			e.st.ScanFDs++
			l, err := unix.Readlinkat(fd, n, buf)
			if err != nil {
				if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
					return errDenied
				}
				continue
			}
			if ino, ok := parseSocketLink(buf[:l]); ok && len(socks) < maxSockets {
				if _, dup := socks[ino]; !dup {
					socks[ino] = pid
				}
			}
		}
		if err != nil {
			return nil
		}
	}
}

// scanPID reads one process's descriptors into the current map.
func (e *engine_) scanPID(pid int32) {
	if pid <= 0 {
		return
	}
	e.readFDs(pid, e.socks, make([]byte, 128))
}

// ---- namespaces ----

// updateNamespaces takes in the namespaces the walk found: it opens
// sock_diag, rtnetlink and close-notice sockets inside each new one, and
// forgets those no process is in any more (and that have no name).
func (e *engine_) updateNamespaces(nsPID map[uint64]int32, now time.Time) {
	names := e.namedNamespaces()
	for ino := range names {
		if _, ok := nsPID[ino]; !ok {
			nsPID[ino] = 0 // named, no process in it: entered by its name
		}
	}
	for ino, pid := range nsPID {
		if ns, ok := e.nss[ino]; ok {
			ns.seen = e.gen
			if name, ok := names[ino]; ok && ino != e.selfIno {
				ns.label, ns.named = "netns:"+name, true
			}
			continue
		}
		if len(e.nss) >= maxNamespaces {
			continue
		}
		ns := &nsState{ino: ino, seen: e.gen, label: "netns:[" + strconv.FormatUint(ino, 10) + "]"}
		if name, ok := names[ino]; ok {
			ns.label, ns.named = "netns:"+name, true
		}
		path := e.proc + "/" + strconv.Itoa(int(pid)) + "/ns/net"
		if pid == 0 {
			path = "/run/netns/" + names[ino]
		}
		e.enter(ns, path)
		e.nss[ino] = ns
	}
	for ino, ns := range e.nss {
		if ns != e.self && ns.seen != e.gen {
			ns.closeConns()
			delete(e.nss, ino)
		}
	}
}

func (e *engine_) enter(ns *nsState, path string) {
	f, err := os.Open(path)
	if err != nil {
		ns.enterr = err
		e.logf("process attribution: cannot open network namespace %s: %v", ns.label, err)
		return
	}
	defer f.Close()
	err = inNetns(int(f.Fd()), func() error {
		var err error
		if ns.diag, err = newDiagConn(); err != nil {
			return err
		}
		if ns.route, err = newNetlink(unix.NETLINK_ROUTE, 0); err != nil {
			return err
		}
		ns.destroy, _ = newDestroyConn()
		return nil
	})
	if err != nil {
		ns.closeConns()
		ns.diag, ns.route, ns.destroy = nil, nil, nil
		ns.enterr = err
		e.logf("process attribution: network namespaces other than pktop's cannot be read (%v; CAP_SYS_ADMIN is needed to enter them)", err)
	}
}

// namedNamespaces lists /run/netns (ip netns add): inode -> name.
func (e *engine_) namedNamespaces() map[uint64]string {
	out := make(map[uint64]string)
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return out
	}
	for _, d := range ents {
		var st unix.Stat_t
		if unix.Stat("/run/netns/"+d.Name(), &st) == nil && len(out) < maxNamespaces {
			out[st.Ino] = capString(d.Name(), MaxContainer-8)
		}
	}
	return out
}

// namespacesWith lists the namespaces where a is a local address, pktop's
// own first. A loopback address is taken as pktop's own: a capture only
// sees its own namespace's loopback.
func (e *engine_) namespacesWith(a netip.Addr, now time.Time) []*nsState {
	a = a.Unmap()
	if a.IsLoopback() {
		return []*nsState{e.self}
	}
	var out []*nsState
	if e.isLocal(e.self, a, now) {
		out = append(out, e.self)
	}
	for _, ns := range e.nss {
		if ns != e.self && e.isLocal(ns, a, now) {
			out = append(out, ns)
		}
	}
	return out
}

func (e *engine_) isLocal(ns *nsState, a netip.Addr, now time.Time) bool {
	if _, ok := ns.local[a]; ok {
		return true
	}
	if ns.route == nil || now.Sub(ns.addrAt) < addrMaxAge {
		return false
	}
	ns.addrAt = now
	addrs, err := ns.route.localAddrs()
	if err != nil {
		e.st.Errors++
		return false
	}
	ns.local = make(map[netip.Addr]struct{}, len(addrs))
	for _, x := range addrs {
		ns.local[x.Unmap()] = struct{}{}
	}
	_, ok := ns.local[a]
	return ok
}

// ---- close notices ----

// drainClosed reads the close notices queued in every namespace.
func (e *engine_) drainClosed() {
	for _, ns := range e.nss {
		if ns.destroy == nil {
			continue
		}
		for i := 0; i < 1024; i++ {
			msgs, lost, err := ns.destroy.recvNoWait()
			if lost {
				e.st.Errors++
				continue
			}
			if err != nil || msgs == nil {
				break
			}
			for _, m := range msgs {
				if m.Type != sockDiagByFamily {
					continue
				}
				s, err := parseDiagMsg(m.Data)
				if err != nil || (s.Proto != ProtoTCP && s.Proto != ProtoUDP) {
					continue
				}
				s.Inode = 0 // freed: the inode means nothing now
				e.closedPut(closedKey{ns.ino, s.Proto, s.Src, s.Dst}, s)
			}
		}
	}
}

func (e *engine_) closedPut(k closedKey, s diagSock) {
	if e.closedRing == nil {
		e.closedRing = make([]closedKey, maxClosed)
	}
	old := e.closedRing[e.closedNext]
	if old.proto != 0 {
		delete(e.closed, old)
	}
	e.closedRing[e.closedNext] = k
	e.closedNext = (e.closedNext + 1) % maxClosed
	e.closed[k] = s
}

// closedGet finds a closed socket that had these ends; for UDP also one
// that was not connected (peer unspecified), bound to the address or to
// the wildcard.
func (e *engine_) closedGet(ns uint64, proto uint8, local, remote netip.AddrPort) (diagSock, bool) {
	if s, ok := e.closed[closedKey{ns, proto, local, remote}]; ok {
		return s, true
	}
	if proto != ProtoUDP {
		return diagSock{}, false
	}
	for _, any := range []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()} {
		none := netip.AddrPortFrom(any, 0)
		for _, l := range []netip.AddrPort{local, netip.AddrPortFrom(any, local.Port())} {
			if s, ok := e.closed[closedKey{ns, proto, l, none}]; ok {
				return s, true
			}
		}
	}
	return diagSock{}, false
}
