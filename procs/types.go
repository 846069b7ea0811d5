package procs

import (
	"net/netip"
	"strconv"
)

// Protocol numbers of FlowKey.Proto that the resolver looks up.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// Direction is which way a packet crossed the capture interface, when the
// capture says (AF_PACKET's packet type does; a file does not).
type Direction uint8

const (
	DirUnknown Direction = iota
	// DirOut: the packet left through the capture interface (sent by this
	// host, or forwarded out of it).
	DirOut
	// DirIn: the packet arrived on the capture interface.
	DirIn
)

// FlowKey names a flow as the packet monitor first saw it: the transport
// protocol and both ends of its first packet, source first.
type FlowKey struct {
	Proto    uint8
	Src, Dst netip.AddrPort
	// Ifindex is the capture interface's index in pktop's own network
	// namespace, 0 when unknown. It helps to pick the namespace that owns
	// an address several namespaces share (127.0.0.1 is in all of them).
	Ifindex int32
	Dir     Direction
}

func (k FlowKey) String() string {
	return protoName(k.Proto) + " " + k.Src.String() + " > " + k.Dst.String()
}

func protoName(p uint8) string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "icmp"
	case ProtoICMPv6:
		return "icmp6"
	}
	return "proto " + strconv.Itoa(int(p))
}

// Reason says why an end of a flow has no process, or how its process was
// found. The zero value, Owned, means Owner names the process.
type Reason uint8

const (
	// Owned: the socket of this end was found and so was its process.
	Owned Reason = iota
	// Remote: this address is not local to any network namespace of this
	// host; the process is on another host. Not a problem in itself: the
	// flow's other end usually has the owner.
	Remote
	// NotLocal is given to both ends of a flow when neither address is
	// local to any network namespace of this host: traffic forwarded
	// through it, or between other hosts seen in promiscuous mode.
	NotLocal
	// KernelICMP: ICMP and ICMPv6 (echo replies, unreachables, neighbour
	// discovery) are answered by the kernel; pings from ping sockets are
	// not told apart.
	KernelICMP
	// OtherProtocol: a protocol with no socket table the resolver reads
	// (GRE, ESP, SCTP, ...): the kernel's, or a raw socket's.
	OtherProtocol
	// SocketClosed: the address is local but no socket has the flow's
	// ends: it closed before the lookup and nobody recorded its creator.
	// UID is set when the kernel's close notice gave it.
	SocketClosed
	// TimeWait: only a TIME_WAIT remnant of the socket is left and its
	// creator was not recorded (it predates the resolver, or was accepted
	// from a listener that could not be read).
	TimeWait
	// NoProcess: the socket exists but no process holds it any more (an
	// orphan still closing) or the holder could not be read (hidden by
	// permissions, or exited between the lookups). UID is set.
	NoProcess
	// NoNamespace: the address is local to a network namespace the
	// resolver cannot enter (it lacks CAP_SYS_ADMIN, or the namespace
	// went away).
	NoNamespace
	// Dropped: the resolver's queue was full and the flow was not looked
	// up (the model sets this itself when Ask returns false).
	Dropped
	// Unsupported: no attribution on this system (not Linux), or for a
	// replayed file.
	Unsupported
	numReasons
)

var reasonNames = [numReasons]string{
	Owned:         "owned",
	Remote:        "remote",
	NotLocal:      "not local (forwarded or another host's)",
	KernelICMP:    "kernel ICMP",
	OtherProtocol: "no socket table for this protocol",
	SocketClosed:  "socket closed before lookup",
	TimeWait:      "socket in TIME_WAIT, creator unknown",
	NoProcess:     "socket held by no readable process",
	NoNamespace:   "in a network namespace that cannot be read",
	Dropped:       "not looked up (resolver queue full)",
	Unsupported:   "no process attribution here",
}

func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "reason " + strconv.Itoa(int(r))
}

// Via says how an owned end was found.
type Via uint8

const (
	// ViaSocket: the socket was found and a process holds its inode now.
	ViaSocket Via = iota + 1
	// ViaCreator: the process that created the socket, recorded by the
	// kernel hook when it was created; the process may have exited since.
	ViaCreator
	// ViaListener: the connection's own socket was gone (or held by no
	// process yet) and the process holding the listening socket of its
	// local port is named: the server that accepted it.
	ViaListener
)

func (v Via) String() string {
	switch v {
	case ViaSocket:
		return "socket"
	case ViaCreator:
		return "creator"
	case ViaListener:
		return "listener"
	}
	return ""
}

// Limits on the strings of an Owner, in bytes. Strings are raw (what the
// kernel holds, which a process chooses); a UI must escape them.
const (
	MaxCommand   = 64
	MaxCmdline   = 256
	MaxUser      = 32
	MaxContainer = 128
)

// Owner is who holds one end of a flow. Plain values only, comparable, so
// that a consumer can key a table by it.
type Owner struct {
	Reason Reason
	Via    Via
	// PID is the process (thread group) id in pktop's PID namespace, 0
	// when not known. Start is its start time in clock ticks after boot
	// (field 22 of /proc/PID/stat), which tells apart two processes that
	// had the same PID; 0 when the process had exited before it was read.
	PID   int32
	Start uint64
	// Command is the process's name (comm, at most 15 bytes) and Cmdline
	// its arguments joined by spaces (empty when it had exited).
	Command, Cmdline string
	// UID is the socket's owner; HasUID false when unknown. User is its
	// name in pktop's /etc/passwd, empty when it has none.
	UID    uint32
	HasUID bool
	User   string
	// Container names the container or service the process runs in, from
	// its cgroup ("docker:0123456789ab", "podman:...", "containerd:...",
	// "k8s-pod:<uid>", "lxc:name", "systemd:unit.service"), or else from
	// its network namespace when that is not pktop's ("netns:name" from
	// /run/netns, or "netns:[inode]"); empty for the host itself.
	Container string
	// Netns is the inode of the network namespace of the socket.
	Netns uint64
}

// Answer is the resolver's word on one flow: the owner of each end.
type Answer struct {
	Key      FlowKey
	Src, Dst Owner
}

// Unowned tells which "nobody" row a flow with no process at either end
// belongs to, and false when one end has a process. The reason of a local
// end wins over Remote.
func (a Answer) Unowned() (Reason, bool) {
	if a.Src.Reason == Owned || a.Dst.Reason == Owned {
		return Owned, false
	}
	if a.Src.Reason == Remote {
		return a.Dst.Reason, true
	}
	return a.Src.Reason, true
}

// Stats counts what the resolver did, for a diagnostic line.
type Stats struct {
	Asked, Answered uint64
	// QueueFull counts Asks refused because the queue was full; Late
	// counts answers dropped because the consumer did not take them.
	QueueFull, Late uint64
	// Lookups are socket lookups (sock_diag requests or table reads);
	// Scans full walks of /proc/*/fd; ScanFDs the descriptors they read.
	Lookups, Scans, ScanFDs uint64
	// Creators counts ends found by the creation hook; Closed sockets
	// found in the kernel's close notices.
	Creators, Closed uint64
	// Namespaces is how many network namespaces are known now.
	Namespaces int
	// Hook says whether the socket-creation hook is loaded.
	Hook bool
	// Errors counts failed lookups (other than sockets simply missing).
	Errors uint64
}
