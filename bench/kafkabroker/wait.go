package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// wait is `kafkabroker wait [flags]`: it watches an odpswatch that consumes
// the topic, from the outside, until every message is counted and committed.
//
// It polls odpswatch's /metrics every -every and notes when
//
//   - first: odpswatch_source_lines_total{source=S} was first above 0 (a
//     Kafka message is one line; lines are counted once scanned), with the
//     count then;
//   - counted: it reached -messages, and the sum of odpswatch_errors_total
//     {source=S} reached -codes;
//   - committed: from then on, at every poll, the group's committed offsets
//     (OffsetFetch to the broker, the group coordinator) equal every
//     partition's end offset. Commits are the only way odpswatch says a
//     message is done for good, so this is when the work is over.
//
// Each time is when the response that showed it was read: late by at most
// one poll. It then scrapes once more (the registry gathers its collectors
// concurrently, so the scrape that saw the last lines may have read the
// codes a moment earlier) and checks the counts are exact: messages and
// lines equal to -messages (more would mean messages read twice), codes to
// -codes. It prints one line, key=value pairs, times in Unix nanoseconds:
//
//	done first_ns=… first_lines=… counted_ns=… committed_ns=… lines=… codes=… messages=… commits=… polls=…
//
// Exit status: 0 when done and the counts are exact, 1 when they are not or
// -timeout passed (what was seen so far goes to stderr), 2 on a bad flag.
func wait(args []string) int {
	fs := flag.NewFlagSet("kafkabroker wait", flag.ContinueOnError)
	broker := fs.String("broker", "", "the broker's host:port (required)")
	topic := fs.String("topic", "odps-logs", "the topic consumed")
	group := fs.String("group", "", "odpswatch's consumer group (required)")
	metricsURL := fs.String("metrics", "", "odpswatch's /metrics URL (required)")
	source := fs.String("source", "kafka", "the name of odpswatch's Kafka source")
	messages := fs.Int64("messages", 0, "messages in the topic (required)")
	codes := fs.Int64("codes", -1, "codes odpswatch must count (required)")
	every := fs.Duration("every", 20*time.Millisecond, "polling period, 1ms to 1s")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long, 1s to 1h")
	pid := fs.Int("pid", 0, "odpswatch's process ID: give up at once if it exits (0: do not check)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage("wait: unexpected argument %q", fs.Arg(0))
	case *broker == "" || *group == "" || *metricsURL == "":
		return usage("wait: -broker, -group and -metrics are required")
	case !strings.HasPrefix(*metricsURL, "http://"):
		return usage("wait: -metrics %q: want an http:// URL", *metricsURL)
	case *messages < 1:
		return usage("wait: -messages is required, at least 1")
	case *codes < 0:
		return usage("wait: -codes is required, at least 0")
	case *every < time.Millisecond || *every > time.Second:
		return usage("wait: -every %v: want 1ms to 1s", *every)
	case *timeout < time.Second || *timeout > time.Hour:
		return usage("wait: -timeout %v: want 1s to 1h", *timeout)
	case *pid < 0:
		return usage("wait: -pid %d: want a process ID, or 0", *pid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	cl, err := kgo.NewClient(kgo.SeedBrokers(*broker))
	if err != nil {
		return fail("wait: %v", err)
	}
	defer cl.Close()
	ends, err := endOffsets(ctx, cl, *topic)
	if err != nil {
		return fail("wait: %v", err)
	}
	var total int64
	for _, e := range ends {
		total += e
	}
	if total != *messages {
		return fail("wait: topic %s holds %d messages, not -messages %d", *topic, total, *messages)
	}

	hc := &http.Client{Timeout: 5 * time.Second}
	var (
		s          scrape
		firstNs    int64
		firstLines int64
		countedNs  int64
		polls      int
		lastErr    error
		committed  map[int32]int64
	)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		polls++
		s, err = get(ctx, hc, *metricsURL, *source)
		now := time.Now().UnixNano()
		if err != nil {
			lastErr = err // odpswatch may not be listening yet
		} else {
			if firstNs == 0 && s.lines > 0 {
				firstNs, firstLines = now, s.lines
			}
			if countedNs == 0 && s.lines >= *messages && s.codes >= *codes {
				countedNs = now
			}
			if countedNs != 0 {
				committed, err = committedOffsets(ctx, cl, *group, *topic)
				if err != nil {
					lastErr = err
				} else if equal(committed, ends) {
					break
				}
			}
		}
		why := ""
		if *pid > 0 && !alive(*pid) {
			why = fmt.Sprintf("process %d exited", *pid)
		}
		select {
		case <-ctx.Done():
			why = fmt.Sprintf("not done after %v", *timeout)
		case <-tick.C:
		}
		if why != "" {
			fmt.Fprintf(os.Stderr, "kafkabroker: wait: %s: last seen lines=%d codes=%d messages=%d commits=%d; committed offsets %v of end offsets %v; last error: %v\n",
				why, s.lines, s.codes, s.messages, s.commits, committed, ends, lastErr)
			return 1
		}
	}
	committedNs := time.Now().UnixNano()
	final, err := get(ctx, hc, *metricsURL, *source)
	if err != nil {
		return fail("wait: the last scrape: %v", err)
	}
	fmt.Printf("done first_ns=%d first_lines=%d counted_ns=%d committed_ns=%d lines=%d codes=%d messages=%d commits=%d polls=%d\n",
		firstNs, firstLines, countedNs, committedNs, final.lines, final.codes, final.messages, final.commits, polls)
	if final.lines != *messages || final.messages != *messages || final.codes != *codes {
		return fail("wait: counts are not exact: lines %d and messages %d, want %d; codes %d, want %d",
			final.lines, final.messages, *messages, final.codes, *codes)
	}
	return 0
}

// scrape is what wait reads from /metrics for one source.
type scrape struct {
	lines, codes, messages, commits int64
}

// get scrapes url and sums the source's series it needs. An absent series
// counts as 0, as a counter not yet incremented does.
func get(ctx context.Context, hc *http.Client, url, source string) (scrape, error) {
	var s scrape
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return s, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	want := `source="` + source + `"`
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue // no labels: no source
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok || !hasLabel(labels, want) {
			continue
		}
		var dst *int64
		switch name {
		case "odpswatch_source_lines_total":
			dst = &s.lines
		case "odpswatch_errors_total":
			dst = &s.codes
		case "odpswatch_kafka_messages_total":
			dst = &s.messages
		case "odpswatch_kafka_commits_total":
			dst = &s.commits
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			return s, fmt.Errorf("/metrics: %q: %v", line, err)
		}
		*dst += int64(v)
	}
	return s, sc.Err()
}

// hasLabel reports whether the label pairs of a sample (`a="x",b="y"`)
// include want (`b="y"`). Label values here hold no commas or quotes.
func hasLabel(labels, want string) bool {
	for l := range strings.SplitSeq(labels, ",") {
		if l == want {
			return true
		}
	}
	return false
}

// committedOffsets returns the group's committed offset of every partition
// of topic that has one.
func committedOffsets(ctx context.Context, cl *kgo.Client, group, topic string) (map[int32]int64, error) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	// No topics: every partition the group has an offset for.
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("offset fetch: %w", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("offset fetch: %w", err)
	}
	out := make(map[int32]int64)
	for _, t := range resp.Topics {
		if t.Topic != topic {
			continue
		}
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("offset fetch: partition %d: %w", p.Partition, err)
			}
			if p.Offset >= 0 {
				out[p.Partition] = p.Offset
			}
		}
	}
	return out, nil
}

func equal(a, b map[int32]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// alive reports whether process pid runs: not gone, and not a zombie (its
// parent, the script, reaps it only after wait returns).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}
