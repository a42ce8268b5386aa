// Package offsets says how far an ordered stream read in batches (a file,
// a Kafka partition) may be committed: up to the end of the last batch
// before the first one not yet done. The pipeline finishes batches in any
// order; the committed offset only moves in the stream's order, so that a
// restart resumes after what was counted and never skips a batch still in
// flight. Both sources use it: one Tracker per file, one per partition.
//
// A Tracker is not safe for concurrent use: its owner's lock guards it
// (the file's, the partition's), as it guards what goes with the offset.
package offsets

// Tracker follows the batches of one stream in flight.
type Tracker struct {
	committed int64
	flights   []*Flight // sent and not yet committable, in stream order
	epoch     int       // Reset and Abandon start a new one
	abandoned bool
}

// Flight is one batch in flight, from Add to Done.
type Flight struct {
	end   int64
	epoch int
	done  bool
}

// New returns a tracker of a stream committed up to committed (-1 for
// "not known yet", as a Kafka partition the group has no offset for).
func New(committed int64) *Tracker { return &Tracker{committed: committed} }

// Committed is the offset the stream may be committed up to.
func (t *Tracker) Committed() int64 { return t.committed }

// Add registers a batch that ends at end, before it is sent: batches are
// added in stream order.
func (t *Tracker) Add(end int64) *Flight {
	f := &Flight{end: end, epoch: t.epoch}
	if !t.abandoned {
		t.flights = append(t.flights, f)
	}
	return f
}

// Remove forgets f, the last batch added, which could not be sent.
func (t *Tracker) Remove(f *Flight) {
	if n := len(t.flights); n > 0 && t.flights[n-1] == f {
		t.flights = t.flights[:n-1]
	}
}

// Done marks f's batch counted and moves the committed offset past every
// batch done before the first still in flight. A batch of an earlier
// epoch (before a Reset or an Abandon) moves nothing. It reports whether
// f was not done already.
func (t *Tracker) Done(f *Flight) bool {
	if f.done {
		return false
	}
	f.done = true
	if f.epoch != t.epoch || t.abandoned {
		return true
	}
	i := 0
	for ; i < len(t.flights) && t.flights[i].done; i++ {
		t.committed = t.flights[i].end
	}
	t.flights = t.flights[i:]
	return true
}

// Reset starts the stream again at committed (a truncated file, a
// position restored or resolved): the batches in flight commit nothing.
func (t *Tracker) Reset(committed int64) {
	t.epoch++
	t.flights = nil
	t.committed = committed
	t.abandoned = false
}

// Abandon gives the stream up (a partition taken by a rebalance): nothing
// done from now on moves the committed offset. It returns how many
// batches were in flight.
func (t *Tracker) Abandon() int {
	n := len(t.flights)
	t.epoch++
	t.flights = nil
	t.abandoned = true
	return n
}
