package server

import (
	"net/http"

	"ccsub/internal/domain"
	"ccsub/web/dashboard"
)

// Dashboard is GET /: the console at a glance.
func (s *Server) Dashboard(w http.ResponseWriter, r *http.Request) error {
	d, err := s.store.Dashboard(r.Context())
	if err != nil {
		return err
	}
	u, _ := currentUser(r)
	return s.render(w, r, http.StatusOK, dashboard.Page(dashboard.Props{
		Shell: s.page(w, r, "Overview", "home"), D: d,
		CanRegister: u.Role == domain.RoleAdmin || u.Role == domain.RoleOperator,
		CanAddGW:    u.Role == domain.RoleAdmin,
	}))
}
