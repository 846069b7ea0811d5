// Package procs tells which process owns each end of a flow: pktop's
// "which program is talking" (issue 11).
//
// A Resolver owns one goroutine. The model asks about each flow once,
// when it first appears (Ask never blocks; a full queue is counted), and
// applies the answers, which come back in batches on Answers, to the
// flows it has already counted. An Answer gives the Owner of each end: a
// process (pid, start time, command, arguments, user, container) or the
// Reason there is none (Remote, NotLocal, KernelICMP, SocketClosed,
// TimeWait, ...), so that unowned traffic goes to rows that say why.
//
// How, on Linux (see the README for privileges and kernel versions):
//   - the socket of each end is found with one exact sock_diag lookup
//     (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY without a dump) in the
//     network namespace where the address is local: about 2 µs whatever
//     the number of sockets; /proc/net/tcp takes 21 ms at 5,000;
//   - the socket's inode is mapped to a process by a walk of
//     /proc/PID/fd, kept between flows, read again for one process (the
//     recorded creator) or all of them when a new inode is not in it;
//   - a socket-creation hook (eBPF, cgroup inet_sock_create, assembled in
//     Go) records the creator of every socket by cookie, and the kernel's
//     close notices (sock_diag destroy groups) keep the cookie and ends of
//     sockets that closed: connections that are gone before the lookup
//     are still named;
//   - other network namespaces (containers) are found by the walk and
//     entered once each (setns) to open sockets there.
//
// Imports: procs depends on the standard library and golang.org/x/sys
// only, never on another package of pktop; it speaks in plain values so
// that the model (standard library only) can hold its answers. The test
// TestImportBoundaries in the module root enforces this. Linux code lives
// in _linux.go files; elsewhere New returns a Resolver that answers
// Unsupported.
package procs
