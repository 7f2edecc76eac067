// Breaks rule 1: a view reaches for the store.
package gateways

import "ccsub/internal/store"

var _ = store.Gateways
