package domain

import "testing"

func TestMatchesAnywhereNeedsThreeLettersOrDigitsInARow(t *testing.T) {
	for term, want := range map[string]bool{
		"crm": true, "crm-042": true, "a-b-crm": true, "100%_done": true, "Ünï": true, "李小龍": true,
		"": false, "cr": false, "a_b": false, "://": false, "a.b.c": false, "12-34": false, "ab ab": false,
	} {
		if got := MatchesAnywhere(term); got != want {
			t.Errorf("MatchesAnywhere(%q) = %v, want %v", term, got, want)
		}
	}
}
