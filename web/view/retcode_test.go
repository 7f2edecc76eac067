package view

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
)

var (
	english = context.Background()
	chinese = i18n.WithLanguage(context.Background(), i18n.Chinese, "")
)

// texts are a row's message IDs by what they say; Check and Tell may be
// empty.
func texts(r domain.Retcode) map[string]string {
	return map[string]string{"meaning": r.Meaning, "action": r.Action, "check": r.Check, "happened": r.Help.Happened,
		"cause": r.Help.Cause, "who": r.Help.Who, "tell": r.Help.Tell}
}

// TestEveryRetcodeHasAllItsTextsInBothLanguages: every code of the table,
// and the general words of a code outside it, reads in English and in
// Simplified Chinese, and the two differ (a missing message would show its
// ID, or fall back to English).
func TestEveryRetcodeHasAllItsTextsInBothLanguages(t *testing.T) {
	rows := append(domain.Retcodes(), domain.ExplainRetcode("107-999"), domain.ExplainRetcode("000-999"),
		domain.ExplainRetcode("100-999"), domain.ExplainRetcode("X1"))
	for _, r := range rows {
		for what, id := range texts(r) {
			if id == "" {
				continue
			}
			en, zh := i18n.T(english, id), i18n.T(chinese, id)
			if en == id || zh == id || en == "" || zh == "" || en == zh {
				t.Errorf("%s: its %s (%s) reads %q in English and %q in Chinese", r.Code, what, id, en, zh)
			}
		}
	}
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
	for _, r := range domain.Retcodes() {
		want, ok := special[r.Code]
		if !ok {
			want = "Recorded as rejected: the platform did not act."
		}
		if got := RetcodeAction(english, r.Code); !strings.Contains(got, want) {
			t.Errorf("%s: action %q, want it to say %q", r.Code, got, want)
		}
	}
	for _, c := range []string{"107-026", "107-027"} {
		for _, w := range []string{"IF_SUB_CONFIGURE=ON", "basic.properties", "callback address", "Manage Subscription Server"} {
			if !strings.Contains(RetcodeCheck(english, c), w) {
				t.Errorf("%s: check %q, want it to mention %q", c, RetcodeCheck(english, c), w)
			}
		}
	}
	if RetcodeCheck(english, "0") != "" {
		t.Errorf("success has a check: %q", RetcodeCheck(english, "0"))
	}
	if m := Meaning(chinese, "107-026"); m != "订阅失败" {
		t.Errorf("107-026 in Chinese means %q", m)
	}
	if !strings.Contains(Meaning(english, "107-999"), "not in the contract") || !strings.Contains(RetcodeAction(english, "107-999"), "Recorded as rejected") {
		t.Error("a code outside the contract is not explained")
	}
}

// TestContractDocListsTheRetcodeTable reads docs/gateway-contract.md §7 and
// fails when its table and the retcode table (in English) differ: a code
// on one side only, or a row whose words are not the table's. The message
// shows the rows to paste.
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
	for _, r := range domain.Retcodes() {
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
		if _, ok := domain.LookupRetcode(c); !ok {
			t.Errorf("docs/gateway-contract.md §7 lists %s, which the table (internal/domain/retcode.go) lacks", c)
			drift = true
		}
	}
	if !drift && !slices.Equal(docCodes, domain.KnownRetcodes()) {
		t.Errorf("§7 lists the codes in another order than the table: %v", docCodes)
		drift = true
	}
	if drift {
		t.Logf("the rows §7 should have, after its header row:\n%s", want.String())
	}
}

// docRow is a table row as docs/gateway-contract.md §7 writes it, in
// English.
func docRow(r domain.Retcode) string {
	check := RetcodeCheck(english, r.Code)
	if check == "" {
		check = "—"
	}
	cell := func(id string) string {
		s := i18n.T(english, id)
		if strings.ContainsAny(s, "|`\n") {
			s += " [holds | or ` or a line break, which the contract's table cannot show]"
		}
		return s
	}
	return "| `" + r.Code + "` | " + string(r.Family) + " | " + cell(r.Meaning) + " | " + cell(r.Action) + " | " + check +
		" | " + cell(r.Help.Who) + " |"
}

// TestRetcodePathIsOfferedForWellFormedCodesOnly: links never lead to a
// page that is not there.
func TestRetcodePathIsOfferedForWellFormedCodesOnly(t *testing.T) {
	for code, want := range map[string]string{"107-026": "/retcodes/107-026", "0": "/retcodes/0", "": "", "a b": "", "../x": ""} {
		if got := RetcodePath(code, 0); got != want {
			t.Errorf("RetcodePath(%q) = %q, want %q", code, got, want)
		}
	}
	if got := RetcodePath("107-026", 12); got != "/retcodes/107-026?call=12" {
		t.Errorf("from a call: %q", got)
	}
}

func TestSpanSaysALengthOfTimeInWords(t *testing.T) {
	for _, tc := range []struct {
		d      time.Duration
		en, zh string
	}{
		{5 * time.Minute, "5 minutes", "5 分钟"},
		{time.Minute, "1 minute", "1 分钟"},
		{90 * time.Minute, "1 hour 30 minutes", "1 小时 30 分钟"},
		{30 * time.Second, "30 seconds", "30 秒"},
		{1500 * time.Millisecond, "1.5 seconds", "1.5 秒"},
		{250 * time.Millisecond, "250 ms", "250 毫秒"},
		{0, "0 seconds", "0 秒"},
		{2*time.Hour + 3*time.Second, "2 hours 3 seconds", "2 小时 3 秒"},
	} {
		if got := Span(english, tc.d); got != tc.en {
			t.Errorf("Span(%v) = %q, want %q", tc.d, got, tc.en)
		}
		if got := Span(chinese, tc.d); got != tc.zh {
			t.Errorf("Span(%v) in Chinese = %q, want %q", tc.d, got, tc.zh)
		}
	}
}

// TestStoredReasonsAreSaidInTheViewersLanguage: a stored English reason is
// read back and said in Chinese, with the words of ccsub inside it (the
// outcome, the retcode's meaning, the length of time, the failure that made
// a subscription lapse); text no phrase wrote is shown as stored.
func TestStoredReasonsAreSaidInTheViewersLanguage(t *testing.T) {
	lapse := domain.ReasonLapsed.Say("5m0s", domain.ReasonHandshakeCode.Say(domain.OutcomeRejected, "107-032", "handshake failed"))
	if got, want := StateReason(chinese, lapse), "已有 5 分钟 没有成功握手（超过这个时间平台会丢弃订阅）：握手结果：被拒绝，107-032（握手失败）"; got != want {
		t.Errorf("lapse in Chinese: %q, want %q", got, want)
	}
	if got, want := StateReason(english, lapse), "no successful handshake for 5 minutes (the platform drops a subscription after that): handshake rejected: 107-032 (handshake failed)"; got != want {
		t.Errorf("lapse in English: %q, want %q", got, want)
	}
	if got := StateReason(chinese, domain.ReasonCancelledBy.Say("alice")); got != "由 alice 取消" {
		t.Errorf("cancelled: %q", got)
	}
	if got := PushRefusal(chinese, domain.PushTokenWrong.Say()); got != "service_token 与这个订阅的 token 不一致" {
		t.Errorf("push refusal: %q", got)
	}
	c := domain.Call{RefusedByCcsub: true, Error: domain.NotSentNothingSent.Say(domain.NotSentAddressScheme.Say("http://"))}
	if got := NotSentReason(chinese, c); got != "网关地址必须以 https:// 开头（当前为 \"http://\"）；没有发送任何内容" {
		t.Errorf("not sent: %q", got)
	}
	c = domain.Call{RefusedByCcsub: true, Message: domain.NotSentRememberedRefusal.Say("107-003", domain.NoGatewayMessage)}
	if got := NotSentReason(chinese, c); !strings.HasPrefix(got, "网关之前拒绝了这组账号和密码（107-003：网关没有给出消息）") {
		t.Errorf("remembered refusal: %q", got)
	}
	if got := StateReason(chinese, "load-run fixture"); got != "load-run fixture" {
		t.Errorf("unknown text: %q", got)
	}
}

// TestEveryPhraseHasItsPlaceholders: each phrase's message names exactly
// the arguments it reads back, in both languages.
func TestEveryPhraseHasItsPlaceholders(t *testing.T) {
	for _, list := range [][]domain.Phrase{domain.StateReasons, domain.PushRefusals, domain.NotSentReasons} {
		for _, p := range list {
			data := i18n.D{}
			for _, a := range p.Args {
				data[a] = "«" + a + "»"
			}
			for _, ctx := range []context.Context{english, chinese} {
				got := i18n.Tf(ctx, p.Key, data)
				if got == p.Key || strings.Contains(got, "<no value>") {
					t.Errorf("%s (%s): %q", p.Key, i18n.Lang(ctx), got)
				}
				for _, a := range p.Args {
					if !strings.Contains(got, "«"+a+"»") {
						t.Errorf("%s (%s) does not say its %s: %q", p.Key, i18n.Lang(ctx), a, got)
					}
				}
			}
		}
	}
}

func TestReasonRetcodeFindsTheCodeAReasonNames(t *testing.T) {
	for s, want := range map[string]string{
		domain.ReasonHandshakeCode.Say(domain.OutcomeRejected, "107-032", "handshake failed"):                       "107-032",
		domain.ReasonLapsed.Say("5m0s", domain.ReasonHandshakeAnswer.Say(domain.OutcomeRejected, "107-002", "bad")): "107-002",
		domain.ReasonClosedOnly.Say("alice", "107-031", 7):                                                          "107-031",
		domain.ReasonLapsed.Say("5m0s", domain.ReasonHandshakeHTTP.Say(domain.OutcomeFailed, 503)):                  "",
		domain.ReasonCancelledBy.Say("alice"):                                                                       "",
		"written by hand":                                                                                           "",
	} {
		if got := ReasonRetcode(s); got != want {
			t.Errorf("ReasonRetcode(%q) = %q, want %q", s, got, want)
		}
	}
}
