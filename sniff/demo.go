package sniff

import (
	"bytes"
	_ "embed"
)

// demoCapture is a real capture of web browsing (HTTP, TLS, DNS; 4631
// packets over 15.6 s) from PcapPlusPlus's test suite (public domain, see
// LICENSES/), built into the binary so that "pktop --demo" works with no
// capture and no privileges.
//
//go:embed demo/example.pcap.gz
var demoCapture []byte

// DemoName is how the demo capture is named on screen and in reports.
const DemoName = "demo:example.pcap (built in)"

// OpenDemo opens the capture built into the binary.
func OpenDemo() (*File, error) {
	return NewReader(DemoName, bytes.NewReader(demoCapture))
}
