package pgembed

func Start() {}
