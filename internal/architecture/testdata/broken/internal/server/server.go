// Breaks rules 6 and 8: a door imports another door, and only the root may.
package server

import "ccsub/internal/api"

var _ = api.Handler
