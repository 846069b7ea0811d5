// Package sniff reads packets and hands their summaries to the model.
//
// It opens captures (pcap and pcapng, plain or gzip, from a file or
// standard input: File) and live interfaces (Live: afpacket on Linux, or
// libpcap with -tags libpcap), decodes each frame into a small
// model.Packet value (Decoder) and sends the summaries in batches over a
// channel (Replay for files, Live.Feed for interfaces). It never keeps a
// slice of a capture buffer past the frame it decodes.
//
// Filters are compiled in process by package filter (Filter, for files;
// Live attaches them to the socket); nothing is installed or run for them.
//
// Imports: sniff is the only package of pktop that imports gopacket. It
// imports model for the types it produces (model.Packet, model.Batch),
// filter for capture filters, and never the screen's packages (tview, tcell, asciigraph). The test
// TestImportBoundaries in the module root enforces this.
package sniff
