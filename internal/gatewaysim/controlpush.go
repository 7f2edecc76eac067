package gatewaysim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"
)

// pushJSON is the body of POST /_sim/push. Count 0 or 1 pushes once and
// answers with the result; more than 1 streams that many in the
// background (202); -1 streams until the simulator stops (202). Every is
// a Go duration string between stream pushes ("" => DefaultPushEvery).
type pushJSON struct {
	ServerID string `json:"serverId"`
	Count    int    `json:"count"`
	Every    string `json:"every"`
	Text     string `json:"text"`
}

// pushResultJSON is a PushResult on the wire.
type pushResultJSON struct {
	ServerID string    `json:"serverId"`
	Time     time.Time `json:"time"`
	URL      string    `json:"url"`
	Status   int       `json:"status"`
	Body     string    `json:"body"`
	Sent     string    `json:"sent"`
	Error    string    `json:"error,omitempty"`
}

func toPushResultJSON(r PushResult) pushResultJSON {
	out := pushResultJSON{ServerID: r.ServerID, Time: r.Time, URL: r.URL, Status: r.Status,
		Body: string(r.Body), Sent: string(r.Sent)}
	if r.Err != nil {
		out.Error = r.Err.Error()
	}
	return out
}

func (s *Sim) getPushes(w http.ResponseWriter, _ *http.Request) {
	pushes := s.Pushes()
	out := make([]pushResultJSON, len(pushes))
	for i, r := range pushes {
		out[i] = toPushResultJSON(r)
	}
	writeControl(w, http.StatusOK, out)
}

func (s *Sim) postPush(w http.ResponseWriter, r *http.Request) {
	in, every, err := decodePush(w, r)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	if sub, found := s.SubscriptionByServerID(in.ServerID); !found || !sub.Active {
		controlError(w, http.StatusNotFound, ErrNoActiveSubscription.Error())
		return
	}
	if in.Count == 0 || in.Count == 1 {
		res := s.PushTo(r.Context(), in.ServerID, Push{Text: in.Text})
		writeControl(w, http.StatusOK, toPushResultJSON(res))
		return
	}
	n := max(in.Count, 0) // -1: until the simulator stops
	if !s.bg.goRun(func(ctx context.Context) { s.stream(ctx, in.ServerID, every, n, in.Text) }) {
		controlError(w, http.StatusServiceUnavailable, "the simulator is stopping")
		return
	}
	writeControl(w, http.StatusAccepted, map[string]string{"status": "streaming"})
}

// maxPushText bounds a pushed text; recognition results are sentences.
const maxPushText = 4096

func decodePush(w http.ResponseWriter, r *http.Request) (pushJSON, time.Duration, error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	var in pushJSON
	if err := dec.Decode(&in); err != nil {
		return in, 0, errors.New("body must be a push object: " + err.Error())
	}
	switch {
	case in.ServerID == "":
		return in, 0, errors.New("serverId is required")
	case in.Count < -1:
		return in, 0, errors.New("count must be -1 (until the simulator stops), 0 or 1 (once) or more")
	case utf8.RuneCountInString(in.Text) > maxPushText:
		return in, 0, errors.New("text must be at most 4096 characters")
	}
	if in.Every == "" {
		return in, DefaultPushEvery, nil
	}
	every, err := time.ParseDuration(in.Every)
	if err != nil || every <= 0 {
		return in, 0, errors.New(`every must be a positive Go duration such as "1s"`)
	}
	return in, every, nil
}
