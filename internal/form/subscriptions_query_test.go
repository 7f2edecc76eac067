package form

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"ccsub/internal/domain"
)

func TestParseSubscriptionQuery(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		states []domain.SubState
		gw     int64
		text   string
		values string // the canonical query string
		errs   []string
	}{
		{"nothing is no filter", "", nil, 0, "", "", nil},
		{"repeated states and a list are one set, in the usual order",
			"state=lapsed&state=active,lapsed&state=", []domain.SubState{"active", "lapsed"}, 0, "", "state=active%2Clapsed", nil},
		{"every state is no state filter", "state=unknown,cancelled,lapsed,degraded,active", nil, 0, "", "", nil},
		{"gateway and text, trimmed", "gateway=+7+&q=+crm.example+", nil, 7, "crm.example", "gateway=7&q=crm.example", nil},
		{"an unknown state", "state=active,Active", nil, 0, "", "", []string{"state"}},
		{"a gateway that is not an id", "gateway=-3", nil, 0, "", "", []string{"gateway"}},
		{"a gateway twice", "gateway=1&gateway=1", nil, 1, "", "", []string{"gateway"}},
		{"invisible characters in the text", "q=a%E2%80%8Bb", nil, 0, "", "", []string{"q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			fv, f, errs := ParseSubscriptionQuery(context.Background(), q)
			var fields []string
			for k := range errs {
				fields = append(fields, k)
			}
			if !slices.Equal(fields, tt.errs) {
				t.Fatalf("errors %v, want fields %v", errs, tt.errs)
			}
			if len(tt.errs) > 0 {
				return
			}
			if !slices.Equal(f.States, tt.states) || f.GatewayID != tt.gw || f.Text != tt.text {
				t.Fatalf("filter %+v", f)
			}
			if got := fv.Values().Encode(); got != tt.values {
				t.Fatalf("values %q, want %q", got, tt.values)
			}
		})
	}
}
