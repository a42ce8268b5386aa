package pipeline

import "testing"

// A batch whose origin's earlier batches are not attributed is parked,
// and leave hands it to whoever attributes the one before it, in order;
// one whose turn it is enters at once.
func TestStreamParksBatchesUntilTheirTurn(t *testing.T) {
	st := stream{sent: 4} // four batches dispatched
	w1, w2, w3 := &batchWork{}, &batchWork{}, &batchWork{}
	if !st.enter(0, &batchWork{}) {
		t.Fatal("the first batch did not enter")
	}
	if st.enter(2, w2) || st.enter(1, w1) {
		t.Fatal("a batch entered before the one before it was attributed")
	}
	if got := st.leave(); got != w1 {
		t.Fatalf("leaving batch 0 gave %p, want batch 1's work %p", got, w1)
	}
	if got := st.leave(); got != w2 {
		t.Fatalf("leaving batch 1 gave %p, want batch 2's work %p", got, w2)
	}
	if got := st.leave(); got != nil {
		t.Fatalf("leaving batch 2 gave %p, want nothing (batch 3 not here yet)", got)
	}
	if !st.enter(3, w3) {
		t.Fatal("batch 3 did not enter in its turn")
	}
	if got := st.leave(); got != nil || len(st.parked) != 0 || !st.idle() {
		t.Fatalf("after the last batch: next %p, %d parked, idle %v", got, len(st.parked), st.idle())
	}
}
