package offsets

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestDoneInAnyOrderCommitsInOrder(t *testing.T) {
	tr := New(0)
	a, b, c := tr.Add(10), tr.Add(25), tr.Add(40)
	if !tr.Done(b) || tr.Committed() != 0 {
		t.Fatalf("b done first: committed %d, want 0 (a is in flight)", tr.Committed())
	}
	if tr.Done(b) {
		t.Error("b done twice reported as new")
	}
	tr.Done(a)
	if tr.Committed() != 25 || len(tr.flights) != 1 {
		t.Fatalf("a and b done: committed %d, %d in flight; want 25, 1", tr.Committed(), len(tr.flights))
	}
	tr.Done(c)
	if tr.Committed() != 40 || len(tr.flights) != 0 {
		t.Fatalf("all done: committed %d, %d in flight", tr.Committed(), len(tr.flights))
	}
}

func TestResetAndAbandon(t *testing.T) {
	tr := New(-1)
	old := tr.Add(100)
	tr.Reset(0) // truncated: the old batch commits nothing
	f := tr.Add(20)
	tr.Done(old)
	if tr.Committed() != 0 {
		t.Fatalf("a batch of the old content moved the offset to %d", tr.Committed())
	}
	tr.Done(f)
	if tr.Committed() != 20 {
		t.Fatalf("committed %d, want 20", tr.Committed())
	}
	g := tr.Add(30)
	h := tr.Add(35)
	tr.Remove(h) // not sent
	if n := tr.Abandon(); n != 1 {
		t.Errorf("abandoned %d in flight, want 1", n)
	}
	if !tr.Done(g) || tr.Committed() != 20 {
		t.Errorf("a batch done after Abandon moved the offset to %d", tr.Committed())
	}
	tr.Done(tr.Add(50))
	if tr.Committed() != 20 || len(tr.flights) != 0 {
		t.Errorf("a batch added after Abandon: committed %d, %d in flight", tr.Committed(), len(tr.flights))
	}
}

// TestCommittedIsThePrefixDone: whatever the order batches are done in,
// the offset is the end of the longest prefix of batches done.
func TestCommittedIsThePrefixDone(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		tr := New(0)
		n := 1 + r.IntN(20)
		fs := make([]*Flight, n)
		for i := range fs {
			fs[i] = tr.Add(int64(10 * (i + 1)))
		}
		done := make([]bool, n)
		for _, i := range r.Perm(n) {
			tr.Done(fs[i])
			done[i] = true
			prefix := slices.Index(done, false)
			if prefix < 0 {
				prefix = n
			}
			if want := int64(10 * prefix); tr.Committed() != want {
				t.Fatalf("done %v: committed %d, want %d", done, tr.Committed(), want)
			}
		}
	}
}
