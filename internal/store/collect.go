package store

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// collectByName reads every row into an R, matching columns to R's fields
// by name as pgx.RowToStructByName does (the db tag, else the field name,
// case-insensitive), with two differences that matter for exports of
// 2,000-row batches: the column-to-field mapping is worked out once per
// result rather than once per row, and the slice is allocated once at
// sizeHint. Columns and fields must match one to one.
func collectByName[R any](rows pgx.Rows, sizeHint int) ([]R, error) {
	defer rows.Close()
	out := make([]R, 0, sizeHint)
	var paths [][]int
	var targets []any
	for rows.Next() {
		if paths == nil {
			var err error
			if paths, err = fieldPaths(reflect.TypeFor[R](), rows); err != nil {
				return nil, err
			}
			targets = make([]any, len(paths))
		}
		out = append(out, *new(R))
		v := reflect.ValueOf(&out[len(out)-1]).Elem()
		for i, p := range paths {
			targets[i] = v.FieldByIndex(p).Addr().Interface()
		}
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// structFields caches, per struct type, the index path of each field by
// its lower-case column name.
var structFields sync.Map // reflect.Type -> map[string][]int

func fieldPaths(t reflect.Type, rows pgx.Rows) ([][]int, error) {
	byName, ok := structFields.Load(t)
	if !ok {
		m := map[string][]int{}
		addFields(m, t, nil)
		byName, _ = structFields.LoadOrStore(t, m)
	}
	m := byName.(map[string][]int)
	fds := rows.FieldDescriptions()
	if len(fds) != len(m) {
		return nil, fmt.Errorf("%d columns for the %d fields of %s", len(fds), len(m), t)
	}
	paths := make([][]int, len(fds))
	for i, fd := range fds {
		p, ok := m[strings.ToLower(fd.Name)]
		if !ok {
			return nil, fmt.Errorf("column %s has no field in %s", fd.Name, t)
		}
		paths[i] = p
	}
	return paths, nil
}

// addFields adds t's exported fields, descending into embedded structs
// without a db tag (exported or not), as pgx does.
func addFields(m map[string][]int, t reflect.Type, prefix []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		path := append(append([]int(nil), prefix...), i)
		tag, hasTag := f.Tag.Lookup("db")
		if tag == "-" {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct && !hasTag {
			addFields(m, f.Type, path) // its exported fields, even when it is not
			continue
		}
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if hasTag {
			name, _, _ = strings.Cut(tag, ",")
		}
		if _, dup := m[strings.ToLower(name)]; !dup {
			m[strings.ToLower(name)] = path
		}
	}
}
