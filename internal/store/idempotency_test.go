package store_test

import (
	"testing"

	"ccsub/internal/domain"
)

// A key remembers the fingerprint of the request it was first used for:
// the same request again is the first call; another request under the
// same key is refused, and neither records a call.
func TestBeginCallComparesTheRequestAKeyWasUsedFor(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	in := newCall(g)
	in.IdempotencyKey, in.Fingerprint = unique("form"), []byte("fingerprint-a")
	first := beginCall(t, s, in)

	again, err := s.BeginCall(t.Context(), in)
	wantErr(t, err, domain.ErrDuplicateSubmission)
	if again.ID != first.ID {
		t.Fatalf("the same request got call %d, want the first call %d", again.ID, first.ID)
	}

	other := in
	other.Fingerprint, other.CallbackURI = []byte("fingerprint-b"), "https://other.example.com/cc"
	got, err := s.BeginCall(t.Context(), other)
	wantErr(t, err, domain.ErrIdempotencyConflict)
	if got.ID != 0 {
		t.Errorf("a conflicting request got call %d, want none", got.ID)
	}
	if n := countCalls(t, g.ID); n != 1 {
		t.Fatalf("%d calls recorded, want only the first", n)
	}
	stored, err := s.Call(t.Context(), first.ID)
	if err != nil || stored.CallbackURI != in.CallbackURI {
		t.Errorf("first call now %+v, %v; want it unchanged", stored, err)
	}
}

// A key claimed before fingerprints were stored (NULL) cannot be compared:
// a repeat is the first call, as it always was.
func TestBeginCallReplaysAKeyClaimedWithoutAFingerprint(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	in := newCall(g)
	in.IdempotencyKey = unique("old")
	first := beginCall(t, s, in)
	in.Fingerprint = []byte("anything")
	again, err := s.BeginCall(t.Context(), in)
	wantErr(t, err, domain.ErrDuplicateSubmission)
	if again.ID != first.ID {
		t.Fatalf("got call %d, want the first call %d", again.ID, first.ID)
	}
}

func TestARefusedCallIsRecordedAsRefusedByCcsub(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	c := beginCall(t, s, newCall(g))
	if c.RefusedByCcsub {
		t.Fatal("a pending call is marked refused")
	}
	done, err := s.CompleteCall(t.Context(), c.ID, domain.CallResult{Outcome: domain.OutcomeFailed,
		Error: "refused to connect to 8.8.8.8: …; nothing was sent", RefusedByCcsub: true})
	if err != nil || !done.RefusedByCcsub || done.Outcome != domain.OutcomeFailed {
		t.Fatalf("completed %+v, %v; want failed and refused by ccsub", done, err)
	}
	if got, err := s.Call(t.Context(), c.ID); err != nil || !got.RefusedByCcsub || got.NotSentReason() != done.Error {
		t.Errorf("stored %+v, %v", got, err)
	}
	plain := beginCall(t, s, newCall(g))
	if done, err := s.CompleteCall(t.Context(), plain.ID, domain.CallResult{Outcome: domain.OutcomeFailed, Error: "could not connect"}); err != nil || done.RefusedByCcsub || done.NotSentReason() != "" {
		t.Errorf("an unreachable gateway's call: %+v, %v; want it not refused by ccsub", done, err)
	}
}
