package model

import (
	"net/netip"
	"testing"
)

func TestHostName(t *testing.T) {
	for in, want := range map[string]string{
		"www.Example.COM.":          "www.example.com",
		"_dmarc.example":            "_dmarc.example",
		"xn--bcher-kva.ch":          "xn--bcher-kva.ch",
		"localhost":                 "localhost",
		"1.2.3.example":             "1.2.3.example",
		"10.0.0.1":                  "",
		"10.1":                      "",
		"0x7f.1":                    "",
		"1.2.3.0x7f":                "",
		"017.0.0.1":                 "",
		"4294967295":                "",
		"::1":                       "",
		"[::1]":                     "",
		"fe80::1%eth0":              "",
		"8.8.8.8 <=> 1.1.1.1":       "",
		"a..b":                      "",
		".":                         "",
		"":                          "",
		"x.0x":                      "",
		"[:::$<99999999>]x.example": "",
		"zz[:::":                    "",
		"evil\x1b[2J.com":           "",
		"bücher.de":                 "",
		"a b.com":                   "",
	} {
		got, ok := HostName(in)
		if ok != (want != "") || got != want {
			t.Errorf("HostName(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	long := ""
	for range 64 {
		long += "a"
	}
	if _, ok := HostName(long + ".com"); ok {
		t.Error("a 64-byte label was accepted")
	}
}

// TestNamesStable: an address keeps its first name; a client's name
// (SNI, Host) replaces a DNS one once; refused names teach nothing.
func TestNamesStable(t *testing.T) {
	n := newNames(10)
	a := netip.MustParseAddr("212.199.202.9")
	n.set(a, "images1.ynet.co.il", true)
	n.set(a, "go.ynet.co.il", true)
	if got := n.get(a); got != "images1.ynet.co.il" {
		t.Errorf("after a second DNS name: %q", got)
	}
	n.set(a, "www.ynet.co.il", false)
	n.set(a, "other.ynet.co.il", false)
	n.set(a, "dns.ynet.co.il", true)
	if got := n.get(a); got != "www.ynet.co.il" {
		t.Errorf("after SNI names: %q; want the first SNI name", got)
	}
	b := netip.MustParseAddr("10.0.0.2")
	n.set(b, "10.0.0.1", false)
	if got := n.get(b); got != "" {
		t.Errorf("an address was taken as a name: %q", got)
	}
}
