package main

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/pktop/pktop/export"
	"github.com/pktop/pktop/model"
	"github.com/pktop/pktop/ui"
)

// feedGrace is how long quitting waits for the sniffer to notice: a read
// from a pipe that sends nothing never returns, and is then left behind.
const feedGrace = time.Second

// screen runs the terminal UI over src until the user quits or ctx is
// done (a signal). It returns 0, or 1 when the feed failed (the UI then
// shows the error until the user quits, and it is printed afterwards).
func screen(ctx context.Context, src source, cfg model.Config, o *options, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := model.New(o.exp.config(cfg), o.refresh)
	m.SetRescan(src.Rescan)
	ch := make(chan *model.Batch, 64)
	var agg *model.Aggregator // the model goroutine's, once it returned
	stopExport := o.exp.attach(m)

	var player ui.Player
	if src.Player != nil { // a nil *sniff.Player must be a nil interface
		player = src.Player
	}
	var (
		mu      sync.Mutex
		feedErr error
	)
	feedDone := make(chan struct{})
	modelDone := make(chan struct{})
	var shutOnce sync.Once
	shutdown := func() {
		shutOnce.Do(func() {
			cancel()
			select {
			case <-feedDone:
			case <-time.After(feedGrace):
			}
			select {
			case <-modelDone:
			case <-time.After(feedGrace):
			}
		})
	}
	u := ui.New(ui.Config{
		Source: ui.Source{Title: src.Title, Filter: src.Filter, Live: src.Live, Stream: src.Stream, Writing: src.Writing,
			NoProcs: src.NoProcs},
		Model:     m,
		SetFilter: src.SetFilter,
		Player:    player,
		Refresh:   o.refresh,
		Shutdown:  shutdown,
		// The screen could not stop (its terminal is restored by now):
		// stop the feed as a normal quit would, so that a -w file is
		// complete, and exit.
		Stuck: func() {
			shutdown()
			mu.Lock()
			failed := feedErr != nil
			mu.Unlock()
			if failed {
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
	// guard turns a panic of a goroutine into a clean exit: the UI stops,
	// restores the terminal, and panics again on this goroutine.
	guard := func() {
		if p := recover(); p != nil {
			u.Fail(p, debug.Stack())
		}
	}

	go func() {
		defer close(feedDone)
		defer guard()
		err := src.Feed(ctx, ch)
		close(ch)
		if err != nil && !errors.Is(err, context.Canceled) {
			mu.Lock()
			feedErr = err
			mu.Unlock()
			u.SetError(err)
		}
	}()
	go func() {
		defer close(modelDone)
		defer guard()
		a := m.Run(ctx, ch)
		m.Idle(ctx) // sort, filter and focus still work at the end
		agg = a
	}()
	defer func() { // the last export, from the counts the model left
		cancel()
		<-modelDone
		if agg != nil {
			stopExport(export.Owned(agg))
		}
	}()

	if err := u.Run(ctx); err != nil {
		complain(stderr, "%v", err)
		return 1
	}
	mu.Lock()
	defer mu.Unlock()
	if feedErr != nil {
		complain(stderr, "%v", feedErr)
		return 1
	}
	return 0
}
