package filesource

import (
	"context"

	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// send hands lines [start, end) of f to the pipeline and registers them, so
// that f's position moves past them once they are counted. pooled says data
// is a pool buffer, to give back when the batch is done (a pending line has
// a buffer of its own, left to the collector).
func (s *Source) send(ctx context.Context, f *file, data []byte, start, end int64, cut, pooled bool) bool {
	f.mu.Lock()
	gen := f.generation
	ib := &inflight{end: end}
	f.inflight = append(f.inflight, ib)
	f.mu.Unlock()
	b := &pipeline.Batch{Source: s.opts.Name, Origin: f.path, Offset: start, End: end, Data: data, Cut: cut}
	s.batches.Add(1)
	b.Done = func() {
		defer s.batches.Done()
		f.commit(ib, gen)
		if pooled {
			s.putBuffer(data)
		}
	}
	s.progress.waiting()
	sent := pipeline.Send(ctx, s.out, b)
	s.progress.resume(s.now())
	if !sent {
		s.batches.Done()
		if pooled {
			s.putBuffer(data)
		}
		return false
	}
	return true
}

type inflight struct {
	end  int64
	done bool
}

// commit marks a batch counted and moves the committed offset past every
// batch counted before the first one still in flight.
func (f *file) commit(ib *inflight, gen int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen != f.generation {
		return
	}
	ib.done = true
	i := 0
	for ; i < len(f.inflight) && f.inflight[i].done; i++ {
		f.committed = f.inflight[i].end
	}
	f.inflight = f.inflight[i:]
}
