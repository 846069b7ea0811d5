package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pktop/pktop/model"
)

func screen(ctx context.Context, src source, cfg model.Config, o *options, stderr io.Writer) int {
	fmt.Fprintln(stderr, "pktop: the screen is being built; use --report")
	return 2
}
