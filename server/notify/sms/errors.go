package sms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/minaengagemang/me"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxBodyInError is how much of a gateway's reply an Error quotes.
const maxBodyInError = 200

// Error is why a Send failed. Its text names the provider, the HTTP status
// and at most 200 bytes of the gateway's reply; it never contains the
// password, the Basic auth header, the configured headers nor the URL's
// query string.
type Error struct {
	// Provider is Config.Provider ("http" or "46elks").
	Provider me.SMSProvider
	// Op is the step that failed: "message" (the message itself is
	// invalid: recipient, sender or empty text), "request" (the request
	// could not be built or sent: network error, timeout, cancelled
	// context) or "status" (the gateway replied with a non-2xx status).
	Op string
	// StatusCode is the HTTP status code of the reply, 0 when there was
	// none.
	StatusCode int
	// Body is the beginning of the reply (at most 200 bytes).
	Body string
	// RetryAfter is the gateway's Retry-After on a 429 or 503 reply, 0 if
	// it gave none.
	RetryAfter time.Duration
	// Err is the underlying error, nil for "status".
	Err       error
	temporary bool
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.temporary {
		kind = "temporary"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sms: %s: ", e.Provider)
	switch {
	case e.StatusCode != 0:
		fmt.Fprintf(&b, "HTTP %d %s (%s)", e.StatusCode, http.StatusText(e.StatusCode), kind)
		if e.Body != "" {
			fmt.Fprintf(&b, ": %s", e.Body)
		}
	default:
		fmt.Fprintf(&b, "%s failed (%s): %v", e.Op, kind, e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether sending again later may succeed.
func (e *Error) Temporary() bool { return e.temporary }

// Temporary reports whether err, returned by Gateway.Send, is worth
// retrying later: true for network errors, timeouts, a cancelled context,
// HTTP 429 and 5xx; false for other statuses (4xx: the request or the
// account is wrong, a retry would fail the same way) and for an invalid
// message. Temporary(nil) is false.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.temporary
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// temporaryStatus reports whether an HTTP status is worth retrying.
func temporaryStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500 || code == http.StatusRequestTimeout
}

// statusError builds the Error of a non-2xx reply. body is the beginning of
// the reply; secret (the password) is blanked out of it.
func statusError(provider me.SMSProvider, resp *http.Response, body []byte, secret string) *Error {
	e := &Error{
		Provider:   provider,
		Op:         "status",
		StatusCode: resp.StatusCode,
		Body:       quoteBody(body, secret),
		temporary:  temporaryStatus(resp.StatusCode),
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// quoteBody returns at most maxBodyInError bytes of body, cut on a UTF-8
// boundary, with control characters turned into spaces and secret blanked.
var phoneInText = regexp.MustCompile(`\+?[0-9][0-9 -]{5,}[0-9]`)

func quoteBody(body []byte, secret string) string {
	s := string(body)
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "***")
	}
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	// Gateways echo the recipient: keep phone numbers out of logs.
	s = phoneInText.ReplaceAllString(s, "[number]")
	s = strings.TrimSpace(s)
	if len(s) > maxBodyInError {
		cut := maxBodyInError
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
