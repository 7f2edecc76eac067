// Breaks rule 2: the gateway client reaches for the store.
package gateway

import "ccsub/internal/store"

var _ = store.Gateways
