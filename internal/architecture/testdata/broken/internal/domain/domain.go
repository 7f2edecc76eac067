// Package domain is a stand-in for the real one.
package domain

type Gateway struct{ Name string }
