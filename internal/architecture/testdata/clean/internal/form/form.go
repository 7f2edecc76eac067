package form

import "ccsub/internal/domain"

func Gateway(name string) domain.Gateway { return domain.Gateway{Name: name} }
