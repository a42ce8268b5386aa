package kafkasource

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/odpswatch/odpswatch/internal/offsets"
	"github.com/segmentio/kafka-go"
)

type tp struct {
	topic string
	id    int
}

// generation is one consumer group generation as this member sees it: the
// partitions assigned and what is in flight for them.
type generation struct {
	id       int32
	groupID  string
	memberID string
	parts    map[tp]*partition // fixed once made

	pending atomic.Int64  // batches sent and not done
	doneCh  chan struct{} // a batch got done (cap 1)
	// idleCh says the member may have caught up (cap 1): the last batch
	// in flight got done, or a partition was read to its end.
	idleCh chan struct{}
}

func newGeneration(gen *kafka.Generation) *generation {
	g := &generation{id: gen.ID, groupID: gen.GroupID, memberID: gen.MemberID,
		parts: make(map[tp]*partition), doneCh: make(chan struct{}, 1), idleCh: make(chan struct{}, 1)}
	for topic, as := range gen.Assignments {
		for _, a := range as {
			k := tp{topic, a.ID}
			p := &partition{tp: k, g: g, origin: topic + "/" + strconv.Itoa(a.ID),
				next: a.Offset, offsets: offsets.New(-1), committed: -1}
			if a.Offset >= 0 {
				// The group's committed offset: nothing to commit until it moves.
				p.offsets.Reset(a.Offset)
				p.committed = a.Offset
			}
			g.parts[k] = p
		}
	}
	return g
}

// wait waits up to d for every batch sent to be done; it reports whether
// they all were.
func (g *generation) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for g.pending.Load() > 0 {
		select {
		case <-g.doneCh:
		case <-t.C:
			return g.pending.Load() == 0
		}
	}
	return true
}

// release makes batches done from now on commit nothing: the partitions are
// given up. It returns how many were still in flight.
func (g *generation) release() int {
	n := 0
	for _, p := range g.parts {
		p.mu.Lock()
		p.released = true
		n += p.offsets.Abandon()
		p.mu.Unlock()
	}
	return n
}

// partition is one assigned partition: where reading is, and the batches in
// flight, in offset order, with the offset that can be committed.
type partition struct {
	tp
	g      *generation
	origin string // "topic/partition"

	mu        sync.Mutex
	offsets   *offsets.Tracker // the batches in flight; Committed: every message before it is counted (-1: unknown)
	committed int64            // committed to the group (-1: nothing known)
	released  bool             // given up: batches done now commit nothing

	// Reading state, written by the partition's fetcher and read by the
	// stall check.
	next         int64 // next offset to read (or kafka.FirstOffset/LastOffset until known)
	lastProgress time.Time
	sending      bool               // waiting on the pipeline or the budget: not a stall
	restart      context.CancelFunc // ends the current connection
	// atEnd says the last fetch read the partition to its high watermark.
	atEnd atomic.Bool
}

// register records a batch ending at end as sent, before it is.
func (p *partition) register(end int64) *offsets.Flight {
	p.mu.Lock()
	f := p.offsets.Add(end)
	p.mu.Unlock()
	p.g.pending.Add(1)
	return f
}

// unregister forgets f, the last batch registered, which could not be sent.
func (p *partition) unregister(f *offsets.Flight) {
	p.mu.Lock()
	p.offsets.Remove(f)
	p.mu.Unlock()
	p.g.batchLeft()
}

// done marks f counted: the partition's committable offset moves past
// every batch done in order (unless it was given up).
func (p *partition) done(f *offsets.Flight) {
	p.mu.Lock()
	first := p.offsets.Done(f)
	p.mu.Unlock()
	if first {
		p.g.batchLeft()
	}
}

// committable reports whether a partition's committable offset moved past
// what was committed.
func (g *generation) committable() bool {
	for _, p := range g.parts {
		p.mu.Lock()
		moved := p.offsets.Committed() > p.committed
		p.mu.Unlock()
		if moved {
			return true
		}
	}
	return false
}

// batchLeft counts a batch in flight no longer.
func (g *generation) batchLeft() {
	if g.pending.Add(-1) == 0 {
		g.mayBeIdle()
	}
	g.notify()
}

// readToEnd records whether p's last fetch read it to its end.
func (p *partition) readToEnd(atEnd bool) {
	p.atEnd.Store(atEnd)
	if atEnd {
		p.g.mayBeIdle()
	}
}

func (g *generation) mayBeIdle() {
	select {
	case g.idleCh <- struct{}{}:
	default:
	}
}

// caughtUp reports whether every partition was read to its end and every
// batch sent is done: what is committable is all there is for now.
func (g *generation) caughtUp() bool {
	if g.pending.Load() != 0 {
		return false
	}
	for _, p := range g.parts {
		if !p.atEnd.Load() {
			return false
		}
	}
	return true
}

func (g *generation) notify() {
	select {
	case g.doneCh <- struct{}{}:
	default:
	}
}
