package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/har"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromeHAR records what a Chromium tab sends and receives as a HAR 1.2
// log, from the DevTools protocol's Network events, as the browser's own
// "Save all as HAR" builds it: one entry per request and per redirect hop,
// with the request's method, URL, headers and cookies as sent (from the
// ExtraInfo events), query string and post data (mimeType, text and
// Chrome's undecoded form params), and the response's status, headers and
// cookies as received, and MIME type. Response bodies are left out
// (content.text is optional in HAR 1.2, and explain reads only requests).
//
// The types are cdproto's har package, the HAR schema of the DevTools
// protocol; chromedp has no HAR recorder (chromedp/chromedp#42), and the
// Go HAR recorders that exist wrap an http.RoundTripper, which cannot see
// a browser's traffic.
type chromeHAR struct {
	ctx context.Context // the tab's chromedp context, for GetRequestPostData

	mu      sync.Mutex
	entries []*har.Entry
	open    map[network.RequestID]*harPending
	extra   map[network.RequestID]*harExtra
	fetches sync.WaitGroup
	fetched int // post bodies read with Network.getRequestPostData
	// refetch reads every post body with Network.getRequestPostData too,
	// and records a difference from the inlined one as an error.
	refetch     bool
	unavailable []string // read-backs Chromium could not answer
	errs        []string // what could not be recorded
}

// harPending is an entry whose exchange is not finished yet, with the
// monotonic timestamps (seconds) of its phases.
type harPending struct {
	e              *har.Entry
	sent, received float64
}

// harExtra holds, for one request ID, its entries (one per redirect hop)
// and the headers as sent and received on the wire, which the ExtraInfo
// events report in the same order, before or after the main events; the
// i-th of each belongs to the i-th hop, as DevTools pairs them.
type harExtra struct {
	hops        []*har.Entry
	sent, recvd []network.Headers
}

// recordHAR starts recording the tab of ctx. The network domain is enabled
// again with DevTools' own buffer sizes; chromedp enables it when it opens a
// tab, with Chrome's defaults.
func recordHAR(t *testing.T, ctx context.Context) *chromeHAR {
	t.Helper()
	r := &chromeHAR{ctx: ctx, open: map[network.RequestID]*harPending{}, extra: map[network.RequestID]*harExtra{}}
	if err := chromedp.Listen(ctx, r.event); err != nil {
		t.Fatalf("listen to the network events: %v", err)
	}
	if err := r.enable(65536); err != nil {
		t.Fatalf("enable the network domain: %v", err)
	}
	return r
}

// enable (re)enables the network domain with the limits DevTools asks for.
// Chromium puts the post body in requestWillBeSent's postDataEntries (the
// limit now bounds only the deprecated postData field); a request without
// them has its body fetched.
func (r *chromeHAR) enable(maxPostData int64) error {
	total, resource := int64(100<<20), int64(10<<20)
	_, err := chromedp.Call(r.ctx, network.Enable, network.EnableParams{
		MaxTotalBufferSize: &total, MaxResourceBufferSize: &resource, MaxPostDataSize: &maxPostData})
	return err
}

// event runs on the tab's reading goroutine: it must not block nor call the
// browser (chromedp.Listen), so post bodies are fetched on a goroutine.
func (r *chromeHAR) event(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if p := r.open[e.RequestID]; p != nil && e.RedirectResponse != nil {
			// The same request ID continues after a redirect: the hop so far
			// becomes an entry of its own, as in Chrome's export.
			p.e.Response = cdpResponse(e.RedirectResponse)
			p.e.Request.HTTPVersion = p.e.Response.HTTPVersion
			r.finish(p, float64(e.Timestamp), "")
		}
		if strings.HasPrefix(e.Request.URL, "data:") {
			return // Chrome's export leaves data: URLs out
		}
		p := &harPending{sent: float64(e.Timestamp), e: &har.Entry{
			StartedDateTime: time.UnixMilli(int64(float64(e.WallTime) * 1000)).UTC().Format("2006-01-02T15:04:05.000Z"),
			Request:         cdpRequest(e.Request),
			Cache:           &har.Cache{},
			Timings:         &har.Timings{},
		}}
		r.entries = append(r.entries, p.e)
		r.open[e.RequestID] = p
		x := r.extraOf(e.RequestID)
		x.hops = append(x.hops, p.e)
		r.merge(x)
		if e.Request.HasPostData && (len(e.Request.PostDataEntries) == 0 || r.refetch) {
			// Not inlined in the event: ask for it, as DevTools does.
			r.fetches.Add(1)
			go r.fetchPostData(e.RequestID, p.e.Request)
		}
	case *network.EventResponseReceived:
		if p := r.open[e.RequestID]; p != nil {
			p.e.Response = cdpResponse(e.Response)
			p.e.Request.HTTPVersion = p.e.Response.HTTPVersion
			p.e.ServerIPAddress = strings.Trim(e.Response.RemoteIPAddress, "[]")
			p.received = float64(e.Timestamp)
			r.merge(r.extraOf(e.RequestID))
		}
	case *network.EventRequestWillBeSentExtraInfo:
		x := r.extraOf(e.RequestID)
		x.sent = append(x.sent, e.Headers)
		r.merge(x)
	case *network.EventResponseReceivedExtraInfo:
		x := r.extraOf(e.RequestID)
		x.recvd = append(x.recvd, e.Headers)
		r.merge(x)
	case *network.EventLoadingFinished:
		if p := r.open[e.RequestID]; p != nil {
			if p.e.Response != nil {
				size := int64(e.EncodedBodyLength)
				p.e.Response.Content.Size, p.e.Response.BodySize = size, size
			}
			r.finish(p, float64(e.Timestamp), e.RequestID)
		}
	case *network.EventLoadingFailed:
		if p := r.open[e.RequestID]; p != nil {
			if p.e.Response == nil {
				// Chrome exports a request that got no response with status 0.
				p.e.Response = &har.Response{Cookies: []*har.Cookie{}, Headers: []*har.NameValuePair{},
					Content: &har.Content{}, HeadersSize: -1, BodySize: -1, Comment: e.ErrorText}
			}
			r.finish(p, float64(e.Timestamp), e.RequestID)
		}
	}
}

func (r *chromeHAR) extraOf(id network.RequestID) *harExtra {
	x := r.extra[id]
	if x == nil {
		x = &harExtra{}
		r.extra[id] = x
	}
	return x
}

// merge puts the wire headers on the hops that have arrived: the request's
// with its Cookie header, the response's with its Set-Cookie headers, which
// the main events leave out.
func (r *chromeHAR) merge(x *harExtra) {
	for i, e := range x.hops {
		if i < len(x.sent) {
			e.Request.Headers = cdpHeaders(x.sent[i])
			e.Request.Cookies = requestCookies(e.Request.Headers)
		}
		if i < len(x.recvd) && e.Response != nil {
			e.Response.Headers = cdpHeaders(x.recvd[i])
			e.Response.Cookies = responseCookies(e.Response.Headers)
		}
	}
}

// finish closes an entry's timings; id is the request to forget, "" for a
// redirect hop whose ID goes on.
func (r *chromeHAR) finish(p *harPending, at float64, id network.RequestID) {
	if p.received == 0 {
		p.received = at
	}
	p.e.Timings.Wait = (p.received - p.sent) * 1000
	p.e.Timings.Receive = (at - p.received) * 1000
	p.e.Time = p.e.Timings.Wait + p.e.Timings.Receive
	if id != "" {
		delete(r.open, id)
	}
}

func (r *chromeHAR) fetchPostData(id network.RequestID, req *har.Request) {
	defer r.fetches.Done()
	res, err := chromedp.Call(r.ctx, network.GetRequestPostData, network.GetRequestPostDataParams{RequestID: id})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		msg := fmt.Sprintf("Network.getRequestPostData for %s %s: %v", req.Method, req.URL, err)
		if req.PostData != nil {
			// A read-back only: after a redirect the request ID names
			// the next hop, a GET without a body.
			r.unavailable = append(r.unavailable, msg)
		} else {
			r.errs = append(r.errs, msg)
		}
		return
	}
	r.fetched++
	if req.PostData != nil {
		if req.PostData.Text != string(res.PostData) {
			r.errs = append(r.errs, fmt.Sprintf("%s %s: the event carried %d bytes of post data, Network.getRequestPostData %d",
				req.Method, req.URL, len(req.PostData.Text), len(res.PostData)))
		}
		return
	}
	req.PostData = cdpPostData(req.Headers, res.PostData)
	req.BodySize = int64(len(res.PostData))
}

// har waits for the post bodies still being fetched and returns the log.
func (r *chromeHAR) har(t *testing.T) []byte {
	t.Helper()
	r.fetches.Wait()
	v, err := chromedp.CallBrowser(r.ctx, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("Browser.getVersion: %v", err)
	}
	name, version, _ := strings.Cut(v.Product, "/")
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		t.Fatalf("the HAR recorder missed:\n%s", strings.Join(r.errs, "\n"))
	}
	for _, e := range r.entries {
		if e.Response == nil { // still open: no answer before the log was saved
			e.Response = &har.Response{Cookies: []*har.Cookie{}, Headers: []*har.NameValuePair{},
				Content: &har.Content{}, HeadersSize: -1, BodySize: -1}
		}
	}
	return indentJSON(t, har.HAR{Log: &har.Log{
		Version: "1.2",
		Creator: &har.Creator{Name: "samlab browser test", Version: "1",
			Comment: "recorded from the DevTools protocol's Network events"},
		Browser: &har.Creator{Name: name, Version: version},
		Entries: r.entries,
	}})
}

// indentJSON is v as browsers and the aws CLI print JSON: indented, with
// <, > and & left as they are.
func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func cdpRequest(req *network.Request) *har.Request {
	u := req.URL
	out := &har.Request{Method: req.Method, URL: u, HTTPVersion: "http/1.1", Headers: cdpHeaders(req.Headers),
		Cookies: []*har.Cookie{}, QueryString: []*har.NameValuePair{}, HeadersSize: -1}
	if _, q, ok := strings.Cut(u, "?"); ok {
		for _, p := range rawPairs(q) {
			out.QueryString = append(out.QueryString, &har.NameValuePair{Name: p[0], Value: p[1]})
		}
	}
	out.Cookies = requestCookies(out.Headers)
	if req.HasPostData && len(req.PostDataEntries) > 0 {
		var body []byte
		for _, pe := range req.PostDataEntries {
			body = append(body, pe.Bytes...)
		}
		out.PostData, out.BodySize = cdpPostData(out.Headers, body), int64(len(body))
	}
	return out
}

// cdpPostData is postData as Chrome exports it: the body as text and, for a
// URL-encoded form, its fields split but not decoded.
func cdpPostData(headers []*har.NameValuePair, body []byte) *har.PostData {
	ct := ""
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Content-Type") {
			ct = h.Value
		}
	}
	pd := &har.PostData{MimeType: ct, Text: string(body), Params: []*har.Param{}}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/x-www-form-urlencoded" {
		for _, p := range rawPairs(string(body)) {
			pd.Params = append(pd.Params, &har.Param{Name: p[0], Value: p[1]})
		}
	}
	return pd
}

// rawPairs splits a query or form body into name/value pairs without
// decoding them, as DevTools' HAR export does.
func rawPairs(s string) [][2]string {
	var out [][2]string
	for _, kv := range strings.Split(s, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, [2]string{k, v})
	}
	return out
}

func cdpResponse(resp *network.Response) *har.Response {
	version := resp.Protocol
	if version == "" {
		version = "http/1.1"
	}
	out := &har.Response{Status: resp.Status, StatusText: resp.StatusText, HTTPVersion: version,
		Headers: cdpHeaders(resp.Headers), Cookies: []*har.Cookie{}, HeadersSize: -1, BodySize: -1,
		Content: &har.Content{MimeType: resp.MimeType}}
	for _, h := range out.Headers {
		if strings.EqualFold(h.Name, "Location") {
			out.RedirectURL = h.Value
		}
	}
	out.Cookies = responseCookies(out.Headers)
	return out
}

func requestCookies(headers []*har.NameValuePair) []*har.Cookie {
	out := []*har.Cookie{}
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Cookie") {
			if cs, err := http.ParseCookie(h.Value); err == nil {
				for _, c := range cs {
					out = append(out, &har.Cookie{Name: c.Name, Value: c.Value})
				}
			}
		}
	}
	return out
}

func responseCookies(headers []*har.NameValuePair) []*har.Cookie {
	out := []*har.Cookie{}
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Set-Cookie") {
			if c, err := http.ParseSetCookie(h.Value); err == nil {
				out = append(out, &har.Cookie{Name: c.Name, Value: c.Value, Path: c.Path, Domain: c.Domain,
					HTTPOnly: c.HttpOnly, Secure: c.Secure})
			}
		}
	}
	return out
}

// cdpHeaders lists the protocol's header map in name order; the protocol
// joins repeated headers with "\n", HAR lists each.
func cdpHeaders(h network.Headers) []*har.NameValuePair {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	out := []*har.NameValuePair{}
	for _, k := range names {
		for _, v := range strings.Split(fmt.Sprint(h[k]), "\n") {
			out = append(out, &har.NameValuePair{Name: k, Value: v})
		}
	}
	return out
}

// postedSAMLResponses returns the URLs the HAR's SAMLResponse form posts
// went to, read with the standard library (not with samlab's reader).
func postedSAMLResponses(t *testing.T, data []byte) []string {
	t.Helper()
	var h har.HAR
	if err := json.Unmarshal(data, &h); err != nil || h.Log == nil {
		t.Fatalf("the HAR does not parse: %v", err)
	}
	var out []string
	for _, e := range h.Log.Entries {
		if e.Request.Method != http.MethodPost || e.Request.PostData == nil {
			continue
		}
		form, err := url.ParseQuery(e.Request.PostData.Text)
		if err == nil && form.Get("SAMLResponse") != "" {
			out = append(out, e.Request.URL)
		}
	}
	return out
}
