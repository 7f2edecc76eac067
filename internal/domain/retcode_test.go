package domain

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// contractCodes are the vendor codes that docs/gateway-contract.md §7 must
// list, as issue 8.8 fixed them.
var contractCodes = []string{"0",
	"107-000", "107-001", "107-002", "107-003", "107-004", "107-005", "107-007",
	"107-026", "107-027", "107-028", "107-029", "107-030", "107-031", "107-032",
	"107-049", "107-050", "107-051", "107-052", "107-053", "107-054", "107-055", "107-056", "107-057", "107-106",
	"000-000", "000-002", "000-003", "100-006"}

func TestRetcodeTableHasEveryContractCodeOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range retcodes {
		if seen[r.Code] {
			t.Errorf("%s is in the table twice", r.Code)
		}
		seen[r.Code] = true
		h := r.Help
		if r.Meaning == "" || r.Action == "" || h.Happened == "" || h.Cause == "" || h.Who == "" {
			t.Errorf("%s: meaning %q, action %q, happened %q, cause %q, who %q; all must be said", r.Code, r.Meaning, r.Action,
				h.Happened, h.Cause, h.Who)
		}
		if (h.Tell == "") != (r.Code == "0") {
			t.Errorf("%s: what to tell is %q; every code but success says what to tell whom", r.Code, h.Tell)
		}
		if want := familyOf(r.Code); r.Family != want && !(want == RetcodeFamilySubscription && r.Family == RetcodeFamilyAuthentication) {
			t.Errorf("%s is in family %q, want %q", r.Code, r.Family, want)
		}
	}
	for _, c := range contractCodes {
		if !seen[c] {
			t.Errorf("the contract's %s is missing from the table", c)
		}
	}
	if !slices.Equal(KnownRetcodes(), tableCodes()) {
		t.Errorf("KnownRetcodes() = %v, want the table's codes in order", KnownRetcodes())
	}
}

// familyOf is the family a code's prefix implies; 107- codes may also be
// authentication codes.
func familyOf(code string) RetcodeFamily {
	switch {
	case code == "0":
		return RetcodeFamilySuccess
	case strings.HasPrefix(code, "107-"):
		return RetcodeFamilySubscription
	case strings.HasPrefix(code, "000-"):
		return RetcodeFamilyGeneral
	case strings.HasPrefix(code, "100-"):
		return RetcodeFamilyAgent
	}
	return ""
}

func tableCodes() []string {
	out := []string{}
	for _, r := range retcodes {
		out = append(out, r.Code)
	}
	return out
}

func TestRetcodeLookupsAreDerivedFromTheTable(t *testing.T) {
	for _, r := range retcodes {
		got, ok := LookupRetcode(r.Code)
		if !ok || got != r || ExplainRetcode(r.Code) != r || RetcodeFamilyOf(r.Code) != r.Family || !WellFormedRetcode(r.Code) {
			t.Errorf("%s: the lookups do not return the table's row", r.Code)
		}
	}
	for _, c := range []string{"", "107-999", "0 ", "107-00"} {
		if _, ok := LookupRetcode(c); ok {
			t.Errorf("%q is not in the contract, but a lookup found it", c)
		}
	}
	rows := Retcodes()
	rows[0].Meaning = "changed"
	if r, _ := LookupRetcode(rows[0].Code); r.Meaning == "changed" {
		t.Error("Retcodes() hands out the table itself")
	}
}

// TestACodeOutsideTheTableIsExplainedByItsPrefix: any well-formed code
// gets a row of general words, its cause chosen by its prefix; only
// strings that are not shaped like a code are refused.
func TestACodeOutsideTheTableIsExplainedByItsPrefix(t *testing.T) {
	for code, want := range map[string]RetcodeFamily{"107-999": RetcodeFamilySubscription, "000-123": RetcodeFamilyGeneral,
		"100-001": RetcodeFamilyAgent, "42": RetcodeFamilyOther, "E_TIMEOUT": RetcodeFamilyOther} {
		r := ExplainRetcode(code)
		if !WellFormedRetcode(code) || r.Code != code || r.Family != want || r.Action != "retcode.action.not_in_contract" ||
			r.Help.Tell == "" || r.Help.Cause == "" {
			t.Errorf("%s: %+v (well-formed %v), want family %s and general words", code, r, WellFormedRetcode(code), want)
		}
	}
	if ExplainRetcode("107-999").Help.Cause == ExplainRetcode("000-123").Help.Cause {
		t.Error("the prefix does not change what an unknown code's page says")
	}
	for _, bad := range []string{"", "-1", "107/026", "a b", "<x>", "107-026.", strings.Repeat("1", 33)} {
		if WellFormedRetcode(bad) {
			t.Errorf("%q is taken for a retcode", bad)
		}
	}
}

// FuzzWellFormedRetcode: the written-out check says what its pattern says.
func FuzzWellFormedRetcode(f *testing.F) {
	pattern := regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,31}$`)
	for _, code := range []string{"", "0", "107-027", "-1", "_a", "a_", "a-", strings.Repeat("9", 32), strings.Repeat("9", 33),
		"10 7", "107/027", "é", "a\n", "ABC-def_09", "../x"} {
		f.Add(code)
	}
	f.Fuzz(func(t *testing.T, code string) {
		if got, want := WellFormedRetcode(code), pattern.MatchString(code); got != want {
			t.Errorf("WellFormedRetcode(%q) = %v, the pattern says %v", code, got, want)
		}
	})
}
