// Package migrations embeds the goose SQL migrations applied at start-up.
package migrations

import "embed"

// FS holds the numbered goose migrations. Never edit one that has been applied.
//
//go:embed *.sql
var FS embed.FS
