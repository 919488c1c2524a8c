package labweb

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzIsBrowserPageRequest feeds arbitrary Accept and User-Agent headers
// (untrusted input) to the content negotiation. Properties: no panic, and a
// request is only ever a page request when its Accept names an HTML type.
// Seeds: testdata/fuzz/FuzzIsBrowserPageRequest.
func FuzzIsBrowserPageRequest(f *testing.F) {
	f.Add("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "Mozilla/5.0 Chrome/156")
	f.Add("*/*", "curl/8.5.0")
	f.Add("text/html;q=0", "aws-cli/2.9.19")
	f.Fuzz(func(t *testing.T, accept, ua string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		r.Header.Set("User-Agent", ua)
		if IsBrowserPageRequest(r) && !strings.Contains(strings.ToLower(accept), "html") {
			t.Errorf("Accept %q, User-Agent %q counts as a page request", accept, ua)
		}
	})
}
