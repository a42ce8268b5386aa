package kafkasource

import (
	"context"
	"testing"

	"github.com/odpswatch/odpswatch/internal/testwait"
)

// waitSignal waits for a taker to start waiting, with a deadline.
func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	testwait.Receive(t, waitTimeout, what, ch)
}

// Found by review: a message larger than the budget waits for it to empty,
// and other partitions' small messages must not keep it from emptying.
func TestBudgetServesWaitersInTurn(t *testing.T) {
	b := newBudget(10)
	waiting := make(chan struct{}, 4)
	b.waiting = func() { waiting <- struct{}{} }
	if !b.tryTake(10) {
		t.Fatal("10 bytes do not fit an empty budget of 10")
	}
	big := make(chan bool)
	go func() { big <- b.take(context.Background(), 100) }()
	waitSignal(t, waiting, "the large message to wait")
	b.give(5) // room for small ones, not for the large one
	if b.tryTake(1) {
		t.Fatal("a small message went past the large one waiting")
	}
	small := make(chan bool)
	go func() { small <- b.take(context.Background(), 1) }()
	waitSignal(t, waiting, "the small message to wait its turn")
	b.give(5)
	if !<-big {
		t.Fatal("the large message was not taken")
	}
	if n := b.inUse(); n != 100 {
		t.Fatalf("%d bytes in use, want the large message's 100 alone", n)
	}
	b.give(100)
	if !<-small {
		t.Fatal("the small message was not taken after the large one")
	}
}

// A waiter that gives up hands its turn on.
func TestBudgetWaiterGivesUp(t *testing.T) {
	b := newBudget(10)
	waiting := make(chan struct{}, 4)
	b.waiting = func() { waiting <- struct{}{} }
	b.tryTake(10)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan bool)
	go func() { first <- b.take(ctx, 5) }()
	waitSignal(t, waiting, "the first waiter")
	second := make(chan bool)
	go func() { second <- b.take(context.Background(), 5) }()
	waitSignal(t, waiting, "the second waiter")
	cancel()
	if <-first {
		t.Fatal("a waiter whose context ended took bytes")
	}
	b.give(10)
	if !<-second {
		t.Fatal("the second waiter did not get the turn the first gave up")
	}
	if n := b.inUse(); n != 5 {
		t.Fatalf("%d bytes in use, want 5", n)
	}
}
