package awsapi_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// samlShapedResult has the shape of STS's AssumeRoleWithSAML result.
type samlShapedResult struct {
	Audience        string `xml:"Audience"`
	AssumedRoleUser struct {
		ARN           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	Subject string `xml:"Subject"`
}

// BenchmarkRouterQueryForm measures the router's own share of an
// AssumeRoleWithSAML call: reading and decoding an SDK-shaped form body
// carrying an 8 KB base64 document, dispatching it to an anonymous
// operation and rendering an STS-shaped result. The operation reads the
// assertion parameter and does nothing else.
func BenchmarkRouterQueryForm(b *testing.B) {
	doc := make([]byte, 6<<10)
	_, _ = rand.Read(doc)
	body := url.Values{"Action": {"AssumeRoleWithSAML"}, "Version": {awsapi.STSVersion},
		"RoleArn": {"arn:aws:iam::123456789012:role/Admin"}, "PrincipalArn": {"arn:aws:iam::123456789012:saml-provider/IdP"},
		"SAMLAssertion": {base64.StdEncoding.EncodeToString(doc)}}.Encode()
	var res samlShapedResult
	res.Audience = "https://signin.aws.amazon.com/saml"
	res.AssumedRoleUser.ARN = "arn:aws:sts::123456789012:assumed-role/Admin/alice"
	res.Credentials.SessionToken = strings.Repeat("t", 900)
	rt, err := awsapi.NewRouter(awsapi.RouterConfig{Operations: []awsapi.Operation{{Service: awsapi.STS(),
		Action: "AssumeRoleWithSAML", Auth: awsapi.AuthNone, Handle: func(_ context.Context, r *awsapi.Request) (any, error) {
			if len(r.Get("SAMLAssertion")) != base64.StdEncoding.EncodedLen(len(doc)) {
				return nil, awsapi.Errorf(awsapi.CodeMalformedQueryString, http.StatusBadRequest, "assertion lost")
			}
			return res, nil
		}}}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
