package gatewaysim

import "net/http"

var Handler http.Handler
