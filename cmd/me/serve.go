package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/store"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("me serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := seedCatalog(ctx, st, cfg, log); err != nil {
		return err
	}
	app, err := build(cfg, st, log)
	if err != nil {
		return err
	}
	defer app.Close()
	app.summary = summaryWriter(log, stderr)
	return app.Run(ctx, cfg.HTTP)
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("me migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, st, err := openConfigured(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d migration(s) applied\n", cfg.Database.Driver, n)
	return nil
}

// openConfigured loads the configuration at path and opens its store, as
// the administration commands need.
func openConfigured(ctx context.Context, path string) (*config.Config, *store.Store, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := openDatabase(ctx, cfg.Database)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return nil, errors.New("no configuration: pass --config FILE or set ME_CONFIG (config/me.example.yaml documents every key; config/demo.yaml is the demo)")
	}
	// Load's error names the file once, above its list of problems.
	return config.Load(path)
}

// newLogger logs text on a terminal and JSON otherwise, unless configured.
func newLogger(c config.Log, out io.Writer) (*logrus.Logger, error) {
	log := logrus.New()
	log.SetOutput(out)
	level, err := logrus.ParseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	log.SetLevel(level)
	format := c.Format
	if format == "auto" || format == "" {
		format = "json"
		if f, ok := out.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "json" {
		log.SetFormatter(&logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano})
	} else {
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	}
	return log, nil
}

// openStore opens and migrates the store and writes the configured
// organisations and clients to it: the YAML file is their source of truth.
func openStore(ctx context.Context, cfg *config.Config, log *logrus.Logger) (*store.Store, error) {
	log.WithField("driver", cfg.Database.Driver).Info("opening the store and migrating it")
	st, err := openDatabase(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	n, err := st.Migrate(ctx)
	if err == nil {
		err = st.SyncOrganisations(ctx, cfg.Organisations())
	}
	if err == nil {
		err = st.SyncClients(ctx, cfg.Clients())
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	log.WithFields(logrus.Fields{"driver": cfg.Database.Driver, "migrations_applied": n}).Info("store ready")
	return st, nil
}

// seedCatalog publishes the configured e-services that the store does not
// hold yet; one that was since changed or withdrawn through the catalog
// service is left as it is.
func seedCatalog(ctx context.Context, st *store.Store, cfg *config.Config, log *logrus.Logger) error {
	for _, e := range cfg.EServices() {
		_, err := st.EService(ctx, e.OrganisationNumber, e.ID)
		if err == nil {
			continue
		}
		if !errors.Is(err, me.ErrNotFound) {
			return err
		}
		if _, err := st.PublishEService(ctx, e, time.Now()); err != nil {
			return fmt.Errorf("publish configured e-service %s: %w", e.ID, err)
		}
		log.WithFields(logrus.Fields{"organisation": e.OrganisationNumber, "eservice": e.ID}).Info("published configured e-service")
	}
	return nil
}

// openDatabase opens the configured store with its pool.
func openDatabase(ctx context.Context, d config.Database) (*store.Store, error) {
	st, err := store.Open(ctx, d.Driver, d.DSN)
	if err != nil {
		return nil, err
	}
	st.SetPool(store.Pool{MaxOpen: d.MaxOpenConns, MaxLifetime: d.ConnMaxLifetime, MaxIdleTime: d.ConnMaxIdleTime})
	return st, nil
}
