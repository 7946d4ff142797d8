// Tables: readiness, the one row the readiness check writes to learn that
// the database takes writes. And what the writers of received data (signals,
// audit rows) met at their last commit, for the same check. It does not
// decide readiness: the server weighs both.

package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/minaengagemang/me"
)

// ProbeWrite writes and commits the readiness row, naming node and now: a
// real write, so that a database that is read-only, out of space or
// otherwise refusing writes fails it, where a ping succeeds.
func (s *Store) ProbeWrite(ctx context.Context, node string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`
		INSERT INTO readiness (id, node, written_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET node = excluded.node, written_at = excluded.written_at`),
		node, timestamp{now})
	if err != nil {
		return fmt.Errorf("store: readiness write: %w", err)
	}
	return nil
}

// WriteStatus is what the writers of received data met: the signal writer
// and the audit writer, whose commits are what ME is sent and what it must
// record before it answers.
type WriteStatus struct {
	// Failed counts the commits that failed since the store was opened:
	// a new failure changes it even while Err stays set.
	Failed uint64
	// Err is the last commit's error; nil when it succeeded, or when
	// there was none.
	Err error
}

// WriteStatus returns what the writers of received data met last.
func (s *Store) WriteStatus() WriteStatus {
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	return s.writes.status
}

// writeStatus is WriteStatus as the writers update it.
type writeStatus struct {
	mu     sync.Mutex
	status WriteStatus
}

// noteCommit records a writer's commit: nil succeeded; a refusal of what
// was sent (*me.Error) says nothing about the database and changes nothing;
// any other error is a failed commit.
func (w *writeStatus) noteCommit(err error) {
	var refused *me.Error
	if errors.As(err, &refused) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.status.Failed++
	}
	w.status.Err = err
}
