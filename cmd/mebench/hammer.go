package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// result is what a load run measured.
type result struct {
	n, errors int
	elapsed   time.Duration
	latencies []time.Duration // sorted; empty when wrk measured
	p50, p99  time.Duration
	firstErr  error
	loadgen   string // "wrk" or "go"
}

func (r result) perSecond() float64 {
	if r.elapsed == 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

func (r result) rate() string {
	s := fmt.Sprintf("%.0f/s", r.perSecond())
	if r.errors > 0 {
		s += fmt.Sprintf(" (%d failed: %v)", r.errors, r.firstErr)
	}
	return s
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func (r result) latency() string {
	return fmt.Sprintf("p50 %v, p99 %v", roundLatency(r.p50), roundLatency(r.p99))
}

func roundLatency(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}

// hammer runs do from conns workers for d, as fast as each gets answers,
// and records every call's latency. A call that fails counts as an error,
// not as done.
func hammer(ctx context.Context, conns int, d time.Duration, do func(ctx context.Context, worker, i int) error) result {
	return paced(ctx, conns, d, 0, do)
}

// paced is hammer at most perSecond calls a second in all (0: no limit).
func paced(ctx context.Context, conns int, d time.Duration, perSecond float64, do func(ctx context.Context, worker, i int) error) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu  sync.Mutex
		all result
		wg  sync.WaitGroup
	)
	start := time.Now()
	var interval time.Duration
	if perSecond > 0 {
		interval = time.Duration(float64(conns) / perSecond * float64(time.Second))
	}
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var own result
			next := time.Now()
			for i := 0; ctx.Err() == nil; i++ {
				if interval > 0 {
					next = next.Add(interval)
					if wait := time.Until(next); wait > 0 {
						select {
						case <-ctx.Done():
						case <-time.After(wait):
						}
					}
					if ctx.Err() != nil {
						break
					}
				}
				t := time.Now()
				err := do(ctx, w, i)
				if ctx.Err() != nil && err != nil {
					break // cut by the end of the run, not failed
				}
				if err != nil {
					own.errors++
					if own.firstErr == nil {
						own.firstErr = err
					}
					continue
				}
				own.n++
				own.latencies = append(own.latencies, time.Since(t))
			}
			mu.Lock()
			all.n += own.n
			all.errors += own.errors
			all.latencies = append(all.latencies, own.latencies...)
			if all.firstErr == nil {
				all.firstErr = own.firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	slices.Sort(all.latencies)
	all.p50, all.p99 = quantile(all.latencies, 0.5), quantile(all.latencies, 0.99)
	all.loadgen = "go"
	return all
}
