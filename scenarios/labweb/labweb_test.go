package labweb

import (
	"net/http/httptest"
	"testing"
)

func TestIsBrowserPageRequest(t *testing.T) {
	t.Parallel()
	const chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	tests := []struct {
		name, method, target string
		header               map[string]string
		want                 bool
	}{
		{"Chromium navigation", "GET", "/", map[string]string{"Accept": chrome, "User-Agent": "Mozilla/5.0 Chrome/156"}, true},
		{"HEAD from a browser", "HEAD", "/", map[string]string{"Accept": "text/html"}, true},
		{"Firefox xhtml", "GET", "/", map[string]string{"Accept": "application/xhtml+xml"}, true},
		{"no Accept", "GET", "/", nil, false},
		{"curl */*", "GET", "/", map[string]string{"Accept": "*/*"}, false},
		{"text/html refused with q=0", "GET", "/", map[string]string{"Accept": "text/html;q=0, */*"}, false},
		{"POST", "POST", "/", map[string]string{"Accept": chrome}, false},
		{"Query-protocol GET", "GET", "/?Action=ListRoles&Version=2010-05-08", map[string]string{"Accept": chrome}, false},
		{"presigned GET", "GET", "/?X-Amz-Signature=00", map[string]string{"Accept": chrome}, false},
		{"SigV4 header", "GET", "/", map[string]string{"Accept": chrome, "Authorization": "AWS4-HMAC-SHA256 Credential=x"}, false},
		{"session token", "GET", "/", map[string]string{"Accept": chrome, "X-Amz-Security-Token": "t"}, false},
		{"aws CLI v2", "GET", "/", map[string]string{"Accept": "text/html", "User-Agent": "aws-cli/2.9.19 Python/3.11.2"}, false},
		{"Go SDK", "GET", "/", map[string]string{"Accept": "text/html", "User-Agent": "aws-sdk-go-v2/1.36.0 os/linux"}, false},
		{"boto3", "GET", "/", map[string]string{"Accept": "text/html", "User-Agent": "Boto3/1.26 md/Botocore#1.29 botocore/1.29"}, false},
		{"malformed Accept", "GET", "/", map[string]string{"Accept": ";;;"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := IsBrowserPageRequest(r); got != tt.want {
				t.Errorf("IsBrowserPageRequest(%s %s %v) = %v, want %v", tt.method, tt.target, tt.header, got, tt.want)
			}
		})
	}
}
