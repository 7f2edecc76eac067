package api

func Handler() {}
