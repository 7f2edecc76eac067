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
	AuditSubRegister   AuditAction = "subscription_register"
	AuditSubModify     AuditAction = "subscription_modify"
	AuditSubCancel     AuditAction = "subscription_cancel"
	AuditSubReplace    AuditAction = "subscription_replace"
	AuditSubPolicy     AuditAction = "subscription_policy"
	AuditSecretReveal  AuditAction = "secret_reveal"
	AuditSecretsRotate AuditAction = "secrets_rotate"
	AuditExport        AuditAction = "export"
	AuditTokenCreate   AuditAction = "api_token_create"
	AuditTokenRevoke   AuditAction = "api_token_revoke"
)

// Audit target types.
const (
	TargetUser         = "user"
	TargetGateway      = "gateway"
	TargetSubscription = "subscription"
	TargetAPIToken     = "api_token"
	TargetHistory      = "history"
	TargetAudit        = "audit"
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
	Outcome    string // success or failure
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
