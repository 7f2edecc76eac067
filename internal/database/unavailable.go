package database

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unavailable reports whether err means the database could not be
// reached or dropped the connection: a fault of the moment, answered 503
// and retried, never a 500. A statement that ran into the statement
// timeout is not unavailability: see TimedOut.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exceptions; 57P01-57P03: the server is
		// shutting down, was terminated or is starting up.
		return pe.Code[:2] == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return true
	case errors.As(err, &ne):
		return true
	}
	return pgconn.SafeToRetry(err)
}

// TimedOut reports whether a statement was cancelled by the statement
// timeout (SQLSTATE 57014). A statement cancelled because its own context
// ended (the client went away) can answer the same SQLSTATE; the store
// adds the context's error to it, and it is not a timeout.
func TimedOut(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "57014" &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
