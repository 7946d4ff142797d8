// Tables: notifications and reminders. The planners turn outbox rows
// (outbox.go) and unread completions into notifications, built by the
// caller from the citizen's profile (citizens.go), and the senders claim
// them and record how sending went. It does not know how a notification is
// built or sent.

package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

// PlanFunc makes the notifications (at most one per channel, none when the
// citizen has no channel or no contact details) for one citizen and one
// organisation. known is false when ME has no profile for the citizen; p is
// then me.DefaultProfile. It runs inside the planning transaction: it must
// be quick and must not use the store.
//
// The store sets Kind, PersonalIdentityNumber and OrganisationNumber, and
// Created to the planning time; the caller sets Channel, To, Subject, Text,
// IdempotencyKey (unique over all notifications ever) and NextAttempt (zero
// means at once).
type PlanFunc = func(p me.CitizenProfile, organisationNumber string, known bool) []me.Notification

// pgNotifyLockSpace is the first key of the pg_advisory_xact_lock(int, int)
// taken per citizen and organisation while planning ("me.n" in ASCII). The
// two-key space does not overlap Migrate's one-key lock.
const pgNotifyLockSpace = 0x6d652e6e

type notificationRow struct {
	ID                     int64                `db:"id"`
	Kind                   me.NotificationKind  `db:"kind"`
	PersonalIdentityNumber string               `db:"personal_identity_number"`
	OrganisationNumber     string               `db:"organisation_number"`
	Channel                string               `db:"channel"`
	Recipient              string               `db:"recipient"`
	Subject                string               `db:"subject"`
	Body                   string               `db:"body"`
	IdempotencyKey         string               `db:"idempotency_key"`
	State                  me.NotificationState `db:"state"`
	Attempts               int                  `db:"attempts"`
	NextAttemptAt          timestamp            `db:"next_attempt_at"`
	LastError              string               `db:"last_error"`
	CreatedAt              timestamp            `db:"created_at"`
	SentAt                 nullTimestamp        `db:"sent_at"`
	ReplyTo                string               `db:"reply_to"`
}

const notificationColumns = `
	id, kind, personal_identity_number, organisation_number, channel, recipient, subject, body,
	idempotency_key, state, attempts, next_attempt_at, last_error, created_at, sent_at, reply_to`

func (r notificationRow) notification() me.Notification {
	return me.Notification{
		ID:                     r.ID,
		Kind:                   r.Kind,
		PersonalIdentityNumber: r.PersonalIdentityNumber,
		OrganisationNumber:     r.OrganisationNumber,
		Channel:                me.NotificationChannel(r.Channel),
		To:                     r.Recipient,
		Subject:                r.Subject,
		Text:                   r.Body,
		ReplyTo:                r.ReplyTo,
		IdempotencyKey:         r.IdempotencyKey,
		State:                  r.State,
		Attempts:               r.Attempts,
		NextAttempt:            r.NextAttemptAt.Time,
		LastError:              r.LastError,
		Created:                r.CreatedAt.Time,
		Sent:                   r.SentAt.Ptr(),
	}
}

func notifications(rows []notificationRow) []me.Notification {
	ns := make([]me.Notification, len(rows))
	for i, r := range rows {
		ns[i] = r.notification()
	}
	return ns
}

// PlanNotifications turns up to limit pending 'event' outbox rows that are
// due at now, oldest first, into notifications, in one transaction, and
// returns how many notifications it inserted. The rows are grouped by
// citizen and organisation; for each group:
//
//   - when an 'event' notification to the citizen about the organisation
//     was created less than window before now (or later: another node's
//     clock may be ahead), the rows are skipped with last_error "coalesced"
//     (reminders and handler mails do not count);
//   - otherwise build is called with the citizen's profile (me.DefaultProfile
//     and known false when ME has none). When it returns nothing the rows
//     are skipped with last_error "no contact details"; when a notification
//     it returns is invalid (channel not sms or email, at most one of each;
//     no recipient or idempotency key) the rows fail with last_error saying
//     why; otherwise its notifications are inserted pending and the rows are
//     sent.
//
// Concurrent planners, on one node or several, never plan one row twice and
// never both notify a citizen about an organisation within the window:
// PostgreSQL claims rows with FOR UPDATE SKIP LOCKED and serialises the
// check-and-insert per citizen and organisation with a transaction-scoped
// advisory lock; SQLite has one writer. An idempotency key that is already
// taken is a Conflict error. limit must be positive.
func (s *Store) PlanNotifications(ctx context.Context, now time.Time, window time.Duration, limit int, build PlanFunc) (planned int, err error) {
	if limit <= 0 || build == nil {
		return 0, fmt.Errorf("store: plan notifications: limit %d must be positive and build set", limit)
	}
	now = dbTime(now)
	err = retry(ctx, func() error {
		planned = 0
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			rows, err := claimOutbox(ctx, tx, s.driver, now, limit)
			if err != nil {
				return fmt.Errorf("claim outbox: %w", err)
			}
			type key struct{ pnr, org string }
			groups := map[key][]int64{}
			for _, r := range rows {
				k := key{r.PersonalIdentityNumber, r.OrganisationNumber}
				groups[k] = append(groups[k], r.ID)
			}
			// In one order on every node, so that the advisory locks are
			// taken in one order and cannot deadlock.
			keys := slices.SortedFunc(func(yield func(key) bool) {
				for k := range groups {
					if !yield(k) {
						return
					}
				}
			}, func(a, b key) int {
				return cmp.Or(cmp.Compare(a.pnr, b.pnr), cmp.Compare(a.org, b.org))
			})
			for _, k := range keys {
				n, err := s.planGroup(ctx, tx, now, window, k.pnr, k.org, groups[k], build)
				if err != nil {
					return err
				}
				planned += n
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: plan notifications: %w", err)
	}
	return planned, nil
}

// planGroup plans the outbox rows ids of one citizen and organisation.
func (s *Store) planGroup(ctx context.Context, tx *sqlx.Tx, now time.Time, window time.Duration,
	pnr, org string, ids []int64, build PlanFunc) (int, error) {
	if s.driver == DriverPostgres {
		// Held until commit: a planner of the same citizen and organisation
		// on another node waits here, and its check below then sees the
		// notifications this one inserted.
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(CAST($1 AS integer), hashtext($2))`,
			pgNotifyLockSpace, pnr+"/"+org)
		if err != nil {
			return 0, fmt.Errorf("lock citizen: %w", err)
		}
	}
	var recent int
	err := tx.GetContext(ctx, &recent, tx.Rebind(`
		SELECT count(*) FROM notifications
		WHERE personal_identity_number = ? AND organisation_number = ? AND created_at > ? AND kind = ?`),
		pnr, org, timestamp{now.Add(-window)}, me.NotifyEvent)
	if err != nil {
		return 0, fmt.Errorf("find recent notifications: %w", err)
	}
	if recent > 0 {
		return 0, markOutbox(ctx, tx, ids, outboxSkipped, SkipCoalesced, now)
	}

	p, known, err := profileTx(ctx, tx, pnr)
	if err != nil {
		return 0, err
	}
	ns := build(p, org, known)
	if len(ns) == 0 {
		return 0, markOutbox(ctx, tx, ids, outboxSkipped, SkipNoContactDetails, now)
	}
	if err := validNotifications(ns); err != nil {
		return 0, markOutbox(ctx, tx, ids, outboxFailed, err.Error(), now)
	}
	for _, n := range ns {
		if err := insertNotification(ctx, tx, me.NotifyEvent, pnr, org, n, now); err != nil {
			return 0, err
		}
	}
	return len(ns), markOutbox(ctx, tx, ids, outboxSent, "", now)
}

// validNotifications checks what a PlanFunc returned.
func validNotifications(ns []me.Notification) error {
	seen := map[me.NotificationChannel]bool{}
	for _, n := range ns {
		switch {
		case n.Channel != me.NotifySMS && n.Channel != me.NotifyEmail:
			return fmt.Errorf("invalid notification: channel %q (want sms or email)", n.Channel)
		case seen[n.Channel]:
			return fmt.Errorf("invalid notification: two on channel %s", n.Channel)
		case n.To == "":
			return fmt.Errorf("invalid notification: no recipient on channel %s", n.Channel)
		case n.IdempotencyKey == "":
			return fmt.Errorf("invalid notification: no idempotency key on channel %s", n.Channel)
		}
		seen[n.Channel] = true
	}
	return nil
}

// insertNotification inserts n pending, created at now, due at
// n.NextAttempt (now when zero).
func insertNotification(ctx context.Context, tx *sqlx.Tx, kind me.NotificationKind, pnr, org string, n me.Notification, now time.Time) error {
	next := n.NextAttempt
	if next.IsZero() {
		next = now
	}
	columns := `kind, personal_identity_number, organisation_number, channel, recipient, subject, body,
			idempotency_key, state, next_attempt_at, created_at`
	values := `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
	args := []any{kind, pnr, org, string(n.Channel), n.To, n.Subject, n.Text,
		n.IdempotencyKey, me.NotificationPending, timestamp{next}, timestamp{now}}
	if n.ReplyTo != "" {
		// Only a handler mail with its own reply address (0012) names one,
		// so the migration tests can queue one on an older schema.
		columns, values, args = columns+`, reply_to`, values+`, ?`, append(args, n.ReplyTo)
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notifications (`+columns+`) VALUES (`+values+`)`), args...)
	if uniqueViolation(err) {
		// Not retryable: the key is the caller's, and it is taken.
		return me.Errorf(me.CodeConflict, "notification idempotency key %q is taken", n.IdempotencyKey)
	}
	if err != nil {
		return fmt.Errorf("insert %s notification: %w", n.Channel, err)
	}
	return nil
}

// PlanReminders reminds citizens of completions (komplettering) they have
// not got to: for every event created before now-after with an available
// complete action, and every citizen of its case who has not read it and
// has had no reminder of it, it records the reminder and inserts the
// notifications build returns (kind "reminder"; none when the citizen has
// no channel or contact details; PlanFunc describes build). It returns how
// many notifications it inserted.
//
// Each (event, citizen) is reminded once, ever, whatever build returned and
// however many nodes plan at once: the reminders table's key decides, and a
// concurrent planner that lost the race skips the pair. Invalid
// notifications from build are an error.
func (s *Store) PlanReminders(ctx context.Context, now time.Time, after time.Duration, build PlanFunc) (int, error) {
	if build == nil {
		return 0, errors.New("store: plan reminders: build not set")
	}
	now = dbTime(now)
	var planned int
	err := retry(ctx, func() error {
		planned = 0
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			var due []struct {
				EventID                string `db:"event_id"`
				OrganisationNumber     string `db:"organisation_number"`
				PersonalIdentityNumber string `db:"personal_identity_number"`
			}
			// Ordered by the key of reminders, so that concurrent planners
			// insert in one order and cannot deadlock.
			err := tx.SelectContext(ctx, &due, tx.Rebind(`
				SELECT DISTINCT e.id AS event_id, c.organisation_number, cc.personal_identity_number
				FROM actions x
				JOIN events e ON e.id = x.event_id
				JOIN cases c ON c.id = e.case_id
				JOIN case_citizens cc ON cc.case_id = e.case_id
				WHERE x.type = ? AND x.state = ? AND e.created_at < ?
					AND NOT EXISTS (SELECT 1 FROM event_reads r
						WHERE r.event_id = e.id AND r.personal_identity_number = cc.personal_identity_number)
					AND NOT EXISTS (SELECT 1 FROM reminders m
						WHERE m.event_id = e.id AND m.personal_identity_number = cc.personal_identity_number)
				ORDER BY e.id, cc.personal_identity_number`),
				string(me.ActionComplete), string(me.ActionAvailable), timestamp{now.Add(-after)})
			if err != nil {
				return fmt.Errorf("find unread completions: %w", err)
			}
			for _, d := range due {
				res, err := tx.ExecContext(ctx, tx.Rebind(`
					INSERT INTO reminders (event_id, personal_identity_number, created_at) VALUES (?, ?, ?)
					ON CONFLICT DO NOTHING`),
					d.EventID, d.PersonalIdentityNumber, timestamp{now})
				if err != nil {
					return fmt.Errorf("record reminder of event %s: %w", d.EventID, err)
				}
				if n, err := res.RowsAffected(); err != nil {
					return fmt.Errorf("record reminder of event %s: %w", d.EventID, err)
				} else if n == 0 {
					continue // another planner reminded them
				}
				p, known, err := profileTx(ctx, tx, d.PersonalIdentityNumber)
				if err != nil {
					return err
				}
				ns := build(p, d.OrganisationNumber, known)
				if err := validNotifications(ns); err != nil {
					return me.Errorf(me.CodeValidationFailed, "reminder of event %s: %s", d.EventID, err)
				}
				for _, n := range ns {
					if err := insertNotification(ctx, tx, me.NotifyReminder, d.PersonalIdentityNumber, d.OrganisationNumber, n, now); err != nil {
						return err
					}
				}
				planned += len(ns)
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: plan reminders: %w", err)
	}
	return planned, nil
}

// ClaimNotifications takes up to limit notifications to send, oldest due
// first: the pending ones due at now, and the ones a sender claimed whose
// lease ran out by now (the sender died or hung; they come back with the
// same idempotency key). It marks them sending until now+lease, attempts
// unchanged, and returns them in the order they were planned. Concurrent
// callers, on one node or several, never get the same notification while
// its lease lasts: PostgreSQL skips the rows another claim has locked,
// SQLite has one writer. limit and lease must be positive.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]me.Notification, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("store: claim notifications: limit %d and lease %s must be positive", limit, lease)
	}
	skipLocked := ""
	if s.driver == DriverPostgres {
		skipLocked = ` FOR UPDATE SKIP LOCKED`
	}
	// MATERIALIZED: the rows are picked (and, on PostgreSQL, locked) once.
	query := s.db.Rebind(`
		WITH picked AS MATERIALIZED (
			SELECT id FROM notifications
			WHERE state IN (?, ?) AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id
			LIMIT ?` + skipLocked + `)
		UPDATE notifications SET state = ?, next_attempt_at = ?
		WHERE id IN (SELECT id FROM picked)
		RETURNING ` + notificationColumns)
	var rows []notificationRow
	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			rows = nil
			return tx.SelectContext(ctx, &rows, query,
				me.NotificationPending, me.NotificationSending, timestamp{now}, limit,
				me.NotificationSending, timestamp{now.Add(lease)})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim notifications: %w", err)
	}
	slices.SortFunc(rows, func(a, b notificationRow) int { return cmp.Compare(a.ID, b.ID) })
	return notifications(rows), nil
}

// NotificationSent records that the notification was sent at now.
func (s *Store) NotificationSent(ctx context.Context, id int64, now time.Time) error {
	return s.NotificationsSent(ctx, []int64{id}, now)
}

// NotificationsSent records that the notifications were sent at now, in
// one statement: a claim's sends are recorded with one commit.
func (s *Store) NotificationsSent(ctx context.Context, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	query, args, err := sqlx.In(`
		UPDATE notifications SET state = ?, sent_at = ?, last_error = '' WHERE id IN (?)`,
		me.NotificationSent, timestamp{now}, ids)
	if err != nil {
		return fmt.Errorf("store: notifications sent: %w", err)
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(query), args...)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n != int64(len(ids)) {
			err = fmt.Errorf("%d of %d notifications found: %w", n, len(ids), me.ErrNotFound)
		}
	}
	if err != nil {
		return fmt.Errorf("store: notifications %v sent: %w", ids, err)
	}
	return nil
}

// NotificationFailed records a failed attempt to send the notification:
// when permanent, it is given up (failed); otherwise it is pending again
// from retryAt. Either way attempts counts it and errText is kept. A
// notification that was sent (by a sender whose lease ran out, say) stays
// sent. A missing one is an error wrapping me.ErrNotFound.
func (s *Store) NotificationFailed(ctx context.Context, id int64, errText string, retryAt time.Time, permanent bool) error {
	state := me.NotificationPending
	if permanent {
		state = me.NotificationFailed
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`
		UPDATE notifications SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?
		WHERE id = ? AND state <> ?`),
		state, errText, timestamp{retryAt}, id, me.NotificationSent)
	if err == nil {
		err = affected(res)
	}
	if errors.Is(err, me.ErrNotFound) {
		var n int
		if err = s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM notifications WHERE id = ?`), id); err == nil && n == 0 {
			err = me.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("store: notification %d failed: %w", id, err)
	}
	return nil
}

// Notifications returns notifications of every kind newest first: all of
// them, or only the failed ones; at most limit (all when limit is 0 or
// less).
func (s *Store) Notifications(ctx context.Context, failedOnly bool, limit int) ([]me.Notification, error) {
	var (
		query strings.Builder
		args  []any
	)
	query.WriteString(`SELECT ` + notificationColumns + ` FROM notifications`)
	if failedOnly {
		query.WriteString(` WHERE state = ?`)
		args = append(args, me.NotificationFailed)
	}
	query.WriteString(` ORDER BY created_at DESC, id DESC`)
	if limit > 0 {
		query.WriteString(` LIMIT ?`)
		args = append(args, limit)
	}
	var rows []notificationRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query.String()), args...); err != nil {
		return nil, fmt.Errorf("store: list notifications: %w", err)
	}
	return notifications(rows), nil
}

// HandlerMail returns the newest mail to a case handler (a citizen's
// message, kind me.NotifyHandler) that carries a reply address, in any
// state: with replyTo set, the one with that reply address (in any case).
// None gives an error wrapping me.ErrNotFound. It is how `me mail reply`
// finds the mail whose handler it plays.
func (s *Store) HandlerMail(ctx context.Context, replyTo string) (me.Notification, error) {
	query, args := `SELECT `+notificationColumns+` FROM notifications WHERE kind = ? AND reply_to <> ''`, []any{me.NotifyHandler}
	if replyTo != "" {
		query, args = query+` AND lower(reply_to) = lower(?)`, append(args, replyTo)
	}
	var r notificationRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(query+` ORDER BY created_at DESC, id DESC LIMIT 1`), args...); err != nil {
		return me.Notification{}, fmt.Errorf("store: handler mail: %w", notFound(err))
	}
	return r.notification(), nil
}

// NotificationStats counts the notifications by channel and state, for
// monitoring: every channel (sms, email) and state (pending, sending, sent,
// failed) is in the map, zero when there are none. Every kind counts: the
// handler mails are under email. oldestPending is how
// long the longest-waiting notification that is due has waited at now:
// pending ones since next_attempt_at (so a quiet-hours deferral or a retry
// wait does not count), sending ones since their lease ran out; 0 when none
// is overdue.
func (s *Store) NotificationStats(ctx context.Context, now time.Time) (counts map[string]map[string]int, oldestPending map[string]time.Duration, err error) {
	var rows []struct {
		Channel string `db:"channel"`
		State   string `db:"state"`
		N       int    `db:"n"`
	}
	err = s.db.SelectContext(ctx, &rows, `
		SELECT channel, state, count(*) AS n FROM notifications GROUP BY channel, state`)
	if err != nil {
		return nil, nil, fmt.Errorf("store: notification stats: %w", err)
	}
	counts = map[string]map[string]int{}
	for _, ch := range []me.NotificationChannel{me.NotifySMS, me.NotifyEmail} {
		counts[string(ch)] = map[string]int{
			string(me.NotificationPending): 0, string(me.NotificationSending): 0, string(me.NotificationSent): 0, string(me.NotificationFailed): 0,
		}
	}
	for _, r := range rows {
		if counts[r.Channel] == nil {
			counts[r.Channel] = map[string]int{}
		}
		counts[r.Channel][r.State] = r.N
	}

	var oldest []struct {
		Channel string        `db:"channel"`
		At      nullTimestamp `db:"at"`
	}
	err = s.db.SelectContext(ctx, &oldest, s.db.Rebind(`
		SELECT channel, min(next_attempt_at) AS at FROM notifications
		WHERE state IN (?, ?) AND next_attempt_at <= ? GROUP BY channel`),
		me.NotificationPending, me.NotificationSending, timestamp{now})
	if err != nil {
		return nil, nil, fmt.Errorf("store: notification stats: oldest pending: %w", err)
	}
	oldestPending = map[string]time.Duration{string(me.NotifySMS): 0, string(me.NotifyEmail): 0}
	for _, o := range oldest {
		if o.At.Valid {
			oldestPending[o.Channel] = max(dbTime(now).Sub(o.At.Time), 0)
		}
	}
	return counts, oldestPending, nil
}

// deleteRemindersOfCases removes the reminders of the events of cases
// being purged (events.go's deleteEventsOfCases).
func deleteRemindersOfCases(ctx context.Context, tx *sqlx.Tx, caseIDs []string) (int64, error) {
	return execIn(ctx, tx, `DELETE FROM reminders WHERE event_id IN (SELECT id FROM events WHERE case_id IN (?))`, caseIDs)
}

// purgeNotifications removes a batch of the scope's notifications past
// their time (retention.go): sent or failed, and queued before the scope's
// time. Pending ones, and those being sent, stay whatever their age.
func purgeNotifications(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error) {
	org, args := sc.byOrganisation("organisation_number")
	ids, err := selectPurgeKeys[int64](ctx, tx, "notifications", "id",
		org+` AND state IN ('sent', 'failed') AND created_at < ?`, append(args, sc.before), sc, false)
	b := newBatch(ids)
	if err != nil || len(ids) == 0 {
		return b, err
	}
	if b.rows["notifications"], err = execIn(ctx, tx, `DELETE FROM notifications WHERE id IN (?)`, ids); err != nil {
		return b, fmt.Errorf("delete notifications: %w", err)
	}
	return b, nil
}

// CitizenNotifications returns the notifications to the citizen (kinds
// event and reminder), oldest first, without their subject and text: those
// are the templates', and the extract says what ME holds about the
// citizen, not what it wrote to everyone. The citizen's messages forwarded
// to a case handler (kind handler) are left out: they are the citizen's
// events on the case, and their recipient is the handler's address, which
// is never shown.
func (s *Store) CitizenNotifications(ctx context.Context, pnr string) ([]me.Notification, error) {
	var rows []notificationRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT `+notificationColumns+` FROM notifications
		WHERE personal_identity_number = ? AND kind IN (?, ?)
		ORDER BY created_at, id`), pnr, me.NotifyEvent, me.NotifyReminder)
	if err != nil {
		return nil, fmt.Errorf("store: list citizen's notifications: %w", err)
	}
	ns := notifications(rows)
	for i := range ns {
		ns[i].Subject, ns[i].Text = "", ""
	}
	return ns, nil
}

// CitizenReminders returns the reminders the citizen was sent (or would
// have been, had they given contact details), oldest first.
func (s *Store) CitizenReminders(ctx context.Context, pnr string) ([]me.Reminder, error) {
	var rows []struct {
		EventID   string    `db:"event_id"`
		CreatedAt timestamp `db:"created_at"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT event_id, created_at FROM reminders WHERE personal_identity_number = ?
		ORDER BY created_at, event_id`), pnr)
	if err != nil {
		return nil, fmt.Errorf("store: list citizen's reminders: %w", err)
	}
	out := make([]me.Reminder, len(rows))
	for i, r := range rows {
		out[i] = me.Reminder{EventID: r.EventID, Created: r.CreatedAt.Time}
	}
	return out, nil
}

// eraseNotifications deletes every notification of the citizen, whatever
// its state and kind: the ones sent to them (their history), the pending
// ones (never sent now), and their messages forwarded to case handlers
// (the message itself stays on the case as the citizen's event). A sender
// holding one at this moment may still deliver it; recording that fails.
// It also deletes the record of their reminders: should they give contact
// details again, an open completion they have not read may be reminded
// once more. It returns the rows deleted from notifications and reminders.
func eraseNotifications(ctx context.Context, tx *sqlx.Tx, pnr string) (notes, reminders int64, err error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM notifications WHERE personal_identity_number = ?`), pnr)
	if err != nil {
		return 0, 0, fmt.Errorf("delete notifications: %w", err)
	}
	if notes, err = res.RowsAffected(); err != nil {
		return 0, 0, err
	}
	res, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM reminders WHERE personal_identity_number = ?`), pnr)
	if err != nil {
		return 0, 0, fmt.Errorf("delete reminders: %w", err)
	}
	reminders, err = res.RowsAffected()
	return notes, reminders, err
}
