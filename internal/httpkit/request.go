package httpkit

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
)

// MaxFormBody caps a urlencoded form and a JSON body; a gateway's CA
// bundle is the largest field.
const MaxFormBody = 1 << 20

// ParseForm reads a urlencoded body of at most MaxFormBody bytes.
func ParseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return BadRequest(i18n.Tf(r.Context(), "problem.form_unreadable", i18n.D{"Cause": err.Error()}))
	}
	return nil
}

// PathID is the positive {id} of the path; anything else is not found.
func PathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.ErrNotFound
	}
	return id, nil
}

// Load reads the record the path's {id} names with get; a malformed id is
// not found, like an unknown one.
func Load[T any](r *http.Request, get func(context.Context, int64) (T, error)) (T, error) {
	id, err := PathID(r)
	if err != nil {
		var zero T
		return zero, err
	}
	return get(r.Context(), id)
}
