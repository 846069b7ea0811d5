package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pktop/pktop/model"
	"github.com/pktop/pktop/sniff"
)

func screen(ctx context.Context, f *sniff.File, o *options, cfg model.Config, ropt sniff.Options, stderr io.Writer) int {
	fmt.Fprintln(stderr, "pktop: the screen is being built; use --report")
	return 2
}
