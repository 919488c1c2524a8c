package scenarios

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestBenchClient checks the load generator's client against a real
// net/http server: it sends the prebuilt request intact, accepts only a 200
// carrying an AssumeRoleWithSAML result, and redials when the server closes
// the connection.
func TestBenchClient(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded; charset=utf-8" ||
			string(body) != r.URL.Query().Get("want") {
			http.Error(w, fmt.Sprintf("got %s %q", r.Method, body), http.StatusBadRequest)
			return
		}
		switch r.Header.Get("X-Mode") {
		case "close":
			w.Header().Set("Connection", "close")
		case "error":
			http.Error(w, "<ErrorResponse>no</ErrorResponse>", http.StatusBadRequest)
			return
		case "no-result":
			_, _ = io.WriteString(w, "<AssumeRoleWithSAMLResponse></AssumeRoleWithSAMLResponse>")
			return
		}
		_, _ = io.WriteString(w, "<AssumeRoleWithSAMLResponse><AssumeRoleWithSAMLResult><Subject>alice</Subject></AssumeRoleWithSAMLResult></AssumeRoleWithSAMLResponse>")
	}))
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := &benchClient{addr: host}
	defer c.close()
	req := func(mode, form string) []byte {
		r := string(rawRequest(host, form))
		r = strings.Replace(r, "POST / ", "POST /?want="+url.QueryEscape(form)+" ", 1)
		return []byte(strings.Replace(r, "\r\n\r\n", "\r\nX-Mode: "+mode+"\r\n\r\n", 1))
	}
	if err := c.do(req("", "Action=AssumeRoleWithSAML&SAMLAssertion=PD94%2B")); err != nil {
		t.Fatalf("good response: %v", err)
	}
	first := c.conn
	if err := c.do(req("error", "a=1")); err == nil || !strings.Contains(err.Error(), "status 400") {
		t.Errorf("400 response: error %v, want one naming the status", err)
	}
	if err := c.do(req("no-result", "a=2")); err == nil {
		t.Error("200 without a result: no error")
	}
	if c.conn != first {
		t.Error("the client redialled although the server kept the connection open")
	}
	if err := c.do(req("close", "a=3")); err != nil {
		t.Fatalf("response closing the connection: %v", err)
	}
	if c.conn != nil {
		t.Error("the client kept a connection the server closed")
	}
	if err := c.do(req("", "a=4")); err != nil || c.conn == nil {
		t.Errorf("after a close: error %v, connection %v; want a new connection", err, c.conn)
	}
}
