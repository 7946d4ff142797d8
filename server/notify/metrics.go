package notify

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minaengagemang/me/store"
)

// queueCollector reads the notification queue from the store at each
// scrape, so that every node reports the same shared queue and nothing is
// counted in process memory that a restart would lose.
type queueCollector struct {
	store  *store.Store
	now    func() time.Time
	count  *prometheus.Desc
	oldest *prometheus.Desc
}

// NewQueueCollector returns the metrics of the notification queue: the
// notifications per channel and state, and the age of the oldest pending
// one per channel.
func NewQueueCollector(st *store.Store, now func() time.Time) prometheus.Collector {
	return &queueCollector{store: st, now: now,
		count:  prometheus.NewDesc("me_notifications", "Notifications by channel (sms, email) and state (pending, sending, sent, failed).", []string{"channel", "state"}, nil),
		oldest: prometheus.NewDesc("me_notifications_oldest_pending_seconds", "How long the longest-waiting due notification has waited past its send time (quiet-hours deferrals and retry waits do not count).", []string{"channel"}, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.oldest
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, oldest, err := c.store.NotificationStats(ctx, c.now().UTC())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.count, err)
		return
	}
	for channel, states := range stats {
		for state, n := range states {
			ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(n), channel, state)
		}
	}
	for channel, age := range oldest {
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age.Seconds(), channel)
	}
}
