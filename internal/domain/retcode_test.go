package domain

import (
	"os"
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
		if r.Meaning == "" || r.Action == "" {
			t.Errorf("%s: meaning %q, action %q; both must be said", r.Code, r.Meaning, r.Action)
		}
		if strings.ContainsAny(r.Meaning+r.Action+r.Check, "|`\n") {
			t.Errorf("%s: a text holds | or ` or a line break, which the contract's table cannot show", r.Code)
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

// TestRetcodeTableSaysWhatCCSubDoes pins the decisions of issue 8
// (docs/gateway-contract.md §9) to the codes they concern, so the words
// shown to people cannot drift from the behaviour.
func TestRetcodeTableSaysWhatCCSubDoes(t *testing.T) {
	special := map[string]string{}
	for _, c := range []string{"107-000", "107-007", "000-003", "100-006"} {
		special[c] = "logs in again once and retries the call once"
	}
	for _, c := range []string{"107-003", "107-004"} {
		special[c] = "never retries it automatically"
	}
	special["0"] = "Recorded as success"
	special["107-029"] = "Recorded as unknown: the platform may have acted"
	special["107-031"] = "offers to close it in ccsub only"
	special["107-032"] = "lapses only 5 minutes after its last successful handshake"
	for _, r := range retcodes {
		want, ok := special[r.Code]
		if !ok {
			want = "Recorded as rejected: the platform did not act."
		}
		if !strings.Contains(r.Action, want) {
			t.Errorf("%s: action %q, want it to say %q", r.Code, r.Action, want)
		}
	}
	for _, c := range []string{"107-026", "107-027"} {
		for _, w := range []string{"IF_SUB_CONFIGURE=ON", "basic.properties", "callback address", "Manage Subscription Server"} {
			if !strings.Contains(RetcodeHint(c), w) {
				t.Errorf("%s: check %q, want it to mention %q", c, RetcodeHint(c), w)
			}
		}
	}
	if RetcodeHint("0") != "" {
		t.Errorf("success has a check: %q", RetcodeHint("0"))
	}
}

func TestRetcodeLookupsAreDerivedFromTheTable(t *testing.T) {
	for _, r := range retcodes {
		got, ok := LookupRetcode(r.Code)
		if !ok || got != r || RetcodeMeaning(r.Code) != r.Meaning || RetcodeAction(r.Code) != r.Action || RetcodeHint(r.Code) != r.Check {
			t.Errorf("%s: the lookups do not return the table's row", r.Code)
		}
	}
	for _, c := range []string{"", "107-999", "0 ", "107-00"} {
		if _, ok := LookupRetcode(c); ok || RetcodeMeaning(c) != "" || RetcodeAction(c) != "" || RetcodeHint(c) != "" {
			t.Errorf("%q is not in the contract, but a lookup found it", c)
		}
	}
	rows := Retcodes()
	rows[0].Meaning = "changed"
	if RetcodeMeaning(rows[0].Code) == "changed" {
		t.Error("Retcodes() hands out the table itself")
	}
}

// TestContractDocListsTheRetcodeTable reads docs/gateway-contract.md §7 and
// fails when its table and this package's differ: a code on one side only,
// or a row whose words are not the table's. The message shows the rows to
// paste.
func TestContractDocListsTheRetcodeTable(t *testing.T) {
	raw, err := os.ReadFile("../../docs/gateway-contract.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start := strings.Index(doc, "\n## 7. ")
	end := strings.Index(doc, "\n## 8. ")
	if start < 0 || end < start {
		t.Fatal("docs/gateway-contract.md has no §7 followed by §8")
	}
	// A code row is a table row whose first cell names a code in backticks.
	code := regexp.MustCompile("`(0|[0-9]{3}-[0-9]{3})`")
	docRows := map[string]string{}
	var docCodes []string
	for _, line := range strings.Split(doc[start:end], "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		found := code.FindAllStringSubmatch(cells[1], -1)
		if len(found) > 1 {
			t.Errorf("§7 names several codes in one row, want one row each: %s", line)
		}
		for _, m := range found {
			if _, dup := docRows[m[1]]; dup {
				t.Errorf("§7 lists %s twice", m[1])
			}
			docRows[m[1]] = strings.TrimSpace(line)
			docCodes = append(docCodes, m[1])
		}
	}
	var want strings.Builder
	drift := false
	for _, r := range retcodes {
		row := docRow(r)
		want.WriteString(row + "\n")
		got, ok := docRows[r.Code]
		switch {
		case !ok:
			t.Errorf("the table's %s is missing from docs/gateway-contract.md §7", r.Code)
			drift = true
		case got != row:
			t.Errorf("docs/gateway-contract.md §7 says about %s:\n%s\nwant:\n%s", r.Code, got, row)
			drift = true
		}
	}
	for _, c := range docCodes {
		if _, ok := LookupRetcode(c); !ok {
			t.Errorf("docs/gateway-contract.md §7 lists %s, which the table (internal/domain/retcode.go) lacks", c)
			drift = true
		}
	}
	if !drift && !slices.Equal(docCodes, tableCodes()) {
		t.Errorf("§7 lists the codes in another order than the table: %v", docCodes)
		drift = true
	}
	if drift {
		t.Logf("the rows §7 should have, after its header row:\n%s", want.String())
	}
}

// docRow is a table row as docs/gateway-contract.md §7 writes it.
func docRow(r Retcode) string {
	check := r.Check
	if check == "" {
		check = "—"
	}
	return "| `" + r.Code + "` | " + string(r.Family) + " | " + r.Meaning + " | " + r.Action + " | " + check + " |"
}
