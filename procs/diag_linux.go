package procs

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// diagConn is a NETLINK_SOCK_DIAG socket. It answers for the network
// namespace it was created in, whichever thread uses it afterwards, so a
// resolver holds one per namespace and enters a namespace only once, to
// create it.
type diagConn struct {
	fd  int
	seq uint32
	buf []byte
}

func newDiagConn() (*diagConn, error) {
	return newNetlink(unix.NETLINK_SOCK_DIAG, 0)
}

// newNetlink opens a netlink socket of the given protocol, joined to the
// multicast groups in the bit mask groups, with a receive timeout so that
// a kernel that never answers cannot hang the resolver.
func newNetlink(proto int, groups uint32) (*diagConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	tv := unix.Timeval{Sec: 1}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return &diagConn{fd: fd, buf: make([]byte, 32<<10)}, nil
}

func (c *diagConn) close() {
	if c != nil && c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
}

// get looks up the one socket a packet from remote to local would be given
// to. found is false when there is none (the kernel says ENOENT).
func (c *diagConn) get(proto uint8, local, remote netip.AddrPort) (s diagSock, found bool, err error) {
	c.seq++
	req := diagRequest(c.seq, proto, local, remote)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return s, false, fmt.Errorf("sock_diag request: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return s, false, fmt.Errorf("sock_diag answer: %w", err)
		}
		msgs, err := splitNetlink(c.buf[:n])
		if err != nil {
			return s, false, err
		}
		for _, m := range msgs {
			if m.Seq != c.seq {
				continue // the answer to an earlier request that timed out
			}
			switch m.Type {
			case nlmsgError:
				e, err := nlError(m.Data)
				if err != nil {
					return s, false, err
				}
				if e == 0 {
					continue
				}
				if syscall.Errno(e) == unix.ENOENT {
					return s, false, nil
				}
				return s, false, fmt.Errorf("sock_diag: %w", syscall.Errno(e))
			case sockDiagByFamily:
				s, err := parseDiagMsg(m.Data)
				return s, err == nil, err
			}
		}
	}
}

// errDumpInterrupted is returned with partial results when the kernel
// says a dump was interrupted by changes to the table (NLM_F_DUMP_INTR).
var errDumpInterrupted = errors.New("sock_diag dump interrupted by changes; results may be incomplete")

// dump calls fn for every socket of the family and protocol in the given
// states.
func (c *diagConn) dump(fam, proto uint8, states uint32, fn func(diagSock)) error {
	c.seq++
	return c.dumpRaw(diagDumpRequest(c.seq, fam, proto, states), func(m nlMessage) {
		if m.Type == sockDiagByFamily {
			if s, err := parseDiagMsg(m.Data); err == nil {
				fn(s)
			}
		}
	})
}

// dumpRaw sends a dump request (whose sequence number is c.seq) and calls
// fn for each message of the answer up to NLMSG_DONE.
func (c *diagConn) dumpRaw(req []byte, fn func(nlMessage)) error {
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink dump: %w", err)
	}
	var intr bool
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("netlink dump: %w", err)
		}
		msgs, err := splitNetlink(c.buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Seq != c.seq {
				continue
			}
			if m.Flags&unix.NLM_F_DUMP_INTR != 0 {
				intr = true
			}
			switch m.Type {
			case nlmsgDone:
				if intr {
					return errDumpInterrupted
				}
				return nil
			case nlmsgError:
				e, err := nlError(m.Data)
				if err != nil {
					return err
				}
				if e != 0 {
					return fmt.Errorf("netlink dump: %w", syscall.Errno(e))
				}
			default:
				fn(m)
			}
		}
	}
}

// localAddrs lists the addresses of every interface of the namespace
// (a NETLINK_ROUTE socket's, RTM_GETADDR).
func (c *diagConn) localAddrs() ([]netip.Addr, error) {
	c.seq++
	var out []netip.Addr
	err := c.dumpRaw(addrDumpRequest(c.seq), func(m nlMessage) {
		if a, ok := parseAddrMsg(m); ok && len(out) < maxLocalAddrs {
			out = append(out, a)
		}
	})
	return out, err
}

// recvNoWait reads what is queued on a multicast socket without waiting;
// it returns nil when nothing is. ENOBUFS (the kernel dropped notices
// because the queue was full) is reported as lost = true.
func (c *diagConn) recvNoWait() (msgs []nlMessage, lost bool, err error) {
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_DONTWAIT)
		switch {
		case err == nil:
			msgs, err := splitNetlink(c.buf[:n])
			return msgs, false, err
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return nil, false, nil
		case errors.Is(err, unix.ENOBUFS):
			return nil, true, nil
		}
		return nil, false, err
	}
}

// inNetns runs fn on an OS thread moved into the network namespace nsfd
// refers to, so that the sockets fn creates belong to that namespace. It
// needs CAP_SYS_ADMIN. The thread is returned to the caller's namespace;
// if that fails the thread is left locked and dies with its goroutine.
func inNetns(nsfd int, fn func() error) error {
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{fmt.Errorf("own network namespace: %w", err)}
			return
		}
		defer self.Close()
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{fmt.Errorf("entering network namespace: %w", err)}
			return
		}
		ferr := fn()
		if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: it exits with this goroutine.
			done <- result{errors.Join(ferr, fmt.Errorf("leaving network namespace: %w", err))}
			return
		}
		runtime.UnlockOSThread()
		done <- result{ferr}
	}()
	select {
	case r := <-done:
		return r.err
	case <-time.After(5 * time.Second):
		return errors.New("entering network namespace: timed out")
	}
}
