package gatewaysim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// rulesJSON is Rules on the wire, as GET /_sim/config shows them.
// IFSubConfigure is the positive setting (true: IF_SUB_CONFIGURE=ON), and
// GuidIdle a Go duration string or "never".
type rulesJSON struct {
	GuidIdle            string   `json:"guidIdle"`
	ExpiredCode         string   `json:"expiredCode"`
	GuidIn              string   `json:"guidIn"`
	LaxAgentID          bool     `json:"laxAgentId"`
	IFSubConfigure      bool     `json:"ifSubConfigure"`
	SubscriptionServers []string `json:"subscriptionServers"`
	AllowHTTPLoopback   bool     `json:"allowHttpLoopback"`
	LaxCallbacks        bool     `json:"laxCallbacks"`
	LaxHandshakeToken   bool     `json:"laxHandshakeToken"`
}

// Never is how GuidIdle "never expires" is written on the wire and in flags.
const Never = "never"

func toRulesJSON(r Rules) rulesJSON {
	idle := Never
	if r.GuidIdle > 0 {
		idle = r.GuidIdle.String()
	}
	servers := r.SubscriptionServers
	if servers == nil {
		servers = []string{}
	}
	return rulesJSON{GuidIdle: idle, ExpiredCode: r.ExpiredCode, GuidIn: r.GuidIn, LaxAgentID: r.LaxAgentID,
		IFSubConfigure: !r.IFSubConfigureOff, SubscriptionServers: servers, AllowHTTPLoopback: r.AllowHTTPLoopback,
		LaxCallbacks: r.LaxCallbacks, LaxHandshakeToken: r.LaxHandshakeToken}
}

// rulesPatch is the body of POST /_sim/config: only the fields present
// change.
type rulesPatch struct {
	GuidIdle            *string   `json:"guidIdle"`
	ExpiredCode         *string   `json:"expiredCode"`
	GuidIn              *string   `json:"guidIn"`
	LaxAgentID          *bool     `json:"laxAgentId"`
	IFSubConfigure      *bool     `json:"ifSubConfigure"`
	SubscriptionServers *[]string `json:"subscriptionServers"`
	AllowHTTPLoopback   *bool     `json:"allowHttpLoopback"`
	LaxCallbacks        *bool     `json:"laxCallbacks"`
	LaxHandshakeToken   *bool     `json:"laxHandshakeToken"`
}

// ParseGuidIdle reads a GuidIdle as the control endpoint and ccgw-sim take
// it: "never", or a Go duration (0 => DefaultGuidIdle, negative => never).
func ParseGuidIdle(v string) (time.Duration, error) {
	if v == Never {
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errors.New(`guidIdle must be "never" or a Go duration such as "30m"`)
	}
	return d, nil
}

func (p rulesPatch) apply(r *Rules) error {
	if p.GuidIdle != nil {
		d, err := ParseGuidIdle(*p.GuidIdle)
		if err != nil {
			return err
		}
		r.GuidIdle = d
	}
	setString(&r.ExpiredCode, p.ExpiredCode)
	setString(&r.GuidIn, p.GuidIn)
	setBool(&r.LaxAgentID, p.LaxAgentID)
	if p.IFSubConfigure != nil {
		r.IFSubConfigureOff = !*p.IFSubConfigure
	}
	if p.SubscriptionServers != nil {
		r.SubscriptionServers = *p.SubscriptionServers
	}
	setBool(&r.AllowHTTPLoopback, p.AllowHTTPLoopback)
	setBool(&r.LaxCallbacks, p.LaxCallbacks)
	setBool(&r.LaxHandshakeToken, p.LaxHandshakeToken)
	return nil
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

func (s *Sim) getConfig(w http.ResponseWriter, _ *http.Request) {
	writeControl(w, http.StatusOK, toRulesJSON(s.Rules()))
}

func (s *Sim) postConfig(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	var p rulesPatch
	if err := dec.Decode(&p); err != nil {
		controlError(w, http.StatusBadRequest, "body must be a config object: "+err.Error())
		return
	}
	if err := s.rules.update(p.apply); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeControl(w, http.StatusOK, toRulesJSON(s.Rules()))
}
