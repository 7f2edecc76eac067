// Package export is the door of the history and audit-trail downloads, as
// CSV or JSON, with the pages' filters.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccsub/internal/audit"
	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
	"ccsub/web/jsonview"
	"ccsub/web/view"
)

// Exports of the history and the audit trail, as CSV or JSON, with the
// pages' filters. They are streamed: rows are read in keyset batches (the
// list's own planner-friendly query) and written as they come, so memory
// stays flat however many rows match, and no database connection is held
// while a slow client reads. Secrets are never exported: a service token
// only as "set" or "none", and the request and response bodies (already
// redacted) are left out altogether.

// The formats. Excel's CSV is the plain CSV for a spreadsheet: it starts
// with a UTF-8 byte-order mark (without one Excel reads UTF-8 as the
// local code page and garbles Chinese text), ends lines with CRLF, and
// writes times as "2006-01-02 15:04:05.000" in columns named *_utc, which
// Excel reads as date-times (an ISO 8601 "T…Z" stays text there). The
// plain CSV keeps ISO 8601 times with their "Z", for programs.
const (
	formatCSV   = "csv"
	formatExcel = "csv-excel"
	formatJSON  = "json"
)

// utf8BOM opens the Excel CSV.
const utf8BOM = "\uFEFF"

// excelTime is the time layout of the Excel CSV (UTC, stated in the
// column names).
const excelTime = "2006-01-02 15:04:05.000"

// Deps are what the exports need; all are built by the composition root.
type Deps struct {
	Store     *store.Store // reads
	Subscribe *subscribe.Service
	Audit     *audit.Trail
	Log       *slog.Logger
}

// Exports streams the downloads.
type Exports struct {
	store *store.Store
	subs  *subscribe.Service
	audit *audit.Trail
	log   *slog.Logger
}

// New builds the exports.
func New(d Deps) *Exports {
	return &Exports{store: d.Store, subs: d.Subscribe, audit: d.Audit, log: d.Log}
}

// HistoryCSV is GET /history/export.csv.
func (s *Exports) HistoryCSV(w http.ResponseWriter, r *http.Request) error {
	return s.exportHistory(w, r, formatCSV)
}

// HistoryExcel is GET /history/export-excel.csv.
func (s *Exports) HistoryExcel(w http.ResponseWriter, r *http.Request) error {
	return s.exportHistory(w, r, formatExcel)
}

// HistoryJSON is GET /history/export.json.
func (s *Exports) HistoryJSON(w http.ResponseWriter, r *http.Request) error {
	return s.exportHistory(w, r, formatJSON)
}

// AuditCSV is GET /audit/export.csv.
func (s *Exports) AuditCSV(w http.ResponseWriter, r *http.Request) error {
	return s.exportAudit(w, r, formatCSV)
}

// AuditExcel is GET /audit/export-excel.csv.
func (s *Exports) AuditExcel(w http.ResponseWriter, r *http.Request) error {
	return s.exportAudit(w, r, formatExcel)
}

// AuditJSON is GET /audit/export.json.
func (s *Exports) AuditJSON(w http.ResponseWriter, r *http.Request) error {
	return s.exportAudit(w, r, formatJSON)
}

// The CSV headers; the time columns (named in csvTimeColumns) get a
// "_utc" suffix in Excel's CSV, whose times carry no zone of their own.
var callCSVHeader = []string{"id", "started_at", "finished_at", "duration_ms", "gateway_id", "gateway", "actor",
	"operation", "outcome", "http_status", "retcode", "retcode_meaning", "message", "server_id", "callback_uri",
	"subscribe_type", "nlp_flag", "flow_access_code", "service_token", "error", "attempts", "subscription_id"}

func (s *Exports) exportHistory(w http.ResponseWriter, r *http.Request, format string) error {
	// English: the refusal below is an English sentence until the exports
	// are converted. The days are the viewer's, as on the page.
	fv, filter, errs := form.ParseCallQuery(i18n.WithLanguage(r.Context(), i18n.English, ""), r.URL.Query())
	if len(errs) > 0 {
		return httpkit.BadRequest("The export's filters cannot be used: " + describeErrors(errs))
	}
	s.audit.Record(r.Context(), httpkit.Actor(r), exportEntry(domain.TargetHistory, format, fv.Values()))
	tc := timeCellFor(format)
	return s.streamExport(w, r, format, "ccsub-history", callCSVHeader, func(before *domain.Cursor) (exportBatch, error) {
		page, err := s.store.ListCalls(r.Context(), filter, domain.PageRequest{Before: before, Limit: store.ExportBatch, Bulk: true})
		b := exportBatch{older: page.Older}
		for _, c := range s.subs.AsShown(page.Calls) {
			if format == formatJSON {
				b.objs = append(b.objs, jsonview.CallOf(c))
			} else {
				b.cells = append(b.cells, callCells(c, tc))
			}
		}
		return b, err
	})
}

var auditCSVHeader = []string{"id", "at", "actor", "source_addr", "user_agent", "action", "target_type", "target_id",
	"target_name", "outcome", "diff", "prev_hash", "hash"}

func (s *Exports) exportAudit(w http.ResponseWriter, r *http.Request, format string) error {
	fv, filter, errs := form.ParseAuditQuery(r.Context(), r.URL.Query())
	if len(errs) > 0 {
		return httpkit.BadRequest("The export's filters cannot be used: " + describeErrors(errs))
	}
	// Recorded before reading, so the export itself is the newest entry
	// and appears in what it exports when the filters admit it.
	s.audit.Record(r.Context(), httpkit.Actor(r), exportEntry(domain.TargetAudit, format, fv.Values()))
	tc := timeCellFor(format)
	return s.streamExport(w, r, format, "ccsub-audit", auditCSVHeader, func(before *domain.Cursor) (exportBatch, error) {
		page, err := s.store.ListAudit(r.Context(), filter, domain.PageRequest{Before: before, Limit: store.ExportBatch, Bulk: true})
		b := exportBatch{older: page.Older}
		for _, e := range page.Entries {
			if format == formatJSON {
				b.objs = append(b.objs, jsonview.AuditOf(e))
			} else {
				b.cells = append(b.cells, auditCells(e, tc))
			}
		}
		return b, err
	})
}

// exportBatch is one keyset batch of rows, as CSV cells or as JSON values
// (only what the format writes).
type exportBatch struct {
	cells [][]string
	objs  []any
	older *domain.Cursor // nil: this was the last batch
}

// streamExport writes batches, newest first, until there are no more.
// The first batch is read before anything is written, so a failure there
// still gets the error page; a later failure cuts the connection, so the
// client sees a failed download rather than a silently truncated file.
//
// The next batch is read while the current one is written: the database
// and the encoding overlap instead of taking turns (on 2 vCPUs this alone
// lifted the rate by about a third). At most one batch waits ahead.
func (s *Exports) streamExport(w http.ResponseWriter, r *http.Request, format, name string, header []string,
	fetch func(before *domain.Cursor) (exportBatch, error)) error {
	b, err := fetch(nil)
	if err != nil {
		return err
	}
	x := startExport(w, format, name, header)
	ahead := make(chan fetched, 1)
	stop := make(chan struct{})
	defer close(stop)
	if b.older != nil {
		go prefetch(b.older, fetch, ahead, stop)
	}
	for {
		for i := range max(len(b.cells), len(b.objs)) {
			var cells []string
			var obj any
			if i < len(b.cells) {
				cells = b.cells[i]
			}
			if i < len(b.objs) {
				obj = b.objs[i]
			}
			if err := x.write(cells, obj); err != nil {
				return nil // the client went away; there is no one to tell
			}
		}
		if b.older == nil {
			x.finish()
			return nil
		}
		if err := x.flush(); err != nil || r.Context().Err() != nil {
			return nil // the client went away; stop reading for it
		}
		next := <-ahead
		if next.err != nil {
			s.log.Error("export failed", "id", httpkit.RequestID(r), "path", httpkit.LogPath(r), "rows", x.rows, "err", next.err)
			panic(http.ErrAbortHandler)
		}
		b = next.batch
	}
}

type fetched struct {
	batch exportBatch
	err   error
}

// prefetch reads batch after batch, one ahead of the writer, until the
// last one, an error, or stop (the writer is done or the client gone).
func prefetch(from *domain.Cursor, fetch func(*domain.Cursor) (exportBatch, error), ahead chan<- fetched, stop <-chan struct{}) {
	for from != nil {
		b, err := fetch(from)
		select {
		case ahead <- fetched{b, err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
		from = b.older
	}
}

// exportEntry is the audit entry of an export: what was exported, in which
// format, with which filters.
func exportEntry(target, format string, filters url.Values) domain.AuditEntry {
	d := map[string]domain.FieldChange{"format": {After: format}}
	for k := range filters {
		d["filter."+k] = domain.FieldChange{After: filters.Get(k)}
	}
	return domain.AuditEntry{Action: domain.AuditExport, TargetType: target, TargetName: target + "." + format, Diff: d}
}

// describeErrors joins field errors in a stable order for one message.
func describeErrors(errs form.Errors) string {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + errs[k]
	}
	return strings.Join(parts, " ")
}

// exportWriter writes rows as CSV or as one JSON array, flushing after
// every batch so the client receives the file as it is produced.
type exportWriter struct {
	w    *bufio.Writer // over the response: a batch's rows leave in a few large writes
	rc   *http.ResponseController
	csv  *csv.Writer   // nil for JSON
	json *json.Encoder // nil for CSV
	rows int
}

func startExport(w http.ResponseWriter, format, name string, header []string) *exportWriter {
	ext := format
	if format == formatExcel {
		name, ext = name+"-excel", "csv"
		header = excelHeader(header)
	}
	filename := fmt.Sprintf("%s-%s.%s", name, time.Now().UTC().Format("2006-01-02"), ext)
	h := w.Header()
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	x := &exportWriter{w: bufio.NewWriterSize(w, 64<<10), rc: http.NewResponseController(w)}
	_ = x.rc.SetWriteDeadline(time.Now().Add(exportStall))
	if format == formatCSV || format == formatExcel {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		x.csv = csv.NewWriter(x.w)
		if format == formatExcel {
			_, _ = x.w.WriteString(utf8BOM)
			x.csv.UseCRLF = true
		}
		_ = x.csv.Write(header)
		return x
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	x.json = json.NewEncoder(x.w) // reuses its buffer, unlike json.Marshal
	_, _ = x.w.WriteString("[")
	return x
}

// write adds one row: cells for CSV, obj for JSON.
func (x *exportWriter) write(cells []string, obj any) error {
	x.rows++
	if x.csv != nil {
		for i, c := range cells {
			cells[i] = neutralizeFormula(c)
		}
		return x.csv.Write(cells)
	}
	sep := ","
	if x.rows == 1 {
		sep = "\n"
	}
	if _, err := x.w.WriteString(sep); err != nil {
		return err
	}
	return x.json.Encode(obj) // the value and a newline
}

// exportStall is how long one batch may take to reach the client. The
// server's write timeout (a page's bound) would cut a long export off in
// the middle, so every batch sets a new deadline: an export goes on while
// it makes progress, however long it is, and a client that stops reading
// is dropped.
const exportStall = 30 * time.Second

func (x *exportWriter) flush() error {
	if x.csv != nil {
		if x.csv.Flush(); x.csv.Error() != nil {
			return x.csv.Error()
		}
	}
	if err := x.w.Flush(); err != nil {
		return err
	}
	_ = x.rc.SetWriteDeadline(time.Now().Add(exportStall)) // unsupported (a test recorder): nothing to extend
	return x.rc.Flush()
}

func (x *exportWriter) finish() {
	if x.csv == nil {
		_, _ = x.w.WriteString("]\n")
	}
	_ = x.flush()
}

// neutralizeFormula keeps a spreadsheet from evaluating a cell: one that
// starts with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe (OWASP's advice for CSV injection). Callback URIs, messages
// and user agents come from outside, so any of them may be hostile.
func neutralizeFormula(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}

// csvTimeColumns are the columns that hold times.
var csvTimeColumns = map[string]bool{"started_at": true, "finished_at": true, "at": true}

// excelHeader names the time columns with their zone.
func excelHeader(header []string) []string {
	out := slices.Clone(header)
	for i, h := range out {
		if csvTimeColumns[h] {
			out[i] = h + "_utc"
		}
	}
	return out
}

// timeCellFor is how a format writes a time: ISO 8601 with "Z", or
// Excel's layout in UTC.
func timeCellFor(format string) func(*time.Time) string {
	if format == formatExcel {
		return func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format(excelTime)
		}
	}
	return timeCell
}

func callCells(c domain.Call, timeCell func(*time.Time) string) []string {
	meaning := ""
	if c.Retcode != "" {
		// The CSV is a file for other programs, like its English headers.
		meaning = view.Meaning(context.Background(), c.Retcode)
	}
	return []string{i64(c.ID), timeCell(&c.StartedAt), timeCell(c.FinishedAt),
		strconv.FormatFloat(float64(c.Duration.Microseconds())/1000, 'f', 3, 64), i64(c.GatewayID), c.GatewayName,
		c.Actor, string(c.Operation), string(c.Outcome), strconv.Itoa(c.HTTPStatus), c.Retcode, meaning, c.Message,
		c.ServerID, c.CallbackURI, c.SubscribeType, strconv.FormatBool(c.NLPFlag), c.FlowAccessCode,
		jsonview.SecretState(c.TokenPresent), c.Error, strconv.Itoa(c.Attempts), optI64(c.SubscriptionID)}
}

func auditCells(e domain.AuditEntry, timeCell func(*time.Time) string) []string {
	diff, _ := json.Marshal(e.Diff)
	return []string{i64(e.ID), timeCell(&e.At), e.Actor, e.SourceAddr, e.UserAgent, string(e.Action), e.TargetType,
		e.TargetID, e.TargetName, e.Outcome, string(diff), hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)}
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func optI64(n *int64) string {
	if n == nil {
		return ""
	}
	return i64(*n)
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
