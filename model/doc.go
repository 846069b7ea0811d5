// Package model counts packets and publishes what it counted.
//
// It owns every counter of pktop: totals, hosts, conversations, ports,
// flows (5-tuples), processes (live capture: which program owns each end
// of a flow, asked of an Attribution; see proc.go), protocols, packet
// sizes and rates over time. The sniffer hands it
// packet summaries (Packet) in batches (Batch) over a channel; one
// goroutine, Model.Run, is the single writer of all counters and
// publishes immutable Snapshots that the UI and the reports read.
//
// Exporters, which must lose no count, take deltas instead of snapshots
// (Model.Deltas): the model goroutine hands out what every row counted
// since the last request, and a row evicted from a full table hands its
// remainder to the next request first.
//
// Rates come from capture timestamps (Batch.Now), never from the wall
// clock, so a replay counts the same whatever its speed.
//
// Memory is bounded whatever the traffic: each table holds at most
// Config.MaxKeys keys and folds the lightest into an "other" row when it
// is full, so totals stay exact and, while the keys fit, every row too.
//
// A focus on a row counts that row's packets in an aggregator of its own,
// from the start of the capture: a file is read again for it (Rescan,
// given by the caller), a live capture starts it from the row's flows
// (Aggregator.Seed). See focus.go.
//
// Untrusted text (names learnt from packets, file names in reports) goes
// through Sanitize, pktop's one path for it (text.go), and a learnt name
// must be a host name (HostName, names.go).
//
// Imports: model depends on the standard library only. It must not
// import gopacket (that is the sniffer's business, package sniff) nor
// tview, tcell or asciigraph (the screen's, package ui). The test
// TestImportBoundaries in the module root enforces this.
package model
