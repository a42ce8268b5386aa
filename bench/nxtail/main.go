// Command nxtail follows one file with github.com/nxadm/tail (v1.4.11) and
// prints every line it delivers to stdout. It is the baseline the file
// source's rotation tests compare against (internal/filesource,
// TestNxadmTailBaseline; results in bench/rotation.md).
//
// It runs as a process of its own because nxadm/tail can call os.Exit(1)
// from inside the library (util.Fatal on some stat errors and when no
// inotify watcher can be made).
//
//	nxtail [-poll] [-start beginning|end] [-complete=false] PATH
//
// The configuration is the one a user reaches for to follow a log across
// rotation, like `tail -F`: Follow, ReOpen, MustExist false. -complete sets
// CompleteLines, so that a line caught half written is not delivered in two
// pieces. nxadm/tail's own messages ("Re-opening moved/deleted file ...")
// go to stderr.
//
// SIGTERM or SIGINT stops it: the lines already delivered are flushed and it
// exits 0. Stop is bounded (nxadm/tail's Stop can hang, hpcloud/tail#75); if
// the library gives up on the file by itself, nxtail reports why on stderr
// and exits 1.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nxadm/tail"
)

// flushEvery bounds how long a delivered line waits in stdout's buffer.
const flushEvery = 20 * time.Millisecond

// stopTimeout bounds the wait for nxadm/tail's Stop.
const stopTimeout = 2 * time.Second

type config struct {
	path     string
	poll     bool
	fromEnd  bool
	complete bool
}

func main() {
	fs := flag.NewFlagSet("nxtail", flag.ContinueOnError)
	poll := fs.Bool("poll", false, "poll for changes instead of inotify")
	start := fs.String("start", "beginning", "where to start in a file that exists: beginning or end")
	complete := fs.Bool("complete", true, "deliver complete lines only (CompleteLines)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: nxtail [-poll] [-start beginning|end] [-complete=false] PATH")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() != 1 || (*start != "beginning" && *start != "end") {
		fs.Usage()
		os.Exit(2)
	}
	cfg := config{path: fs.Arg(0), poll: *poll, fromEnd: *start == "end", complete: *complete}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "nxtail:", err)
		os.Exit(1)
	}
}

// run follows cfg.path and writes its lines to out until ctx is done (then
// it returns nil) or nxadm/tail stops by itself (then it returns why).
func run(ctx context.Context, cfg config, out, logw io.Writer) error {
	loc := &tail.SeekInfo{Offset: 0, Whence: io.SeekStart}
	if cfg.fromEnd {
		loc = &tail.SeekInfo{Offset: 0, Whence: io.SeekEnd}
	}
	t, err := tail.TailFile(cfg.path, tail.Config{
		Follow: true, ReOpen: true, MustExist: false, Poll: cfg.poll,
		Location: loc, CompleteLines: cfg.complete,
		Logger: newLogger(logw),
	})
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 64<<10)
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	for {
		select {
		case l, ok := <-t.Lines:
			if !ok {
				w.Flush()
				if err := t.Err(); err != nil {
					return err
				}
				return errors.New("nxadm/tail stopped by itself")
			}
			if l.Err != nil {
				fmt.Fprintln(logw, "nxadm/tail:", l.Err)
				continue
			}
			w.WriteString(l.Text)
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
		case <-flush.C:
			if err := w.Flush(); err != nil {
				return err
			}
		case <-ctx.Done():
			stopped := make(chan struct{})
			go func() { t.Stop(); close(stopped) }()
			// Lines keep coming until Stop has taken effect; they were
			// delivered, so they are printed.
			deadline := time.After(stopTimeout)
			lines := t.Lines
		drain:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						lines = nil
					} else if l.Err == nil {
						w.WriteString(l.Text)
						w.WriteByte('\n')
					}
				case <-stopped:
					break drain
				case <-deadline:
					fmt.Fprintln(logw, "nxtail: nxadm/tail's Stop did not return; exiting anyway")
					break drain
				}
			}
			return w.Flush()
		}
	}
}

// newLogger gives nxadm/tail a logger that writes to w.
func newLogger(w io.Writer) *log.Logger { return log.New(w, "nxadm/tail: ", log.LstdFlags) }
