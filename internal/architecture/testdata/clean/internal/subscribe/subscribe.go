// Actions may use net/http (e.g. status codes); rule 7 leaves it alone.
package subscribe

import (
	"net/http"

	"ccsub/internal/gateway"
	"ccsub/internal/store"
)

func Run() { gateway.Ping(http.DefaultClient, store.Gateways()[0]) }
