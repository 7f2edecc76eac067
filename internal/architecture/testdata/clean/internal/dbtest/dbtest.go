package dbtest

import "ccsub/internal/pgembed"

var _ = pgembed.Start
