package mail

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"

	gomail "github.com/wneessen/go-mail"
)

// Error is why a Send failed.
type Error struct {
	// Op is the step that failed: "compose" (the message itself is
	// invalid), "configure", "connect" (connection, TLS, EHLO or AUTH) or
	// "send" (MAIL, RCPT, DATA).
	Op string
	// Rcpt is the recipient's address.
	Rcpt string
	// Code is the SMTP reply code, 0 when the server gave none (network
	// error, timeout, invalid message).
	Code int
	// Err is the underlying error; its text includes the server's reply
	// (code, enhanced code and text) when there is one.
	Err       error
	temporary bool
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.temporary {
		kind = "temporary"
	}
	// The text ends up in logs and in the queue's last error: it names no
	// address, not even where the server's reply quotes one.
	return emailAddress.ReplaceAllString(fmt.Sprintf("mail: %s failed (%s): %v", e.Op, kind, e.Err), "[address]")
}

var emailAddress = regexp.MustCompile(`[^\s<>"':;,()\[\]]+@[^\s<>"':;,()\[\]]+`)

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether sending again later may succeed.
func (e *Error) Temporary() bool { return e.temporary }

// Temporary reports whether err, returned by Send, is worth retrying later:
// true for network errors, timeouts, a cancelled context and 4xx replies;
// false for 5xx replies to the message (MAIL, RCPT, DATA) and for a message
// that cannot be sent at all (invalid address), whose reason should be
// recorded instead. A 5xx reply while opening the session (greeting, EHLO,
// STARTTLS, AUTH) is about ME's own account or configuration, not the
// message, so it counts as temporary: the message goes out once that is
// fixed. Temporary(nil) is false.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.temporary
	}
	_, temp := classify("send", err)
	return temp
}

// classify returns the SMTP reply code in err (0 if none) and whether the
// failure is temporary. op is the step of the session, see Error.Op.
func classify(op string, err error) (code int, temporary bool) {
	code = replyCode(err)
	switch {
	case code >= 400 && code < 500:
		return code, true
	case code >= 500 && code < 600:
		return code, op != "send" || sessionLevel(err)
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return 0, false // the message cannot be sent as it is
		}
	}
	// Network errors, timeouts, EOF, TLS failures and anything unknown:
	// nothing says the message is at fault, so try again later.
	return 0, true
}

// sessionLevel reports whether err of a "send" step came from checking the
// session rather than from the message's own commands.
func sessionLevel(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && (se.Reason == gomail.ErrConnCheck || se.Reason == gomail.ErrSMTPReset)
}

func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}
