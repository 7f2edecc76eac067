package config

import (
	"fmt"
	"strconv"
)

// Default rate limits (see Config.APIRate and Config.PushRefusedRate).
const (
	DefaultAPIRate          = 20 // requests a second per API token
	DefaultAPIBurst         = 40
	DefaultPushRefusedRate  = 1 // refused pushes a second per receiver key and source address
	DefaultPushRefusedBurst = 20
)

// Bounds of the limit settings: a rate from 0.001 to 100,000 a second.
const (
	minRate  = 0.001
	maxRate  = 100000
	maxBurst = 100000
)

// envLimits reads the rate limits, defaulting each one that is unset.
func (c *Config) envLimits(getenv Getenv) []error {
	var errs []error
	rate := func(name string, def float64, dst *float64) {
		*dst = def
		if v := getenv(name); v != "" {
			r, err := strconv.ParseFloat(v, 64)
			if err != nil || !(r >= minRate && r <= maxRate) {
				errs = append(errs, fmt.Errorf("%s=%q: want a number of requests a second from 0.001 to 100000, such as 20 or 0.5", name, v))
				return
			}
			*dst = r
		}
	}
	burst := func(name string, def int, dst *int) {
		*dst = def
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxBurst {
				errs = append(errs, fmt.Errorf("%s=%q: want a whole number from 1 to 100000", name, v))
				return
			}
			*dst = n
		}
	}
	rate("CCSUB_API_RATE", DefaultAPIRate, &c.APIRate)
	burst("CCSUB_API_BURST", DefaultAPIBurst, &c.APIBurst)
	rate("CCSUB_PUSH_REFUSED_RATE", DefaultPushRefusedRate, &c.PushRefusedRate)
	burst("CCSUB_PUSH_REFUSED_BURST", DefaultPushRefusedBurst, &c.PushRefusedBurst)
	return errs
}

// limit formats a rate limit for the log line.
func limit(rate float64, burst int) string {
	if rate <= 0 || burst <= 0 {
		return "(off)"
	}
	return strconv.FormatFloat(rate, 'g', -1, 64) + "/s, burst " + strconv.Itoa(burst)
}
