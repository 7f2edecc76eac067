package store

// SetAuditVerifyPage shortens VerifyAuditChain's pages until restore is
// called, so a short chain spans several.
func SetAuditVerifyPage(n int) (restore func()) {
	old := auditVerifyPage
	auditVerifyPage = n
	return func() { auditVerifyPage = old }
}
