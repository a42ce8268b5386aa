package sink

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// BenchmarkKafkaEvents publishes events to a kfake broker on loopback, in
// the test process (which shares the two cores with it), from two
// publishers in batches of 100 as the pipeline's workers would, and waits
// for every batch to be acknowledged. "blackhole" has the broker discard
// what it receives, leaving the sink's and kafka-go's own cost.
func BenchmarkKafkaEvents(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []kfake.Opt
	}{{"broker", nil}, {"blackhole", []kfake.Opt{kfake.BlackholeProduce()}}} {
		b.Run(bc.name, func(b *testing.B) {
			c := newKafkaCluster(b, bc.opts...)
			k, _ := newKafkaSink(b, c.ListenAddrs(), func(o *KafkaEventsOptions) { o.BatchTimeout = 0 })
			stop := runKafka(b, k)
			const batch, publishers = 100, 2
			evs := kafkaTestEvents(0, batch) // published again and again: the sink only reads them
			one, _ := json.Marshal(evs[0])
			b.SetBytes(int64(len(one)))
			b.ReportAllocs()
			var acked sync.WaitGroup
			work := make(chan int, publishers)
			var pubs sync.WaitGroup
			for range publishers {
				pubs.Go(func() {
					for n := range work {
						acked.Add(1)
						k.Publish(evs[:n], acked.Done)
					}
				})
			}
			b.ResetTimer()
			for left := b.N; left > 0; left -= batch {
				work <- min(left, batch)
			}
			close(work)
			pubs.Wait()
			acked.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if err := stop(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
