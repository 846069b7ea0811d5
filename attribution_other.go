//go:build !linux

package main

import (
	"io"
	"os"

	"github.com/pktop/pktop/sniff"
)

// dropPrivileges gives up the privileges once the capture is open (there
// is no attribution to keep any for outside Linux).
func dropPrivileges(a *attribution, created *os.File, stderr io.Writer) {
	if _, err := sniff.DropPrivileges(created); err != nil {
		complain(stderr, "warning: %v", err)
	}
}

// stop ends attribution.
func (a *attribution) stop() { a.Close() }
