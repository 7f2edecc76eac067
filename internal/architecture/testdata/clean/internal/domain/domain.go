package domain

type Gateway struct{ Name string }
