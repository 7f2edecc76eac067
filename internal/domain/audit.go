package domain

import "time"

// AuditAction names what an audit entry records.
type AuditAction string

const (
	AuditLogin         AuditAction = "login"
	AuditLoginFailed   AuditAction = "login_failed"
	AuditLogout        AuditAction = "logout"
	AuditUserCreate    AuditAction = "user_create"
	AuditUserUpdate    AuditAction = "user_update" // role, disable, password reset
	AuditGatewayCreate AuditAction = "gateway_create"
	AuditGatewayUpdate AuditAction = "gateway_update"
	AuditGatewayTest   AuditAction = "gateway_test"
	AuditGatewayRetry  AuditAction = "gateway_login_retry" // an admin's one login with a password the gateway refused
	AuditGatewayRemove AuditAction = "gateway_remove"      // hidden from lists, kept for the history
	AuditSubRegister   AuditAction = "subscription_register"
	AuditSubModify     AuditAction = "subscription_modify"
	AuditSubCancel     AuditAction = "subscription_cancel"
	AuditSubReplace    AuditAction = "subscription_replace"
	AuditSubPolicy     AuditAction = "subscription_policy"
	AuditSubResolve    AuditAction = "subscription_resolve" // an unknown register settled by hand
	AuditSubClose      AuditAction = "subscription_close"   // closed in ccsub only: the platform had already dropped it
	AuditSecretReveal  AuditAction = "secret_reveal"
	AuditSecretsRotate AuditAction = "secrets_rotate"
	AuditExport        AuditAction = "export"
	AuditTokenCreate   AuditAction = "api_token_create"
	AuditTokenRevoke   AuditAction = "api_token_revoke"
	AuditRetentionRun  AuditAction = "retention_run" // one run of the retention policy, with its counts per kind
)

// Audit target types.
const (
	TargetUser         = "user"
	TargetGateway      = "gateway"
	TargetSubscription = "subscription"
	TargetAPIToken     = "api_token"
	TargetHistory      = "history"
	TargetAudit        = "audit"
	TargetSecretKey    = "secret_key" // key rotation: the target is the new primary key's id
	TargetRetention    = "retention"  // a retention run: the target is the run's id
)

// FieldChange is one field's before and after in an audit diff. Secrets
// appear only as "[secret changed]" / "[secret unchanged]" markers.
type FieldChange struct {
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
}

// AuditEntry is one row of the tamper-evident audit trail.
type AuditEntry struct {
	ID         int64
	At         time.Time
	Actor      string
	SourceAddr string
	UserAgent  string
	Action     AuditAction
	TargetType string
	TargetID   string
	TargetName string
	Outcome    string // success or failure; a gateway action takes its call's outcome word
	Diff       map[string]FieldChange
	PrevHash   []byte
	Hash       []byte
}

// AuditFilter narrows the audit list. Zero values mean "any".
type AuditFilter struct {
	Actor      string
	Action     AuditAction
	TargetType string
	TargetID   string
	From, To   time.Time
}

// AuditPage is one newest-first page of the audit trail.
type AuditPage struct {
	Entries []AuditEntry
	Older   *Cursor
	Newer   *Cursor
}

// AuditBreak is the first link of the chain that does not verify.
type AuditBreak struct {
	ID     int64
	At     time.Time
	Reason string
}

// AuditActions lists every action, in the order the audit page offers them
// as a filter. Add a new action here too.
var AuditActions = []AuditAction{
	AuditLogin, AuditLoginFailed, AuditLogout, AuditUserCreate, AuditUserUpdate,
	AuditGatewayCreate, AuditGatewayUpdate, AuditGatewayTest, AuditGatewayRetry, AuditGatewayRemove,
	AuditSubRegister, AuditSubModify, AuditSubCancel, AuditSubReplace, AuditSubPolicy, AuditSubResolve, AuditSubClose,
	AuditSecretReveal, AuditSecretsRotate, AuditExport, AuditTokenCreate, AuditTokenRevoke, AuditRetentionRun,
}

// Valid reports whether a is one of AuditActions.
func (a AuditAction) Valid() bool {
	for _, v := range AuditActions {
		if v == a {
			return true
		}
	}
	return false
}

// AuditTargetTypes lists every target type, for the audit page's filter.
var AuditTargetTypes = []string{TargetUser, TargetGateway, TargetSubscription, TargetAPIToken, TargetHistory, TargetAudit, TargetSecretKey, TargetRetention}

// AuditVerification is the result of walking the whole chain: how many
// entries were checked, the head hash (to compare with one recorded
// earlier: only that reveals removed newest entries) and the first broken
// link, nil when the chain is intact.
type AuditVerification struct {
	Checked int64
	Head    []byte
	Break   *AuditBreak
	// Anchor is the id of the last entry retention deleted, whose kept
	// hash the chain starts from; 0 when the chain starts from genesis.
	Anchor int64
}

// Actor is who does something and from where, as the audit trail records
// it: a console user, an API token ("name (API token #n)"), the command
// line ("cli:<os user>") or ccsub itself.
type Actor struct {
	Name      string
	Addr      string // source address; "local" for the command line
	UserAgent string
}
