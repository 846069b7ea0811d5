//go:build !linux

package procs

import "time"

// New starts a Resolver. Outside Linux there is no attribution: every end
// of every flow is answered Unsupported.
func New(cfg Config) (*Resolver, error) { return newResolver(cfg, &noEngine{}), nil }

type noEngine struct{ keys []FlowKey }

func (n *noEngine) resolve(keys []FlowKey, now time.Time) { n.keys = append(n.keys, keys...) }

func (n *noEngine) poll(now time.Time) []Answer {
	out := make([]Answer, len(n.keys))
	for i, k := range n.keys {
		out[i] = Answer{Key: k, Src: Owner{Reason: Unsupported}, Dst: Owner{Reason: Unsupported}}
	}
	n.keys = n.keys[:0]
	return out
}

func (n *noEngine) wake() time.Time { return time.Time{} }
func (n *noEngine) tick(time.Time)  {}
func (n *noEngine) stats(s *Stats)  {}
func (n *noEngine) close()          {}
