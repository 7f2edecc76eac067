package subscribe

import (
	"ccsub/internal/audit"
	"ccsub/internal/domain"
)

// The audit entries of the gateway operations. Secrets never enter a diff:
// service tokens appear only as audit.SecretChanged, the receiver key (a
// credential) only as whether ccsub's receiver is used. A gateway action's
// outcome is its call's.

// settings are a subscription's audited settings.
func settings(callback string, nlp bool, flow string, receiver bool) map[string]any {
	return map[string]any{"callbackUri": callback, "nlpFlag": nlp, "flowAccessCode": flow, "ccsubReceiver": receiver}
}

func target(action domain.AuditAction, sub domain.Subscription) domain.AuditEntry {
	return domain.AuditEntry{Action: action, TargetType: domain.TargetSubscription, TargetID: audit.ID(sub.ID), TargetName: sub.ServerID}
}

// gatewayTested is the entry of a connection test.
func gatewayTested(id int64, call domain.Call) domain.AuditEntry {
	return domain.AuditEntry{Action: domain.AuditGatewayTest, TargetType: domain.TargetGateway,
		TargetID: audit.ID(id), TargetName: call.GatewayName, Outcome: string(call.Outcome), Diff: audit.CallFacts("", call)}
}

// registered is the entry of a register; the target is the subscription
// the call created (none when the gateway refused it).
func registered(in RegisterInput, call domain.Call) domain.AuditEntry {
	e := domain.AuditEntry{Action: domain.AuditSubRegister, TargetType: domain.TargetSubscription,
		TargetName: call.ServerID, Outcome: string(call.Outcome)}
	if call.SubscriptionID != nil {
		e.TargetID = audit.ID(*call.SubscriptionID)
	}
	after := settings(in.CallbackURI, in.NLPFlag, in.FlowAccessCode, in.ReceiverKey != "")
	after["gateway"], after["subscribeType"], after["autoReregister"] = call.GatewayName, in.SubscribeType, in.AutoReregister
	if call.ServerID != "" {
		after["serverId"] = call.ServerID
	}
	e.Diff = audit.Changes(nil, after)
	if call.TokenPresent {
		e.Diff["serviceToken"] = domain.FieldChange{After: audit.SecretChanged}
	}
	return audit.WithFacts(e, audit.CallFacts("", call))
}

// modified is the entry of a modify: the settings before and as requested;
// the outcome says whether the gateway took them.
func modified(sub domain.Subscription, in ModifyInput, call domain.Call) domain.AuditEntry {
	e := target(domain.AuditSubModify, sub)
	e.Outcome = string(call.Outcome)
	e.Diff = audit.Changes(settings(sub.CallbackURI, sub.NLPFlag, sub.FlowAccessCode, sub.ReceiverKey != ""),
		settings(in.CallbackURI, in.NLPFlag, in.FlowAccessCode, in.ReceiverKey != ""))
	return audit.WithFacts(e, audit.CallFacts("", call))
}

// cancelled is the entry of a cancel with the state before and after it.
func cancelled(before, after domain.Subscription, call domain.Call) domain.AuditEntry {
	e := target(domain.AuditSubCancel, before)
	e.Outcome = string(call.Outcome)
	e.Diff = audit.Changes(map[string]any{"state": string(before.State)}, map[string]any{"state": string(after.State)})
	return audit.WithFacts(e, audit.CallFacts("", call))
}

// replaced is the one entry of a replace (a register, then a cancel of the
// old subscription), on the old subscription. It succeeded only if both
// calls did.
func replaced(old domain.Subscription, reg, cancel domain.Call) domain.AuditEntry {
	e := target(domain.AuditSubReplace, old)
	e.Outcome = string(reg.Outcome)
	if reg.Outcome == domain.OutcomeSuccess {
		e.Outcome = string(cancel.Outcome)
	}
	e.Diff = map[string]domain.FieldChange{"serviceToken": {After: audit.SecretChanged}}
	if reg.ServerID != "" {
		e.Diff["replacedBy"] = domain.FieldChange{After: reg.ServerID}
	}
	if reg.SubscriptionID != nil {
		e.Diff["replacementId"] = domain.FieldChange{After: *reg.SubscriptionID}
	}
	e = audit.WithFacts(e, audit.CallFacts("register.", reg))
	if cancel.ID != 0 {
		e = audit.WithFacts(e, audit.CallFacts("cancel.", cancel))
	}
	return e
}

// policy is the entry of turning automatic re-registration on or off.
func policy(sub domain.Subscription, on bool) domain.AuditEntry {
	e := target(domain.AuditSubPolicy, sub)
	e.Diff = audit.Changes(map[string]any{"autoReregister": sub.AutoReregister}, map[string]any{"autoReregister": on})
	return e
}

// settled is the entry of settling an unknown register by hand.
func settled(sub domain.Subscription, serverID string) domain.AuditEntry {
	state := domain.SubActive
	if serverID == "" {
		state = domain.SubCancelled
	}
	e := target(domain.AuditSubResolve, sub)
	e.Diff = audit.Changes(map[string]any{"state": string(sub.State), "serverId": ""},
		map[string]any{"state": string(state), "serverId": serverID})
	return e
}

// closedDropped is the entry of closing in ccsub only a subscription the
// platform had dropped; the facts name the unregister call that showed it.
func closedDropped(sub domain.Subscription, call domain.Call) domain.AuditEntry {
	e := target(domain.AuditSubClose, sub)
	e.Diff = audit.Changes(map[string]any{"state": string(sub.State)}, map[string]any{"state": string(domain.SubCancelled)})
	e.Diff["gatewayCalled"] = domain.FieldChange{After: false}
	return audit.WithFacts(e, audit.CallFacts("unregister.", call))
}

// revealed is the entry of revealing a subscription's service token; a
// subscription without a serverId is named by its id.
func revealed(sub domain.Subscription) domain.AuditEntry {
	name := sub.ServerID
	if name == "" {
		name = "#" + audit.ID(sub.ID)
	}
	return domain.AuditEntry{Action: domain.AuditSecretReveal, TargetType: domain.TargetSubscription, TargetID: audit.ID(sub.ID),
		TargetName: name, Diff: audit.Revealed("serviceToken")}
}

// loginRetried is the entry of an administrator's retry: the refusal
// before and after it, and the login call.
func loginRetried(before, after domain.Gateway, call domain.Call) domain.AuditEntry {
	e := domain.AuditEntry{Action: domain.AuditGatewayRetry, TargetType: domain.TargetGateway,
		TargetID: audit.ID(before.ID), TargetName: before.Name, Outcome: string(call.Outcome)}
	e.Diff = audit.Changes(map[string]any{"loginRefused": refusalName(before.LoginRefused)},
		map[string]any{"loginRefused": refusalName(after.LoginRefused)})
	return audit.WithFacts(e, audit.CallFacts("", call))
}

func refusalName(r *domain.LoginRefusal) string {
	if r == nil {
		return ""
	}
	return r.String()
}
