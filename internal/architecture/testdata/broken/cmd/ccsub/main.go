// Breaks rule 9: cmd/ccsub does work instead of handing over to the CLI.
package main

import "ccsub/internal/store"

func main() { _ = store.Gateways() }
