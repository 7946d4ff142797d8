package notify

import (
	"math/rand/v2"
	"time"
)

// QuietHours are the hours of the day no SMS is sent, in a time zone.
type QuietHours struct {
	Start, End time.Duration // since midnight, local time; equal: none
	Location   *time.Location
}

// Next returns t, or the end of the quiet hours t falls in. Wall-clock
// times are built with time.Date, so days with a daylight-saving change
// end the quiet hours at the right local time.
func (q QuietHours) Next(t time.Time) time.Time {
	if q.Start == q.End || q.Location == nil {
		return t
	}
	start, end := int(q.Start/time.Minute), int(q.End/time.Minute)
	local := t.In(q.Location)
	now := local.Hour()*60 + local.Minute()
	endOn := func(day time.Time) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), end/60, end%60, 0, 0, q.Location).UTC()
	}
	switch {
	case start < end && now >= start && now < end: // e.g. 01:00-05:00
		return endOn(local)
	case start > end && now >= start: // the evening part of 21:00-08:00
		return endOn(local.AddDate(0, 0, 1))
	case start > end && now < end: // the morning part
		return endOn(local)
	}
	return t
}

// backoff is exponential from 10 s up to an hour, with ±20 % jitter so that
// many retries do not arrive together.
func backoff(attempts int) time.Duration {
	d := 10 * time.Second << min(attempts, 9)
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
