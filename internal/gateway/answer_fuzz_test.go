package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

// FuzzClassify feeds the answer parser and classify arbitrary answers: any
// body, status and Guid headers, for every operation, whole or cut off or
// too large, or no answer at all. It must never panic; the outcome is
// always one of success, rejected, failed and unknown, with words for an
// administrator unless the gateway answered with a retcode; and a body
// that is not JSON is never a success.
func FuzzClassify(f *testing.F) {
	f.Add([]byte(`{"retcode":"0","message":"success","result":{"serverId":"20140414172508-001-00101"}}`), 200, "", "", uint8(1), uint8(0))
	f.Add([]byte(`{"retcode":"0","result":{"guid":"g-1"}}`), 200, "", "", uint8(0), uint8(0))
	f.Add([]byte(`{"retcode":0,"result":null}`), 200, "g-2", "", uint8(0), uint8(0))
	f.Add([]byte(`{"retcode":"0"}`), 200, "", "JSESSIONID=g-3; Path=/", uint8(0), uint8(0))
	f.Add([]byte(`{"retcode":"107-029","message":"timeout"}`), 200, "", "", uint8(2), uint8(0))
	f.Add([]byte(`{"retcode":" 107-027 ","result":"x"}`), 200, "", "", uint8(1), uint8(0))
	f.Add([]byte(`{"retcode":{"a":1}}`), 200, "", "", uint8(3), uint8(0))
	f.Add([]byte(`<html><body>502 Bad Gateway</body></html>`), 502, "", "", uint8(1), uint8(0))
	f.Add([]byte(`{"retcode":"0","result":{"serverId":"s"}}`), 302, "", "", uint8(1), uint8(0))
	f.Add([]byte(`{"retcode":"0","result":{"serverId":"s"`), 200, "", "", uint8(1), uint8(1))
	f.Add([]byte(`{"retcode":"0","result":{"serverId":"s"}}`), 200, "", "", uint8(1), uint8(2))
	f.Add([]byte(``), 0, "", "", uint8(4), uint8(3))
	f.Add([]byte(`null`), 200, "", "Guid=", uint8(0), uint8(4))
	f.Fuzz(func(t *testing.T, body []byte, status int, guid, setGuid string, op, how uint8) {
		header := http.Header{}
		if guid != "" {
			header.Set(headerGuid, guid)
		}
		if setGuid != "" {
			header.Set(headerSetGuid, setGuid)
		}
		a, err := parseAnswer(body, header)
		if err == nil && (a.Retcode == "" || a.Retcode != strings.TrimSpace(a.Retcode)) {
			t.Fatalf("parsed retcode %q from %q", a.Retcode, body)
		}
		if err == nil && !json.Valid(body) {
			t.Fatalf("parsed %q, which is not JSON", body)
		}

		ops := []domain.Operation{domain.OpLogin, domain.OpRegister, domain.OpModify, domain.OpUnregister, domain.OpHandshake}
		x := exchange{op: string(ops[int(op)%len(ops)]), addr: "10.1.2.3:8043", limit: 1 << 20,
			status: status, header: header, body: body, wrote: true}
		switch how % 5 {
		case 1:
			x.bodyErr = io.ErrUnexpectedEOF
		case 2:
			x.tooLarge = true
		case 3:
			x.err, x.wrote, x.status, x.body = errors.New("connection refused"), false, 0, nil
		case 4:
			x.err, x.status, x.body = io.EOF, 0, nil
		}
		outcome, ans, cerr := classify(x)
		switch outcome {
		case domain.OutcomeSuccess, domain.OutcomeRejected:
			if cerr != nil || ans.Retcode == "" || x.err != nil || x.status < 200 || x.status > 299 {
				t.Fatalf("%s with error %v, retcode %q, status %d", outcome, cerr, ans.Retcode, x.status)
			}
		case domain.OutcomeFailed, domain.OutcomeUnknown:
			if cerr == nil || cerr.Error() == "" {
				t.Fatalf("%s without words for an administrator", outcome)
			}
		default:
			t.Fatalf("outcome %q", outcome)
		}
		if outcome == domain.OutcomeSuccess && (!json.Valid(x.body) || ans.Retcode != retcodeSuccess ||
			x.op == string(domain.OpRegister) && ans.ServerID == "" || x.op == string(domain.OpLogin) && ans.Guid == "") {
			t.Fatalf("%s: success from body %q (retcode %q, serverId %q, Guid %q)", x.op, x.body, ans.Retcode, ans.ServerID, ans.Guid)
		}
		if outcome == domain.OutcomeRejected && (ans.Retcode == retcodeSuccess || ans.Retcode == retcodeTimedOut) {
			t.Fatalf("rejected with retcode %q", ans.Retcode)
		}
	})
}
