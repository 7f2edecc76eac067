package config

import (
	"fmt"
	"strconv"
	"time"
)

// Defaults of the database settings besides CCSUB_DB_MAX_CONNS (see
// Config.DBReservedConns and Config.DBStatementTimeout).
const (
	// DefaultDBReservedConns is room for the keep-alive engine's claims
	// and records, the receiver's pushes and the completion of gateway
	// calls at once: their statements take milliseconds.
	DefaultDBReservedConns = 4
	// DefaultDBStatementTimeout stops a search well before a person gives
	// up on the page, and frees its connection for the next one.
	DefaultDBStatementTimeout = 5 * time.Second
)

// Bounds of the statement timeout: shorter would stop ordinary pages,
// longer would let a few searches hold the pool for minutes.
const (
	minStatementTimeout = 100 * time.Millisecond
	maxStatementTimeout = time.Hour
)

// envDB reads the reserved pool's size and the statement timeout,
// defaulting each one that is unset.
func (c *Config) envDB(getenv Getenv) []error {
	var errs []error
	c.DBReservedConns = DefaultDBReservedConns
	if v := getenv("CCSUB_DB_RESERVED_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, fmt.Errorf("CCSUB_DB_RESERVED_CONNS=%q: want a whole number from 1 to 100", v))
		}
		c.DBReservedConns = n
	}
	c.DBStatementTimeout = DefaultDBStatementTimeout
	if v := getenv("CCSUB_DB_STATEMENT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < minStatementTimeout || d > maxStatementTimeout {
			errs = append(errs, fmt.Errorf("CCSUB_DB_STATEMENT_TIMEOUT=%q: want a duration from 100ms to 1h, such as 5s", v))
		}
		c.DBStatementTimeout = d
	}
	return errs
}
