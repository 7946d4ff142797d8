package me

import (
	"errors"
	"fmt"
)

// Code is a stable error code that clients can rely on. It is sent as the
// code of a SOAP fault's typed detail.
type Code string

const (
	CodeNotFound         Code = "NotFound"
	CodeForbidden        Code = "Forbidden"
	CodeValidationFailed Code = "ValidationFailed"
	CodeInvalidTicket    Code = "InvalidTicket"
	CodeTicketExpired    Code = "TicketExpired"
	CodeTicketUsed       Code = "TicketUsed"
	CodeConflict         Code = "Conflict"
	CodeNotImplemented   Code = "NotImplemented"
	CodeInternal         Code = "Internal"
)

// Error is a domain error with a stable code and a message that says what
// to fix. Services return it; the SOAP layer turns it into a typed fault.
type Error struct {
	Code    Code
	Message string
	Element string // the request element at fault, when one is known
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is or wraps an *Error, and
// CodeInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrNotFound is returned by the store when a row does not exist.
var ErrNotFound = errors.New("not found")
