package view

import (
	"context"
	"testing"

	"ccsub/internal/domain"
)

// TestAStateChangeSaysItsStatesAndReasonInTheViewersLanguage: the message
// ccsub writes for a state change is said in Chinese on a Chinese page; a
// gateway's own message, and a message no known form wrote, stay as sent.
func TestAStateChangeSaysItsStatesAndReasonInTheViewersLanguage(t *testing.T) {
	cancelled := domain.Call{Operation: domain.OpStateChange,
		Message: "active → cancelled: " + domain.ReasonCancelledBy.Say("admin")}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		call domain.Call
		want string
	}{
		{"a state change in Chinese", chinese, cancelled,
			StateLabel(chinese, domain.SubActive) + " → " + StateLabel(chinese, domain.SubCancelled) + ": " +
				StateReason(chinese, domain.ReasonCancelledBy.Say("admin"))},
		{"a state change in English", context.Background(), cancelled, "active → cancelled: cancelled by admin"},
		{"a gateway's message", chinese, domain.Call{Operation: domain.OpRegister, Message: "success"}, "success"},
		{"an unknown state", chinese, domain.Call{Operation: domain.OpStateChange, Message: "sleeping → awake: why"},
			"sleeping → awake: why"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CallMessage(tc.ctx, tc.call); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := CallMessage(chinese, cancelled); got == cancelled.Message {
		t.Errorf("a state change on a Chinese page stayed in English: %q", got)
	}
}
