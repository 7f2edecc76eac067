package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrGatewayNotUsable means a register names a gateway that is disabled
// or removed: nothing was recorded or sent.
var ErrGatewayNotUsable = errors.New("the gateway is disabled or removed")

// GatewayDependent is a live subscription (any state but cancelled) on a
// gateway: it keeps the gateway from being disabled or removed.
type GatewayDependent struct {
	ID       int64
	ServerID string // "" for an unknown register
	State    SubState
}

// Label names the dependent by its serverId, or by its number.
func (d GatewayDependent) Label() string {
	if d.ServerID != "" {
		return d.ServerID
	}
	return fmt.Sprintf("#%d", d.ID)
}

// GatewayInUse is the refusal to disable or remove a gateway that live
// subscriptions (or a register still waiting for the gateway's answer)
// depend on. It matches ErrConflict.
type GatewayInUse struct {
	Gateway      string
	Action       string // "disabled" or "removed"
	Dependents   []GatewayDependent
	More         int // live subscriptions beyond Dependents
	PendingCalls int // registers sent and not yet answered
}

func (e *GatewayInUse) Error() string {
	var why []string
	if n := len(e.Dependents) + e.More; n > 0 {
		labels := make([]string, len(e.Dependents))
		for i, d := range e.Dependents {
			labels[i] = d.Label() + " (" + string(d.State) + ")"
		}
		list := strings.Join(labels, ", ")
		if e.More > 0 {
			list += fmt.Sprintf(" and %d more", e.More)
		}
		why = append(why, fmt.Sprintf("%d live subscription(s) depend on it: %s. Cancel or close them first", n, list))
	}
	if e.PendingCalls > 0 {
		why = append(why, fmt.Sprintf("%d register(s) sent to it still wait for the gateway's answer; try again in a minute", e.PendingCalls))
	}
	return fmt.Sprintf("Gateway %q cannot be %s: %s.", e.Gateway, e.Action, strings.Join(why, "; "))
}

// Is makes a GatewayInUse match ErrConflict.
func (e *GatewayInUse) Is(target error) bool { return target == ErrConflict }
