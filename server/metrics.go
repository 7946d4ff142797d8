package server

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/minaengagemang/me/store"
)

// notificationCollector reads the notification queue from the store at
// each scrape, so that every node reports the same shared queue and
// nothing is counted in process memory that a restart would lose.
type notificationCollector struct {
	store  *store.Store
	now    func() time.Time
	count  *prometheus.Desc
	oldest *prometheus.Desc
}

func (c *notificationCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.oldest
}

func (c *notificationCollector) Collect(ch chan<- prometheus.Metric) {
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

// metricsHandler serves /metrics: the notification queue per channel and
// state (sent, failed, queued), the age of the oldest pending one, and Go's
// process metrics.
func metricsHandler(st *store.Store, now func() time.Time) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	reg.MustRegister(&notificationCollector{store: st, now: now,
		count:  prometheus.NewDesc("me_notifications", "Notifications by channel (sms, email) and state (pending, sending, sent, failed).", []string{"channel", "state"}, nil),
		oldest: prometheus.NewDesc("me_notifications_oldest_pending_seconds", "How long the longest-waiting due notification has waited past its send time (quiet-hours deferrals and retry waits do not count).", []string{"channel"}, nil),
	})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// onlyFrom lets requests through from loopback and the given networks, and
// answers 403 to others.
func onlyFrom(cidrs []string, next http.Handler) http.Handler {
	var nets []*net.IPNet
	for _, c := range cidrs {
		if _, n, err := net.ParseCIDR(c); err == nil {
			nets = append(nets, n)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		allowed := ip != nil && ip.IsLoopback()
		for _, n := range nets {
			allowed = allowed || (ip != nil && n.Contains(ip))
		}
		if !allowed {
			http.Error(w, "metrics are served to loopback and the networks in http.metrics_from only", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
