package notify_test

import (
	"testing"
	"time"

	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/server/notify"
)

func TestQuietHours(t *testing.T) {
	loc, start, end, err := config.Default().Notifications.QuietHours() // 21:00-08:00 Europe/Stockholm
	if err != nil {
		t.Fatal(err)
	}
	q := notify.QuietHours{Start: start, End: end, Location: loc}
	sthlm, _ := time.LoadLocation("Europe/Stockholm")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, sthlm) }
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"day", at(2026, 11, 26, 14, 0), at(2026, 11, 26, 14, 0)},
		{"just before", at(2026, 11, 26, 20, 59), at(2026, 11, 26, 20, 59)},
		{"evening", at(2026, 11, 26, 21, 0), at(2026, 11, 27, 8, 0)},
		{"night", at(2026, 11, 27, 3, 30), at(2026, 11, 27, 8, 0)},
		{"end", at(2026, 11, 27, 8, 0), at(2026, 11, 27, 8, 0)},
		{"the night summer time starts", at(2026, 3, 28, 23, 0), at(2026, 3, 29, 8, 0)},
		{"the night summer time ends", at(2026, 10, 24, 22, 0), at(2026, 10, 25, 8, 0)},
	}
	for _, tt := range tests {
		if got := q.Next(tt.in); !got.Equal(tt.want) {
			t.Errorf("%s: Next(%v) = %v; want %v", tt.name, tt.in, got.In(sthlm), tt.want)
		}
	}
}
