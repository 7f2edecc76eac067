package domain

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// sample is an argument value that looks like what producers write.
func sample(p Phrase, i int) any {
	switch p.Args[i] {
	case "Outcome":
		return OutcomeRejected
	case "Retcode":
		return "107-032"
	case "CallID", "Status":
		return 42
	case "Limit":
		return "5m0s"
	}
	if strings.Contains(p.Format, "%q") {
		return "x y"
	}
	return fmt.Sprintf("%s value: with (punctuation); and more", strings.ToLower(p.Args[i]))
}

// TestEveryPhraseReadsBackAsItself: what a producer writes with Say is
// read back as the same phrase with the same arguments, not taken for an
// earlier, looser form of its list.
func TestEveryPhraseReadsBackAsItself(t *testing.T) {
	for name, list := range map[string][]Phrase{"state": StateReasons, "push": PushRefusals, "not sent": NotSentReasons} {
		for _, p := range list {
			args := make([]any, len(p.Args))
			want := map[string]string{}
			for i := range p.Args {
				args[i] = sample(p, i)
				if strings.Contains(p.Format, "%q") {
					want[p.Args[i]] = fmt.Sprintf("%q", args[i])
				} else {
					want[p.Args[i]] = fmt.Sprint(args[i])
				}
			}
			s := p.Say(args...)
			got, gotArgs, ok := ReadPhrase(s, list)
			if !ok || got.Key != p.Key || !maps.Equal(gotArgs, want) {
				t.Errorf("%s %q: read back as %q %v (ok %v), want %s %v", name, s, got.Key, gotArgs, ok, p.Key, want)
			}
		}
	}
}

func TestTextNoPhraseWroteIsNotRead(t *testing.T) {
	for _, s := range []string{"", "load-run fixture", "registered by hand", "handshake"} {
		if p, _, ok := ReadPhrase(s, StateReasons); ok {
			t.Errorf("%q is read as %s", s, p.Key)
		}
	}
	// A lapse holds the failure that made it lapse.
	s := ReasonLapsed.Say("5m0s", ReasonHandshakeCode.Say(OutcomeRejected, "107-032", "handshake failed"))
	if _, args, ok := ReadPhrase(s, StateReasons); !ok || args["Reason"] != "handshake rejected: 107-032 (handshake failed)" {
		t.Errorf("lapse read as %v", args)
	}
}
