package main

import "ccsub/internal/cli"

func main() { cli.Main() }
