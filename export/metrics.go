package export

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pktop/pktop/model"
)

// Metrics is a Prometheus Collector of pktop's counts. It keeps counters
// of its own, fed by the model's deltas (Update, from the Pump), so that
// every series only grows: a host evicted from the model's bounded table,
// or the screen's reset, never makes a counter go down.
//
// Hosts, conversations and ports are exported for at most Top keys each
// (addresses are label values only there), plus an "other" series that
// gets every delta not counted under an exported key; a key stays
// exported while it is among the heaviest (a decaying score, so that it
// does not flap), and a key that comes back continues its old counter.
type Metrics struct {
	mu     sync.Mutex
	descs  descs
	last   *model.Snapshot // the previous summary, for its deltas
	resets uint64
	c      counters
	hosts  *topSet
	convs  *topSet
	ports  *topSet
	stats  map[string]*Stats
}

// counters are the whole-capture counters, each summing the summaries'
// increases.
type counters struct {
	total                       model.Counts
	truncated, undecoded, nonIP uint64
	plen                        [model.NumPlen]uint64
	protos                      map[protoLabel]*model.Counts
	now                         int64
	kernel, queue, filtered     uint64
}

type protoLabel struct{ name, layer string }

type descs struct {
	packets, bytes, protoPackets, protoBytes, sizes, drops, filtered, truncated, undecoded, nonIP, clock *prometheus.Desc
	hostPackets, hostBytes, hostInfo, convPackets, convBytes, portPackets, portBytes                     *prometheus.Desc
	exportRecords, exportErrors                                                                          *prometheus.Desc
}

// Prefix starts every metric name.
const Prefix = "pktop_"

// NewMetrics returns a Collector whose every series has the label
// interface (the capture's interface, or the file's name: untrusted, it
// is sanitised), exporting at most top keys of each table (at least 1).
// stats are the other exporters' counters, by exporter name.
func NewMetrics(iface string, top int, stats map[string]*Stats) *Metrics {
	if top < 1 {
		top = 1
	}
	cl := prometheus.Labels{"interface": model.Sanitize(iface, 64)}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(Prefix+name, help, labels, cl)
	}
	m := &Metrics{
		hosts: newTopSet(top), convs: newTopSet(top), ports: newTopSet(top), stats: stats,
		c: counters{protos: map[protoLabel]*model.Counts{}},
	}
	m.descs = descs{
		packets:       d("packets_total", "Frames captured."),
		bytes:         d("bytes_total", "Bytes captured, as frame lengths on the wire."),
		protoPackets:  d("protocol_packets_total", "Frames carrying a protocol (a frame counts once under each protocol it carries, tunnels decoded through).", "proto", "layer"),
		protoBytes:    d("protocol_bytes_total", "Bytes of the frames carrying a protocol.", "proto", "layer"),
		sizes:         d("packet_size_bytes", "Frame lengths on the wire, in tshark's plen buckets."),
		drops:         d("dropped_packets_total", "Frames lost before counting: by the kernel (its socket statistics) or by pktop (its queue was full).", "by"),
		filtered:      d("filtered_packets_total", "Frames the capture filter rejected."),
		truncated:     d("truncated_packets_total", "Frames cut short (snap length, or a header claiming more bytes than the frame has)."),
		undecoded:     d("undecoded_packets_total", "Frames pktop could not decode (unknown link type or malformed outer header)."),
		nonIP:         d("non_ip_packets_total", "Frames that carry no IP."),
		clock:         d("capture_time_seconds", "The capture clock: the wall clock when live, the capture's timestamps in a replay."),
		hostPackets:   d("host_packets_total", "Frames sent or received by a host, for the top hosts; host=\"other\" counts every other host.", "host", "direction"),
		hostBytes:     d("host_bytes_total", "Bytes sent or received by a host, for the top hosts; host=\"other\" counts every other host.", "host", "direction"),
		hostInfo:      d("host_info", "A name learnt from the traffic (DNS answers, TLS SNI, HTTP Host) for a top host.", "host", "name"),
		convPackets:   d("conversation_packets_total", "Frames between two addresses (a < b), for the top conversations; a=\"other\" counts every other.", "a", "b", "direction"),
		convBytes:     d("conversation_bytes_total", "Bytes between two addresses (a < b), for the top conversations; a=\"other\" counts every other.", "a", "b", "direction"),
		portPackets:   d("port_packets_total", "Frames to or from a transport port (the lower port of a frame names its service), for the top ports; port=\"other\" counts every other.", "proto", "port", "service", "direction"),
		portBytes:     d("port_bytes_total", "Bytes to or from a transport port, for the top ports; port=\"other\" counts every other.", "proto", "port", "service", "direction"),
		exportRecords: d("export_records_total", "Records sent by an exporter: IPFIX flow records, JSON lines.", "exporter"),
		exportErrors:  d("export_write_errors_total", "Failed writes of an exporter (a collector that refused, a full pipe).", "exporter"),
	}
	return m
}

// NewRegistry returns a registry of pktop's own (never the global one)
// with m and the process collector (pktop's CPU time and memory).
func NewRegistry(m *Metrics) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(m); err != nil {
		return nil, fmt.Errorf("register pktop metrics: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register process metrics: %w", err)
	}
	return reg, nil
}

// Keys returns the keys exported now: the Pump asks the model for their
// rows whatever their rank.
func (m *Metrics) Keys() []model.Key {
	m.mu.Lock()
	defer m.mu.Unlock()
	ks := make([]model.Key, 0, len(m.hosts.live)+len(m.convs.live)+len(m.ports.live))
	for _, t := range []*topSet{m.hosts, m.convs, m.ports} {
		for k := range t.live {
			ks = append(ks, k)
		}
	}
	return ks
}

// grow returns how much a cumulative value went up since old; after a
// reset, the whole new value.
func grow(new, old uint64, reset bool) uint64 {
	if reset || new < old {
		return new
	}
	return new - old
}

// Update adds the model's deltas to the counters.
func (m *Metrics) Update(d *model.Deltas) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := d.Summary
	old := m.last
	reset := old != nil && d.Resets != m.resets
	if old == nil {
		old = &model.Snapshot{}
	}
	c := &m.c
	c.total.Packets += grow(s.Total.Packets, old.Total.Packets, reset)
	c.total.Bytes += grow(s.Total.Bytes, old.Total.Bytes, reset)
	c.truncated += grow(s.Truncated, old.Truncated, reset)
	c.undecoded += grow(s.Undecoded, old.Undecoded, reset)
	c.nonIP += grow(s.NonIP, old.NonIP, reset)
	oldPlen := map[int64]uint64{}
	for _, b := range old.Plen {
		oldPlen[b.Lo] = b.Packets
	}
	for i, b := range s.Plen {
		if i < len(c.plen) {
			c.plen[i] += grow(b.Packets, oldPlen[b.Lo], reset)
		}
	}
	oldProto := map[protoLabel]model.Counts{}
	for _, p := range old.Protocols {
		oldProto[protoLabel{p.Name, p.Layer.String()}] = p.Counts
	}
	for _, p := range s.Protocols {
		l := protoLabel{p.Name, p.Layer.String()}
		pc := c.protos[l]
		if pc == nil {
			pc = &model.Counts{}
			c.protos[l] = pc
		}
		o := oldProto[l]
		pc.Packets += grow(p.Counts.Packets, o.Packets, reset)
		pc.Bytes += grow(p.Counts.Bytes, o.Bytes, reset)
	}
	// The capture-side counters are the sniffer's own: never reset.
	c.kernel, c.queue, c.filtered = s.Source.KernelDrops, s.Source.QueueDrops, s.Source.Filtered
	c.now = s.Now
	m.last, m.resets = s, d.Resets
	m.hosts.update(d.Hosts)
	m.convs.update(d.Convs)
	m.ports.update(d.Ports)
}

// Describe sends every Desc of m.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	d := &m.descs
	for _, x := range []*prometheus.Desc{d.packets, d.bytes, d.protoPackets, d.protoBytes, d.sizes, d.drops, d.filtered,
		d.truncated, d.undecoded, d.nonIP, d.clock, d.hostPackets, d.hostBytes, d.hostInfo, d.convPackets, d.convBytes,
		d.portPackets, d.portBytes, d.exportRecords, d.exportErrors} {
		ch <- x
	}
}

// Collect sends the current value of every series.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, c := &m.descs, &m.c
	counter := func(desc *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), labels...)
	}
	counter(d.packets, c.total.Packets)
	counter(d.bytes, c.total.Bytes)
	for l, pc := range c.protos {
		counter(d.protoPackets, pc.Packets, l.name, l.layer)
		counter(d.protoBytes, pc.Bytes, l.name, l.layer)
	}
	// Frame lengths are whole numbers: bucket [lo, next) is le="next-1".
	buckets := make(map[float64]uint64, len(c.plen)-1)
	var cum uint64
	for i := 0; i+1 < len(c.plen); i++ {
		cum += c.plen[i]
		buckets[float64(model.PlenBuckets[i+1]-1)] = cum
	}
	ch <- prometheus.MustNewConstHistogram(d.sizes, c.total.Packets, float64(c.total.Bytes), buckets)
	counter(d.drops, c.kernel, "kernel")
	counter(d.drops, c.queue, "pktop")
	counter(d.filtered, c.filtered)
	counter(d.truncated, c.truncated)
	counter(d.undecoded, c.undecoded)
	counter(d.nonIP, c.nonIP)
	ch <- prometheus.MustNewConstMetric(d.clock, prometheus.GaugeValue, float64(c.now)/1e9)

	for k, s := range m.hosts.live {
		h := k.A.String()
		counter(d.hostPackets, s.out.Packets, h, "sent")
		counter(d.hostPackets, s.in.Packets, h, "received")
		counter(d.hostBytes, s.out.Bytes, h, "sent")
		counter(d.hostBytes, s.in.Bytes, h, "received")
		if s.nameA != "" {
			ch <- prometheus.MustNewConstMetric(d.hostInfo, prometheus.GaugeValue, 1, h, s.nameA)
		}
	}
	o := &m.hosts.other
	counter(d.hostPackets, o.out.Packets, "other", "sent")
	counter(d.hostPackets, o.in.Packets, "other", "received")
	counter(d.hostBytes, o.out.Bytes, "other", "sent")
	counter(d.hostBytes, o.in.Bytes, "other", "received")

	conv := func(a, b string, s *keySeries) {
		counter(d.convPackets, s.out.Packets, a, b, "a_to_b")
		counter(d.convPackets, s.in.Packets, a, b, "b_to_a")
		counter(d.convBytes, s.out.Bytes, a, b, "a_to_b")
		counter(d.convBytes, s.in.Bytes, a, b, "b_to_a")
	}
	for k, s := range m.convs.live {
		conv(k.A.String(), k.B.String(), s)
	}
	conv("other", "other", &m.convs.other)

	// For a port, out is from the port (replies), in is to it.
	port := func(proto, port, service string, s *keySeries) {
		counter(d.portPackets, s.in.Packets, proto, port, service, "to_port")
		counter(d.portPackets, s.out.Packets, proto, port, service, "from_port")
		counter(d.portBytes, s.in.Bytes, proto, port, service, "to_port")
		counter(d.portBytes, s.out.Bytes, proto, port, service, "from_port")
	}
	for k, s := range m.ports.live {
		port(model.L4Name(k.L4), strconv.Itoa(int(k.Port)), s.service, s)
	}
	port("other", "other", "", &m.ports.other)

	for name, st := range m.stats {
		counter(d.exportRecords, st.Records.Load(), name)
		counter(d.exportErrors, st.Errors.Load(), name)
	}
}

// topSet follows the heaviest keys of one table.
type topSet struct {
	n    int
	live map[model.Key]*keySeries
	// retired keeps the counters of keys that left, so that a key back
	// continues from where it was (the oldest are forgotten past 4n).
	retired map[model.Key]*keySeries
	order   []model.Key
	other   keySeries
	// forgotten sums the counters of retired keys forgotten (for tests:
	// with it, every series ever exported sums to the traffic).
	forgotten keySeries
}

// keySeries is the counters of one exported key.
type keySeries struct {
	out, in model.Counts
	// score is a decaying sum of the key's bytes per update.
	score          float64
	nameA, service string
}

// decay is how much of its score a key keeps from one update to the
// next: a key that stops sending loses its place after a few seconds, a
// newcomer takes one only with more bytes in a second than the weakest
// key's score (several seconds of its traffic), so keys do not flap.
const decay = 0.8

func newTopSet(n int) *topSet {
	return &topSet{n: n, live: map[model.Key]*keySeries{}, retired: map[model.Key]*keySeries{}}
}

func addCounts(c *model.Counts, o model.Counts) {
	c.Packets += o.Packets
	c.Bytes += o.Bytes
}

func (s *keySeries) add(r *model.Row) {
	addCounts(&s.out, r.Out)
	addCounts(&s.in, r.In)
	s.score += float64(r.Out.Bytes + r.In.Bytes)
	// Learnt names are untrusted: inert text, bounded, in a label.
	if r.NameA != "" {
		s.nameA = model.Sanitize(r.NameA, 64)
	}
	if r.Service != "" {
		s.service = model.Sanitize(r.Service, 32)
	}
}

// update counts a table's deltas: rows of exported keys under their key,
// newcomers under a key when they take a place, the rest under other.
func (t *topSet) update(dt model.DeltaTable) {
	for _, s := range t.live {
		s.score *= decay
	}
	for i := range dt.Rows {
		r := &dt.Rows[i]
		if s, ok := t.live[r.Key]; ok {
			s.add(r)
			continue
		}
		if len(t.live) >= t.n {
			k, low := t.weakest()
			if float64(r.Total.Bytes) <= low.score {
				t.other.add(r)
				continue
			}
			t.retire(k)
		}
		s := t.retired[r.Key]
		if s == nil {
			s = &keySeries{}
		}
		delete(t.retired, r.Key)
		s.score = 0
		s.add(r)
		t.live[r.Key] = s
	}
	t.other.add(&dt.Other)
	t.other.score = 0
}

func (t *topSet) weakest() (model.Key, *keySeries) {
	var wk model.Key
	var w *keySeries
	for k, s := range t.live {
		if w == nil || s.score < w.score || (s.score == w.score && keyLess(k, wk)) {
			wk, w = k, s
		}
	}
	return wk, w
}

func keyLess(x, y model.Key) bool {
	if c := x.A.Compare(y.A); c != 0 {
		return c < 0
	}
	if c := x.B.Compare(y.B); c != 0 {
		return c < 0
	}
	if x.L4 != y.L4 {
		return x.L4 < y.L4
	}
	return x.Port < y.Port
}

func (t *topSet) retire(k model.Key) {
	t.retired[k] = t.live[k]
	delete(t.live, k)
	t.order = append(t.order, k)
	for len(t.retired) > 4*t.n && len(t.order) > 0 {
		if s, ok := t.retired[t.order[0]]; ok {
			addCounts(&t.forgotten.out, s.out)
			addCounts(&t.forgotten.in, s.in)
			delete(t.retired, t.order[0])
		}
		t.order = t.order[1:]
	}
}

// Serve serves the registry's metrics at path on addr (Prometheus text,
// or OpenMetrics when the scraper asks) until ctx is done, and a short
// page at /. It returns once the address is bound (the bound address,
// for ":0"), or the error binding it.
func Serve(ctx context.Context, addr, path string, reg *prometheus.Registry) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for Prometheus on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(path, promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	if path != "/" {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			fmt.Fprintf(w, "<html><head><title>pktop</title></head><body><h1>pktop</h1><p><a href=\"%s\">Metrics</a></p></body></html>\n", path)
		})
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			ln.Close()
		}
	}()
	return ln.Addr(), nil
}
