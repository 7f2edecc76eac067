// Package journal keeps, as files in the data directory, what ccsub could
// not write to its database: the gateway's answers to calls already
// recorded as pending. A granted serverId must survive a database outage
// and a restart of the process in between, so each entry is one file,
// written atomically and synced before Put returns, and removed only once
// the database holds it.
package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	prefix = "answer-"
	suffix = ".json"
	// aside marks an entry that can never be written (its call is not in
	// the database): kept for an operator, no longer replayed.
	aside = ".unwritable"
)

// Journal is a directory of entries keyed by call id. Several processes
// may share it (a console and a command on the same data dir): writing an
// entry's answer must be idempotent, which is the reader's job.
type Journal struct{ dir string }

// New returns the journal kept in dir; nothing is created until the first
// Put, so a console that never needs it leaves no trace.
func New(dir string) *Journal { return &Journal{dir: dir} }

// Dir is where the entries are kept.
func (j *Journal) Dir() string { return j.dir }

// Put writes the entry of call id, replacing an earlier one: to a
// temporary file that is synced, renamed into place, and then the
// directory synced, so a crash leaves the old entry or the new, never half
// of one.
func (j *Journal) Put(id int64, data []byte) error {
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	tmp, err := os.CreateTemp(j.dir, ".tmp-"+prefix)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on failure
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), j.path(id))
	}
	if err == nil {
		err = syncDir(j.dir)
	}
	if err != nil {
		return fmt.Errorf("journal: write entry of call %d: %w", id, err)
	}
	return nil
}

// Entry is one kept answer.
type Entry struct {
	ID   int64
	Data []byte
}

// List returns the entries in call order; a directory that does not exist
// yet holds none. Files that are not entries are ignored.
func (j *Journal) List() ([]Entry, error) {
	names, err := j.ids()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(names))
	for _, id := range names {
		data, err := os.ReadFile(j.path(id))
		if errors.Is(err, os.ErrNotExist) {
			continue // written meanwhile by another process sharing the dir
		}
		if err != nil {
			return out, fmt.Errorf("journal: read entry of call %d: %w", id, err)
		}
		out = append(out, Entry{ID: id, Data: data})
	}
	return out, nil
}

// Len is how many entries wait to be written; an unreadable directory
// counts as none.
func (j *Journal) Len() int {
	ids, _ := j.ids()
	return len(ids)
}

// Remove deletes the entry of call id, once the database holds it; an
// entry already gone is not an error.
func (j *Journal) Remove(id int64) error {
	if err := os.Remove(j.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("journal: remove entry of call %d: %w", id, err)
	}
	return nil
}

// SetAside keeps the entry of call id for an operator but stops
// replaying it, and returns where it now is.
func (j *Journal) SetAside(id int64) (string, error) {
	to := j.path(id) + aside
	if err := os.Rename(j.path(id), to); err != nil {
		return "", fmt.Errorf("journal: set aside entry of call %d: %w", id, err)
	}
	return to, nil
}

func (j *Journal) path(id int64) string {
	return filepath.Join(j.dir, prefix+strconv.FormatInt(id, 10)+suffix)
}

func (j *Journal) ids() ([]int64, error) {
	des, err := os.ReadDir(j.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var ids []int64
	for _, de := range des {
		n, ok := strings.CutPrefix(de.Name(), prefix)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		if n, ok = strings.CutSuffix(n, suffix); !ok {
			continue
		}
		if id, err := strconv.ParseInt(n, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
