package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"time"
)

// MaxInputSize bounds every input: a HAR of a long browser session is a few
// megabytes; 64 MiB leaves room while refusing to read a stray disk image.
const MaxInputSize = 64 << 20

// ErrTooLarge is wrapped by the readers when an input exceeds its limit.
var ErrTooLarge = errors.New("input too large")

// ReadAll reads r up to limit bytes (MaxInputSize when limit <= 0). It fails
// without reading further when r holds more, so a huge input costs at most
// limit bytes of memory. name is how the input is called in the error.
func ReadAll(name string, r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxInputSize
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: more than %d bytes, not a capture (%w)", name, limit, ErrTooLarge)
	}
	return data, nil
}

// ReadFile reads a file of at most limit bytes (MaxInputSize when limit <=
// 0); a larger file is refused from its size alone, before any read.
func ReadFile(name string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxInputSize
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, errors.Unwrap(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("%s: is a directory, expected a file", name)
		}
		if st.Mode().IsRegular() && st.Size() > limit {
			return nil, fmt.Errorf("%s: file is %d bytes, limit %d: not a capture (%w)", name, st.Size(), limit, ErrTooLarge)
		}
	}
	return ReadAll(name, f, limit)
}

// Open reads a named input: "-" is stdin, http:// and https:// URLs are
// fetched from loopback only (FetchLoopback), anything else is a file.
func Open(ctx context.Context, name string, stdin io.Reader, limit int64) ([]byte, error) {
	switch {
	case name == "-":
		return ReadAll("stdin", stdin, limit)
	case isURL(name):
		return FetchLoopback(ctx, name, limit)
	default:
		return ReadFile(name, limit)
	}
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ErrNotLoopback is wrapped by FetchLoopback for a URL whose host is not a
// loopback address.
var ErrNotLoopback = errors.New("not a loopback address")

// FetchLoopback GETs rawURL, which must point at a loopback address (a
// running samlab IdP's /idp/metadata, say). The check is made on the address
// actually dialled, so a name that resolves elsewhere is refused too: explain
// must not become a way to make requests into a network. The body is bounded
// by limit (MaxInputSize when <= 0); non-2xx statuses are errors.
func FetchLoopback(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%s: %w", host, ErrNotLoopback)
		}
		return nil
	}}
	client := &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{DialContext: dialer.DialContext, Proxy: nil},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rawURL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, ErrNotLoopback) {
			return nil, fmt.Errorf("%s: only loopback URLs are fetched (%w); download the document and give the file", rawURL, ErrNotLoopback)
		}
		return nil, fmt.Errorf("%s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s: HTTP %s, expected 200 with a document", rawURL, resp.Status)
	}
	return ReadAll(rawURL, resp.Body, limit)
}
