package server

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/subscribe"
)

// The builders below turn one gateway or subscription action into its
// audit entry. They are shared by the pages and the API so both record the
// same fields. Secrets never enter a diff: the gateway password and
// service tokens appear only as SecretChanged/SecretUnchanged, the CA
// bundle as fingerprints, the receiver key (a credential) only as whether
// ccsub's receiver is used.

// gatewayFields are a gateway's audited fields.
func gatewayFields(g domain.Gateway) map[string]any {
	return map[string]any{"name": g.Name, "baseUrl": g.BaseURL, "agentId": g.AgentID, "caFingerprint": caFingerprint(g.CAPEM)}
}

// gatewaySaved is the entry of a created (before == nil) or updated
// gateway. newPassword says whether a password was entered.
// GatewaySaved is the audit entry of a gateway created (before nil) or
// edited, with its password only as a marker; the CLI uses it too.
func GatewaySaved(before *domain.Gateway, after domain.Gateway, newPassword bool) domain.AuditEntry {
	e := domain.AuditEntry{Action: domain.AuditGatewayCreate, TargetType: domain.TargetGateway,
		TargetID: idString(after.ID), TargetName: after.Name}
	var old map[string]any
	if before != nil {
		e.Action, old = domain.AuditGatewayUpdate, gatewayFields(*before)
	}
	e.Diff = changes(old, gatewayFields(after))
	pw := SecretUnchanged
	if newPassword {
		pw = SecretChanged
	}
	e.Diff["password"] = domain.FieldChange{After: pw}
	return e
}

// gatewayTested is the entry of a connection test; its outcome is the
// call's.
func gatewayTested(id int64, call domain.Call) domain.AuditEntry {
	return domain.AuditEntry{Action: domain.AuditGatewayTest, TargetType: domain.TargetGateway,
		TargetID: idString(id), TargetName: call.GatewayName, Outcome: string(call.Outcome), Diff: callFacts("", call)}
}

// callFacts records which gateway call carried an action and what the
// gateway answered, so the entry leads to the call's page.
func callFacts(prefix string, call domain.Call) map[string]domain.FieldChange {
	d := map[string]domain.FieldChange{prefix + "callId": {After: call.ID}}
	if call.Retcode != "" {
		d[prefix+"retcode"] = domain.FieldChange{After: call.Retcode}
	}
	return d
}

// subscriptionFields are a subscription's audited settings.
func subscriptionFields(callback string, nlp bool, flow string, receiver bool) map[string]any {
	return map[string]any{"callbackUri": callback, "nlpFlag": nlp, "flowAccessCode": flow, "ccsubReceiver": receiver}
}

func subscriptionTarget(action domain.AuditAction, sub domain.Subscription) domain.AuditEntry {
	return domain.AuditEntry{Action: action, TargetType: domain.TargetSubscription, TargetID: idString(sub.ID), TargetName: sub.ServerID}
}

// subscriptionRegistered is the entry of a register; the target is the
// subscription the call created (none when the gateway refused it).
func subscriptionRegistered(in subscribe.RegisterInput, call domain.Call) domain.AuditEntry {
	e := domain.AuditEntry{Action: domain.AuditSubRegister, TargetType: domain.TargetSubscription,
		TargetName: call.ServerID, Outcome: string(call.Outcome)}
	if call.SubscriptionID != nil {
		e.TargetID = idString(*call.SubscriptionID)
	}
	after := subscriptionFields(in.CallbackURI, in.NLPFlag, in.FlowAccessCode, in.ReceiverKey != "")
	after["gateway"], after["subscribeType"], after["autoReregister"] = call.GatewayName, in.SubscribeType, in.AutoReregister
	if call.ServerID != "" {
		after["serverId"] = call.ServerID
	}
	e.Diff = changes(nil, after)
	if in.ServiceToken != "" {
		e.Diff["serviceToken"] = domain.FieldChange{After: SecretChanged}
	}
	return withFacts(e, callFacts("", call))
}

// subscriptionModified is the entry of a modify: the settings before and
// as requested; the outcome says whether the gateway took them.
func subscriptionModified(sub domain.Subscription, in subscribe.ModifyInput, call domain.Call) domain.AuditEntry {
	e := subscriptionTarget(domain.AuditSubModify, sub)
	e.Outcome = string(call.Outcome)
	e.Diff = changes(subscriptionFields(sub.CallbackURI, sub.NLPFlag, sub.FlowAccessCode, sub.ReceiverKey != ""),
		subscriptionFields(in.CallbackURI, in.NLPFlag, in.FlowAccessCode, in.ReceiverKey != ""))
	return withFacts(e, callFacts("", call))
}

// subscriptionCancelled is the entry of a cancel with the state before and
// after it.
func subscriptionCancelled(before, after domain.Subscription, call domain.Call) domain.AuditEntry {
	e := subscriptionTarget(domain.AuditSubCancel, before)
	e.Outcome = string(call.Outcome)
	e.Diff = changes(map[string]any{"state": string(before.State)}, map[string]any{"state": string(after.State)})
	return withFacts(e, callFacts("", call))
}

// subscriptionReplaced is the one entry of a replace (a register, then a
// cancel of the old subscription), on the old subscription. It succeeded
// only if both calls did.
func subscriptionReplaced(old domain.Subscription, reg, cancel domain.Call) domain.AuditEntry {
	e := subscriptionTarget(domain.AuditSubReplace, old)
	e.Outcome = string(reg.Outcome)
	if reg.Outcome == domain.OutcomeSuccess {
		e.Outcome = string(cancel.Outcome)
	}
	e.Diff = map[string]domain.FieldChange{"serviceToken": {After: SecretChanged}}
	if reg.ServerID != "" {
		e.Diff["replacedBy"] = domain.FieldChange{After: reg.ServerID}
	}
	if reg.SubscriptionID != nil {
		e.Diff["replacementId"] = domain.FieldChange{After: *reg.SubscriptionID}
	}
	e = withFacts(e, callFacts("register.", reg))
	if cancel.ID != 0 {
		e = withFacts(e, callFacts("cancel.", cancel))
	}
	return e
}

// subscriptionPolicy is the entry of turning automatic re-registration on
// or off.
func subscriptionPolicy(sub domain.Subscription, on bool) domain.AuditEntry {
	e := subscriptionTarget(domain.AuditSubPolicy, sub)
	e.Diff = changes(map[string]any{"autoReregister": sub.AutoReregister}, map[string]any{"autoReregister": on})
	return e
}

func withFacts(e domain.AuditEntry, facts map[string]domain.FieldChange) domain.AuditEntry {
	if e.Diff == nil {
		e.Diff = map[string]domain.FieldChange{}
	}
	for k, v := range facts {
		e.Diff[k] = v
	}
	return e
}

// caFingerprint names a CA bundle by the SHA-256 of each certificate it
// holds: an auditor can tell whether it changed without the page showing
// kilobytes of PEM.
func caFingerprint(bundle string) string {
	if strings.TrimSpace(bundle) == "" {
		return "system roots"
	}
	var fps []string
	rest := []byte(bundle)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if _, err := x509.ParseCertificate(b.Bytes); b.Type == "CERTIFICATE" && err == nil {
			sum := sha256.Sum256(b.Bytes)
			fps = append(fps, "SHA-256 "+hex.EncodeToString(sum[:]))
		}
	}
	if len(fps) == 0 {
		sum := sha256.Sum256([]byte(bundle))
		return "SHA-256 of the text " + hex.EncodeToString(sum[:])
	}
	return strings.Join(fps, ", ")
}
