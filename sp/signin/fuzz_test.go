package signin

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeDestination checks the open-redirect defence against what a
// browser does with the Location header: it drops tabs and newlines, reads
// a backslash as a slash, and resolves the rest against the page's URL. Any
// destination safeDestination lets through must then land on the sign-in
// host itself or on an AWS console host.
func FuzzSafeDestination(f *testing.F) {
	for _, s := range []string{"/console", "/", "//evil.example/", `/\evil.example/`, "/\t/evil.example/", "/%09/evil.example/",
		"https://console.aws.amazon.com/s3/", "https://x.console.aws.amazon.com.evil.example/", "https://console.aws.amazon.com@evil.example/",
		"javascript:alert(1)", "/%2F%2Fevil.example", "\x00", "https:evil.example", "/console#//evil.example"} {
		f.Add(s)
	}
	base, err := url.Parse("https://signin.aws.amazon.com/federation")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, dest string) {
		got := safeDestination(dest)
		if got != dest && got != "/console" {
			t.Fatalf("safeDestination(%q) = %q, want the input or /console", dest, got)
		}
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(strings.TrimSpace(got))
		u, err := url.Parse(browser)
		if err != nil {
			t.Fatalf("safeDestination(%q) = %q, which does not parse: %v", dest, got, err)
		}
		host := base.ResolveReference(u).Host
		if host != base.Host && host != "console.aws.amazon.com" && !strings.HasSuffix(host, ".console.aws.amazon.com") {
			t.Fatalf("safeDestination(%q) = %q leads a browser to %q", dest, got, host)
		}
	})
}
