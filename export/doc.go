// Package export feeds pktop's counts to the systems that look after
// many hosts: Prometheus (metrics.go: a Collector and a /metrics
// server), IPFIX collectors (ipfix.go, over the encoder of
// ipfixmsg.go) and log pipelines (jsonl.go: one JSON object per
// interval).
//
// The exporters read the model only through its deltas (model.Deltas):
// one goroutine, the Pump, asks the model goroutine for what was counted
// since its last request, on a clock of its own (every second), and
// hands the answer to each exporter. The model hands every counted frame
// out once, as a row or in an "other" sum, whatever its bounded tables
// evicted in between, so the exporters lose no count, and the Prometheus
// counters they keep never go down.
//
// Anything learnt from packets (host names) is untrusted: it reaches a
// label value or a JSON string only through model.Sanitize.
//
// Imports: export depends on model and on the Prometheus client library.
// It must not import the sniffer (package sniff, gopacket) nor the
// screen (package ui, tview, tcell): TestImportBoundaries in the module
// root enforces this. It never calls log.Fatal: errors are returned,
// wrapped with the operation, and failed writes are counted.
package export
