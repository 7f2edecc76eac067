package form

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

func TestParseCallQueryTextAndServerIdFilters(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  domain.CallFilter
		err   string // the serverId, callback or message error, as a substring
	}{
		{"a whole serverId", "serverId=20140414172508-001-00101",
			domain.CallFilter{ServerID: "20140414172508-001-00101"}, ""},
		{"a serverId's start ends with *", "serverId=20140414*",
			domain.CallFilter{ServerID: "20140414", ServerIDPrefix: true}, ""},
		{"spaces around a serverId are trimmed", "serverId=+2014*+",
			domain.CallFilter{ServerID: "2014", ServerIDPrefix: true}, ""},
		{"a lone * is refused", "serverId=*", domain.CallFilter{}, "followed by one *"},
		{"a * inside a serverId is refused", "serverId=2014*0414", domain.CallFilter{}, "followed by one *"},
		{"two trailing * are refused", "serverId=2014**", domain.CallFilter{}, "followed by one *"},
		{"a message term", "message=+handshake+failed+",
			domain.CallFilter{MessageContains: "handshake failed"}, ""},
		{"a message with a control character is refused", "message=a%00b", domain.CallFilter{}, "control characters"},
		{"a message over 200 characters is refused", "message=" + strings.Repeat("x", 201), domain.CallFilter{}, "At most 200"},
		{"a callback term and a message term together", "callback=crm&message=ok",
			domain.CallFilter{CallbackContains: "crm", MessageContains: "ok"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			fv, f, errs := ParseCallQuery(context.Background(), q)
			msg := errs["serverId"] + errs["callback"] + errs["message"]
			if tt.err != "" {
				if !strings.Contains(msg, tt.err) {
					t.Fatalf("errors %v, want one saying %q", errs, tt.err)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("refused: %v", errs)
			}
			if f.ServerID != tt.want.ServerID || f.ServerIDPrefix != tt.want.ServerIDPrefix ||
				f.CallbackContains != tt.want.CallbackContains || f.MessageContains != tt.want.MessageContains {
				t.Fatalf("filter %+v, want %+v", f, tt.want)
			}
			// The page shows, and the links carry, the term as typed.
			if again, f2, _ := ParseCallQuery(context.Background(), fv.Values()); again != fv || f2.ServerIDPrefix != f.ServerIDPrefix {
				t.Fatalf("the filters' own query string %v reads as %+v", fv.Values(), again)
			}
		})
	}
}
