package attrib

import (
	"bytes"
	"cmp"
	"math"
	"slices"
)

// The jobs a Tracker keeps: made for an instance or a project, looked up,
// evicted past their bound, listed.

// drop notes that the instance id, announced past MaxJobs, is not kept.
func (t *Tracker) drop(id []byte) {
	t.current = nil
	if !bytes.Equal(id, t.lastDropped) {
		t.DroppedJobs++
		t.lastDropped = append(t.lastDropped[:0], id...)
	}
}

// withoutInstance returns the job of no instance of project, made if new.
func (t *Tracker) withoutInstance(project []byte) *Job {
	if t.noJob == nil {
		t.noJob = make(map[string]*Job)
	}
	j, ok := t.noJob[string(project)]
	if ok {
		return j
	}
	if len(t.noJob) >= MaxProjectsWithoutJob {
		project = nil
		if j, ok := t.noJob[""]; ok {
			return j
		}
	}
	j = &Job{Project: string(project)}
	t.noJob[j.Project] = j
	t.noJobs = append(t.noJobs, j)
	return j
}

// job returns the job of instance id, made if new; nil past MaxJobs.
func (t *Tracker) job(id []byte) *Job {
	if j, ok := t.byID[string(id)]; ok {
		return j
	}
	if len(t.jobs) >= t.maxJobs {
		if !t.evict {
			t.drop(id)
			return nil
		}
		t.forgetOldest()
	}
	j := &Job{Instance: string(id)}
	t.byID[j.Instance] = j
	t.jobs = append(t.jobs, j)
	return j
}

// forgetOldest forgets the job named least recently (the current one is
// the most recent).
func (t *Tracker) forgetOldest() {
	oldest := 0
	for i, j := range t.jobs {
		if j.seen < t.jobs[oldest].seen {
			oldest = i
		}
	}
	j := t.jobs[oldest]
	delete(t.byID, j.Instance)
	t.jobs = slices.Delete(t.jobs, oldest, oldest+1)
	if t.current == j {
		t.current = nil
	}
	if t.next == j {
		t.next = nil
	}
	if t.watching == j {
		t.watching = nil
	}
	if t.lastCode == j {
		t.lastCode = nil
	}
	t.EvictedJobs++
}

// Jobs returns the jobs, those of no instance among them, in the order
// they failed (of their first code), then those without codes in the
// order they were announced.
func (t *Tracker) Jobs() []*Job {
	out := append(append([]*Job(nil), t.jobs...), t.noJobs...)
	for _, j := range out {
		if string(j.lastTime) != j.LastTime {
			j.LastTime = string(j.lastTime)
		}
	}
	// By their first code: the order in which they failed. A reader that
	// reads only the windows of codes sees a job when it fails, not
	// always when it was announced.
	failedAt := func(j *Job) int64 {
		if j.firstCode == 0 {
			return math.MaxInt64 // no code: last
		}
		return j.firstCode
	}
	slices.SortStableFunc(out, func(a, b *Job) int { return cmp.Compare(failedAt(a), failedAt(b)) })
	return out
}

// Failed returns the jobs that carry codes, in the order of Jobs.
func (t *Tracker) Failed() []*Job {
	var out []*Job
	for _, j := range t.Jobs() {
		if j.Failed() {
			out = append(out, j)
		}
	}
	return out
}
