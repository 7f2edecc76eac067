package domain

import "time"

// APIToken is an automation credential: admin-issued, scoped to a role,
// expiring. Only a hash of the secret is kept; the token itself is shown
// once, when it is created.
type APIToken struct {
	ID         int64
	Name       string
	Prefix     string // the token's first characters, to recognise it in lists
	Role       Role
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Usable reports whether the token may authenticate a request at now.
func (t APIToken) Usable(now time.Time) bool {
	return t.RevokedAt == nil && now.Before(t.ExpiresAt)
}

// NewAPIToken is what is stored when a token is issued.
type NewAPIToken struct {
	Name      string
	Hash      []byte // SHA-256 of the token
	Prefix    string
	Role      Role
	CreatedBy string
	ExpiresAt time.Time
}
