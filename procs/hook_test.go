//go:build linux

package procs

import (
	"encoding/hex"
	"testing"
)

func TestHookProgramEncoding(t *testing.T) {
	p := hookProgram(7, 8)
	if len(p)%8 != 0 || len(p)/8 != 38 {
		t.Fatalf("%d bytes", len(p))
	}
	// Instructions as the kernel's macros encode them (BPF_EMIT_CALL(46),
	// BPF_STX_MEM(BPF_DW, 10, 0, -8), BPF_LD_MAP_FD(1, 7),
	// BPF_JMP_REG(BPF_JNE, 1, 2, 8), BPF_EXIT_INSN()).
	for _, c := range []struct {
		slot int
		want string
	}{
		{0, "850000002e000000"},
		{1, "7b0af8ff00000000"},
		{17, "1811000007000000"},
		{18, "0000000000000000"},
		{27, "5d21080000000000"},
		{28, "1811000008000000"},
		{37, "9500000000000000"},
	} {
		if got := hex.EncodeToString(p[c.slot*8 : c.slot*8+8]); got != c.want {
			t.Errorf("slot %d: %s, want %s", c.slot, got, c.want)
		}
	}
	rec := decodeHookRecord([]byte{1, 0, 0, 0, 2, 0, 0, 0, 0xe8, 3, 0, 0, 0xe8, 3, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 'c', 'u', 'r', 'l', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0})
	if rec.TGID != 1 || rec.TID != 2 || rec.UID != 1000 || rec.Cgroup != 9 || rec.comm() != "curl" || rec.Boot != 5 {
		t.Errorf("%+v", rec)
	}
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/sys/fs/my\040cgroup\`); got != `/sys/fs/my cgroup\` {
		t.Errorf("%q", got)
	}
}
