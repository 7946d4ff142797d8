package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/server"
	"github.com/minaengagemang/me/server/demo"
	"github.com/minaengagemang/me/server/inbound"
	"github.com/minaengagemang/me/server/notify"
	"github.com/minaengagemang/me/server/notify/mail"
	"github.com/minaengagemang/me/server/notify/sms"
	"github.com/minaengagemang/me/store"
)

// The wiring: the configuration's parsed values go to the parts that need
// them, and `me serve` runs the HTTP server and the background work side
// by side. Nothing else in ME reads *config.Config.

// app is ME built from its configuration.
type app struct {
	server   *server.Server
	notifier *notify.Notifier
	inbound  *inbound.Receiver // nil: no inbound mail listener
	inAddr   string
	store    *store.Store
	log      *logrus.Logger
	tickets  config.Tickets
	// The purge by the retention rules: its options (Now set at each
	// run) and how often it runs (0: never).
	purge      store.PurgeOptions
	purgeEvery time.Duration
	now        func() time.Time
	// For what `me serve` says when it listens.
	demoOn    bool
	publicURL string
	summary   io.Writer
}

// build makes the notifier and the HTTP server from cfg.
func build(cfg *config.Config, st *store.Store, log *logrus.Logger) (*app, error) {
	addressing := notify.NewAddressing(cfg.SMTP.From, cfg.SMTP.ReplyTo)
	if in := cfg.InboundMail; in.Domain != "" {
		addressing.Reply = notify.ReplyAddressing{Domain: in.Domain, LocalPart: in.LocalPart, Lifetime: in.TokenLifetime}
	}
	n, err := newNotifier(cfg, st, log, addressing)
	if err != nil {
		return nil, err
	}
	var in *inbound.Receiver
	if ic := cfg.InboundMail; ic.Addr != "" {
		if in, err = newReceiver(cfg, st, log, addressing.Reply); err != nil {
			return nil, err
		}
	}
	sc := server.Config{
		Organisations: cfg.Organisations(), Clients: cfg.Clients(), PublicURL: cfg.HTTP.PublicURL, MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
		SHS: server.SHSConfig{Product: cfg.SHS.Product, NodeID: cfg.SHS.NodeID, MaxMessageBytes: cfg.SHS.MaxMessageBytes, MaxInflightBytes: cfg.SHS.MaxInflightBytes,
			MaxAttachments: cfg.SHS.MaxAttachments, MaxAttachmentBytes: cfg.SHS.MaxAttachmentBytes},
		TicketLife: cfg.Tickets.Lifetime, Addressing: addressing,
		Metrics: metrics(st, in), MetricsFrom: cfg.HTTP.MetricsFrom, Now: time.Now,
	}
	if d := cfg.Demo; d.Enabled {
		sc.Demo, err = demo.New(demo.Config{SOAPBase: "http://" + cfg.HTTP.Addr, PortalUser: d.PortalClient, PortalPassword: d.PortalPassword.Reveal(),
			EServiceUser: d.EServiceClient, EServicePassword: d.EServicePassword.Reveal(), Organisation: cfg.Organisations()[0].Number,
			Clients: cfg.Clients()}) // to redeem each e-service's tickets as its own organisation's client
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		log.Warn("demo pages are on at /demo/: their login is fake; never enable demo outside a loopback test machine")
	}
	srv, err := server.New(sc, st, log)
	if err != nil {
		return nil, err
	}
	return &app{server: srv, notifier: n, inbound: in, inAddr: cfg.InboundMail.Addr, store: st, log: log, tickets: cfg.Tickets, now: time.Now,
		purge: purgeOptions(cfg, time.Time{}, false), purgeEvery: cfg.Retention.Interval,
		demoOn: cfg.Demo.Enabled, publicURL: cfg.HTTP.PublicURL, summary: io.Discard}, nil
}

// newNotifier builds the notifier and its transports. A missing mail
// server or SMS gateway is not an error: what they would send waits.
func newNotifier(cfg *config.Config, st *store.Store, log *logrus.Logger, addressing notify.Addressing) (*notify.Notifier, error) {
	c := cfg.Notifications
	loc, quietStart, quietEnd, err := c.QuietHours()
	if err != nil {
		return nil, err
	}
	templates, err := c.Templates.Parse()
	if err != nil {
		return nil, err
	}
	var email *mail.Sender
	if m := cfg.SMTP; m.Host != "" {
		email, err = mail.NewSender(mail.SMTPConfig{Host: m.Host, Port: m.Port, Username: m.Username, Password: m.Password.Reveal(),
			TLS: m.TLS, From: m.From})
		if err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
	} else {
		log.Warn("smtp.host is not set: e-mail (messages to case handlers, notifications) is queued but not sent")
	}
	var gateway sms.Gateway
	if g := cfg.SMSGateway; g.Provider != "" {
		sc := sms.Config{Provider: g.Provider, URL: g.URL, Username: g.Username, Password: g.Password.Reveal(), Sender: g.Sender, Timeout: g.Timeout}
		if g.Provider == sms.ProviderHTTP {
			sc.Format, sc.Body = g.Format, g.Body
		}
		if gateway, err = sms.New(sc, nil); err != nil {
			return nil, err
		}
	} else {
		log.Warn("sms.provider is not set: SMS notifications are queued but not sent")
	}
	return notify.New(notify.Config{
		Window: c.Window, Lease: c.Lease, ReminderAfter: c.ReminderAfter, Interval: time.Second, Concurrency: c.Concurrency,
		Quiet: notify.QuietHours{Start: quietStart, End: quietEnd, Location: loc}, Texts: notify.NewTexts(templates, log),
		SMSSender: cfg.SMSGateway.Sender, Senders: senders(cfg.OrganisationList), Addressing: addressing,
	}, st, cfg.Organisations(), email, gateway, log, time.Now), nil
}

// metrics are the collectors /metrics serves besides the HTTP ones.
func metrics(st *store.Store, in *inbound.Receiver) []prometheus.Collector {
	out := []prometheus.Collector{notify.NewQueueCollector(st, time.Now)}
	if in != nil {
		out = append(out, in.Collectors()...)
	}
	return out
}

// newReceiver builds the inbound mail server: the reply addresses' form,
// the limits, the organisations' reply aliases and STARTTLS's certificate.
func newReceiver(cfg *config.Config, st *store.Store, log *logrus.Logger, replies notify.ReplyAddressing) (*inbound.Receiver, error) {
	ic := cfg.InboundMail
	var tlsConfig *tls.Config
	if ic.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(ic.TLS.CertFile, ic.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("inbound_mail.tls: load certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return inbound.New(inbound.Config{Addressing: replies, Hostname: cmp.Or(ic.Hostname, ic.Domain), LMTP: ic.Protocol == "lmtp",
		MaxMessageBytes: ic.MaxMessageBytes, Aliases: cfg.ReplyAliases(), TLS: tlsConfig,
		Limits: inbound.Limits{MaxAttachments: ic.MaxAttachments, MaxAttachmentBytes: ic.MaxAttachmentBytes, MediaTypes: ic.MediaTypes},
	}, st, log, time.Now), nil
}

// senders are the organisations' own SMS senders and From names, for
// those that have one.
func senders(orgs []config.Organisation) map[string]notify.Sender {
	out := map[string]notify.Sender{}
	for _, o := range orgs {
		if o.SMSSender != "" || o.EmailFromName != "" {
			out[o.Number] = notify.Sender{SMS: o.SMSSender, EmailName: o.EmailFromName}
		}
	}
	return out
}

// Close releases what the server holds.
func (a *app) Close() { a.server.Close() }

// runBackground starts the work ME does besides answering requests: the
// notifier, the purge of expired tickets, and the purge by the retention
// rules. They stop when ctx is done;
// the returned channel is closed when the notifier has finished the sends
// it had in flight.
func (a *app) runBackground(ctx context.Context) <-chan struct{} {
	notifierDone := make(chan struct{})
	go func() {
		defer close(notifierDone)
		a.notifier.Run(ctx)
	}()
	go func() {
		ticker := time.NewTicker(a.tickets.PurgeInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				// A reply address is refused as expired for 30 days after
				// it expires, then as unknown.
				if _, err := a.store.PurgeReplyAddresses(ctx, a.now().UTC().Add(-30*24*time.Hour)); err != nil {
					a.log.WithError(err).Warn("purging reply addresses failed")
				}
				if n, err := a.store.PurgeTickets(ctx, a.now().UTC()); err != nil {
					a.log.WithError(err).Warn("purging tickets failed")
				} else if n > 0 {
					a.log.WithField("tickets", n).Debug("purged expired tickets")
				}
			}
		}
	}()
	if a.purgeEvery > 0 {
		go a.purgeByRule(ctx)
	}
	return notifierDone
}

// purgeByRule removes the rows past their time by the retention rules, at
// start and then every retention.interval, until ctx is done. On PostgreSQL one node
// purges at a time; the others find it running and wait for their next
// turn.
func (a *app) purgeByRule(ctx context.Context) {
	ticker := time.NewTicker(a.purgeEvery)
	defer ticker.Stop()
	for {
		opts := a.purge
		opts.Now = a.now().UTC()
		r, err := a.store.Purge(ctx, opts)
		switch {
		case errors.Is(err, store.ErrPurgeRunning):
			a.log.Debug("retention: another node is purging")
		case err != nil && ctx.Err() == nil:
			a.log.WithError(err).Warn("retention: purging failed; it is tried again at the next interval")
		case err == nil && len(r.Counts) > 0:
			fields := logrus.Fields{"transactions": r.Transactions}
			for _, c := range r.Counts {
				org := c.Organisation
				if org == "" {
					org = "none"
				}
				fields[org+"."+c.Table] = c.Rows
			}
			a.log.WithFields(fields).Info("retention: purged the rows past their time")
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
