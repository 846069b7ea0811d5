// Package filter compiles pcap-filter expressions (the language of tcpdump
// and libpcap, pcap-filter(7)) into classic BPF programs, in process and in
// pure Go: no cgo, no libpcap, no tcpdump.
//
// The compiler keeps libpcap's semantics, including its odd ones: "and" and
// "or" have equal precedence and group from the left, "not" binds tighter;
// a bare value after "and"/"or" inherits the qualifiers before it ("host
// 10.0.0.1 or 10.0.0.2", "port 53 or 80"); "vlan", "mpls" and "pppoes" move
// the offsets of everything written after them. Its programs make the same
// accept/reject decision as libpcap's for every packet; the differential
// test holds them to that against tcpdump's own programs, on every frame
// of the test corpus and of a generator, including frames cut short
// inside a field the filter reads.
//
// It is split as libpcap's and Go's own compilers are: lex.go turns the
// text into tokens with their byte offsets, parse.go builds an AST whose
// nodes keep their positions; gen.go, prims.go, other.go, arith.go and
// wlan.go turn the AST into a tree of tests for one link type, as
// libpcap's gencode.c does; asm.go makes it a graph of BPF blocks,
// optimises it as libpcap's optimiser does where that changes what a
// program decides (tests whose outcome is known are jumped over, chains
// of tests on one value are regrouped, tests whose exits meet are
// dropped), drops reloads of a value A or X already holds, and lays it
// out as instructions, with long jumps where a test cannot reach. Every error, syntax or semantic, is one *Error that
// names the column and shows the expression with a caret under the part it
// could not compile.
//
// Host names are resolved once, at compile time, through the Resolver
// given in Options (tests pass a map; the default asks the system). Port
// and protocol names come from tables built into the package, so nothing
// is read at run time.
//
// Import rule: this package imports nothing of pktop (TestImportBoundaries
// enforces it); only the standard library and golang.org/x/net/bpf.
package filter
