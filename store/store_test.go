package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

// forEachDB runs fn on a fresh, migrated store of each driver.
func forEachDB(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			fn(t, storetest.Open(t, driver))
		})
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("unknown driver", func(t *testing.T) {
		_, err := store.Open(ctx, "mysql", "whatever")
		if err == nil || !strings.Contains(err.Error(), `"mysql"`) {
			t.Fatalf("Open(mysql) = %v, want an error naming the driver", err)
		}
	})
	t.Run("sqlite creates the directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "data", "nested", "me.db")
		s, err := store.Open(ctx, store.DriverSQLite, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file not created: %v", err)
		}
	})
	forEachDB(t, func(t *testing.T, s *store.Store) {
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if want := filepath.Base(t.Name()); s.Driver() != want {
			t.Fatalf("Driver() = %q, want %q", s.Driver(), want)
		}
	})
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			t.Run("twice applies nothing the second time", func(t *testing.T) {
				s := storetest.OpenUnmigrated(t, driver)
				for i, want := range []int{store.Migrations(driver), 0} {
					n, err := s.Migrate(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if n != want {
						t.Fatalf("run %d: Migrate applied %d, want %d", i+1, n, want)
					}
				}
			})
			t.Run("two nodes at once apply it once", func(t *testing.T) {
				dsn := storetest.DSN(t, driver)
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					applied int
					errs    []error
				)
				for range 2 {
					s, err := store.Open(ctx, driver, dsn)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					wg.Go(func() {
						n, err := s.Migrate(ctx)
						mu.Lock()
						defer mu.Unlock()
						applied += n
						errs = append(errs, err)
					})
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
				if want := store.Migrations(driver); applied != want {
					t.Fatalf("applied %d migrations in total, want %d", applied, want)
				}
			})
		})
	}
}
