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
	flight := f.offsets.Add(end)
	f.mu.Unlock()
	b := &pipeline.Batch{Source: s.opts.Name, Origin: f.path, Offset: start, End: end, Bytes: end - start, Data: data, Cut: cut}
	s.batches.Add(1)
	b.Done = func() {
		defer s.batches.Done()
		f.mu.Lock()
		f.offsets.Done(flight)
		f.mu.Unlock()
		if pooled {
			s.putBuffer(data)
		}
	}
	s.progress.waiting()
	sent := pipeline.Send(ctx, s.out, b)
	s.progress.resume(s.now())
	if !sent {
		f.mu.Lock()
		f.offsets.Remove(flight)
		f.mu.Unlock()
		s.batches.Done()
		if pooled {
			s.putBuffer(data)
		}
		return false
	}
	return true
}
