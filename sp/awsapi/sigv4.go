package awsapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credential is an access key the router accepts signatures from.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken marks temporary credentials: requests must carry it in
	// X-Amz-Security-Token. Empty for long-term (AKIA…) keys.
	SessionToken string
	// Expiration is when temporary credentials stop working; zero for
	// long-term keys.
	Expiration time.Time
	// Caller is the identity the key authenticates.
	Caller Caller
}

// LogValue redacts the secret parts.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.String("arn", c.Caller.ARN))
}

// Caller is who sent a request, as CloudTrail's userIdentity records it.
type Caller struct {
	// Type is "IAMUser", "AssumedRole", "SAMLUser", or "" for an anonymous
	// caller.
	Type        string
	PrincipalID string
	ARN         string
	AccountID   string
	AccessKeyID string
	// UserName is set for SAML callers: the NameID of the assertion.
	UserName string
	// SessionContext describes the session of temporary credentials; nil
	// for long-term keys and anonymous callers.
	SessionContext *SessionContext
	// SessionToken is the session token the request was signed with ("" for
	// long-term keys), so an operation can read the caller's session.
	SessionToken string
}

// SessionContext is CloudTrail's userIdentity.sessionContext: the role a
// session was issued for and when.
type SessionContext struct {
	SessionIssuer  SessionIssuer     `json:"sessionIssuer"`
	Attributes     SessionAttributes `json:"attributes"`
	SourceIdentity string            `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is the role behind a session (sessionContext.sessionIssuer).
type SessionIssuer struct {
	Type        string `json:"type"` // "Role"
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are sessionContext.attributes. CreationDate is when the
// credentials were issued: the condition key aws:TokenIssueTime.
type SessionAttributes struct {
	CreationDate time.Time `json:"creationDate"`
	// MFAAuthenticated is "true" or "false", as CloudTrail writes it.
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// CredentialSource looks up an access key ID and the session token the
// request carries (X-Amz-Security-Token, "" when absent); ok is false for a
// key it does not know or a token that does not belong to it. Temporary
// credentials are self-contained, so the source may read them from the
// token itself. It must be safe for concurrent use.
type CredentialSource func(ctx context.Context, accessKeyID, sessionToken string) (cred Credential, ok bool)

// Messages of AWS's authentication errors, verbatim from AWS output.
const (
	msgMissingAuth       = "Request is missing Authentication Token"
	msgInvalidToken      = "The security token included in the request is invalid."
	msgExpiredToken      = "The security token included in the request is expired"
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// MaxSignatureSkew is how far X-Amz-Date may be from the server's clock,
// AWS's documented 15 minutes (RequestExpired in the common-errors table;
// IAM and STS report it as SignatureDoesNotMatch "Signature expired").
const MaxSignatureSkew = 15 * time.Minute

const amzDateFormat = "20060102T150405Z"

// sigV4Auth is the parsed Authorization header.
type sigV4Auth struct {
	accessKeyID, date, region, service string
	signedHeaders                      []string
	signature                          string
}

// errUnsigned marks a request without any signature.
var errUnsigned = &Error{Code: CodeMissingAuthenticationToken, Status: http.StatusForbidden, Message: msgMissingAuth}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (*sigV4Auth, *Error) {
	incomplete := func(format string, args ...any) *Error {
		return Errorf(CodeIncompleteSignature, http.StatusBadRequest, format, args...)
	}
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != "AWS4-HMAC-SHA256" {
		return nil, incomplete("Unsupported AWS 'algorithm': '%s'", alg)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = v
		}
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if len(missing) > 0 {
		return nil, incomplete("%s Authorization=%s", strings.Join(missing, " "), alg)
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[0] == "" {
		return nil, incomplete("Credential should be scoped to a valid region. ")
	}
	return &sigV4Auth{accessKeyID: scope[0], date: scope[1], region: scope[2], service: scope[3],
		signedHeaders: strings.Split(fields["SignedHeaders"], ";"), signature: fields["Signature"]}, nil
}

// parsePresigned reads a query-string (presigned URL) signature: the form
// tools such as aws-iam-authenticator use for GetCallerIdentity tokens.
func parsePresigned(q url.Values) (*sigV4Auth, *Error) {
	if alg := q.Get("X-Amz-Algorithm"); alg != "AWS4-HMAC-SHA256" {
		return nil, Errorf(CodeIncompleteSignature, http.StatusBadRequest, "Unsupported AWS 'algorithm': '%s'", alg)
	}
	var missing []string
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if q.Get(k) == "" {
			missing = append(missing, fmt.Sprintf("AWS query-string parameters must include '%s'.", k))
		}
	}
	if len(missing) > 0 {
		return nil, Errorf(CodeIncompleteSignature, http.StatusBadRequest, "%s Re-examine the query-string parameters.", strings.Join(missing, " "))
	}
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[0] == "" {
		return nil, Errorf(CodeIncompleteSignature, http.StatusBadRequest, "Credential should be scoped to a valid region. ")
	}
	return &sigV4Auth{accessKeyID: scope[0], date: scope[1], region: scope[2], service: scope[3],
		signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), signature: q.Get("X-Amz-Signature")}, nil
}

// maxPresignExpires is SigV4's limit on X-Amz-Expires (7 days).
const maxPresignExpires = 7 * 24 * 3600

// checkPresignExpiry enforces X-Amz-Expires of a presigned URL (what AWS
// answers for an expired one is unverified for STS; RequestExpired is the
// common-errors code for it).
//
// Without X-Amz-Expires (the Go SDK's STS presign client sends none) the URL
// is valid within MaxSignatureSkew of its date, like a header signature.
func checkPresignExpiry(q url.Values, signed, now time.Time) *Error {
	if !q.Has("X-Amz-Expires") {
		if now.After(signed.Add(MaxSignatureSkew)) {
			return Errorf(CodeRequestExpired, http.StatusBadRequest, "Request has expired.")
		}
		return checkSkew(signed, now)
	}
	exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || exp < 0 || exp > maxPresignExpires {
		return Errorf(CodeIncompleteSignature, http.StatusBadRequest,
			"X-Amz-Expires must be an integer between 0 and %d. Re-examine the query-string parameters.", maxPresignExpires)
	}
	if now.After(signed.Add(time.Duration(exp) * time.Second)) {
		return Errorf(CodeRequestExpired, http.StatusBadRequest, "Request has expired.")
	}
	if signed.After(now.Add(MaxSignatureSkew)) {
		return checkSkew(signed, now)
	}
	return nil
}

// verifier checks SigV4 signatures by re-signing the received request with
// the candidate secret using the AWS SDK's own signer, then comparing.
type verifier struct {
	creds  CredentialSource
	signer *v4.Signer
}

// verify authenticates r (whose body was already read into body) for svc at
// time now, following AWS's order: signature present and well formed, date
// within MaxSignatureSkew, key known, session token matching, signature
// matching, credentials unexpired.
func (v *verifier) verify(ctx context.Context, r *http.Request, body []byte, svc Service, now time.Time) (Caller, *Error) {
	h := r.Header.Get("Authorization")
	q := r.URL.Query()
	presigned := h == "" && q.Get("X-Amz-Algorithm") != ""
	var a *sigV4Auth
	var aerr *Error
	switch {
	case presigned:
		a, aerr = parsePresigned(q)
	case h == "":
		return Caller{}, errUnsigned
	default:
		a, aerr = parseAuthorization(h)
	}
	if aerr != nil {
		return Caller{}, aerr
	}
	if a.service != svc.Name {
		return Caller{}, Errorf(CodeSignatureDoesNotMatch, http.StatusForbidden,
			"Credential should be scoped to correct service: '%s'. ", svc.Name)
	}
	dateHdr := r.Header.Get("X-Amz-Date")
	if presigned {
		dateHdr = q.Get("X-Amz-Date")
	}
	if dateHdr == "" {
		return Caller{}, Errorf(CodeIncompleteSignature, http.StatusBadRequest,
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256")
	}
	signed, err := time.Parse(amzDateFormat, dateHdr)
	if err != nil {
		return Caller{}, &Error{Code: CodeIncompleteSignature, Status: http.StatusBadRequest, Err: err,
			Message: fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", dateHdr)}
	}
	if presigned {
		if e := checkPresignExpiry(q, signed, now); e != nil {
			return Caller{}, e
		}
	} else if e := checkSkew(signed, now); e != nil {
		return Caller{}, e
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if presigned {
		token = q.Get("X-Amz-Security-Token")
	}
	cred, ok := v.creds(ctx, a.accessKeyID, token)
	if !ok {
		return Caller{}, &Error{Code: CodeInvalidClientTokenID, Status: http.StatusForbidden, Message: msgInvalidToken,
			Err: fmt.Errorf("unknown access key id %s or session token", a.accessKeyID)}
	}
	if token != "" || cred.SessionToken != "" {
		if subtle.ConstantTimeCompare([]byte(token), []byte(cred.SessionToken)) != 1 {
			return Caller{}, &Error{Code: CodeInvalidClientTokenID, Status: http.StatusForbidden, Message: msgInvalidToken,
				Err: fmt.Errorf("session token does not belong to access key %s", a.accessKeyID)}
		}
	}
	want, err := v.expectedSignature(ctx, r, body, a, cred, signed, presigned)
	if err != nil {
		return Caller{}, &Error{Code: CodeSignatureDoesNotMatch, Status: http.StatusForbidden, Message: msgSignatureMismatch, Err: err}
	}
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return Caller{}, &Error{Code: CodeSignatureDoesNotMatch, Status: http.StatusForbidden, Message: msgSignatureMismatch,
			Err: fmt.Errorf("signature of access key %s does not match", a.accessKeyID)}
	}
	if !cred.Expiration.IsZero() && !now.Before(cred.Expiration) {
		return Caller{}, &Error{Code: CodeExpiredToken, Status: http.StatusForbidden, Message: msgExpiredToken,
			Err: fmt.Errorf("credentials %s expired at %s", a.accessKeyID, cred.Expiration.UTC().Format(time.RFC3339))}
	}
	c := cred.Caller
	c.AccessKeyID, c.SessionToken = cred.AccessKeyID, cred.SessionToken
	return c, nil
}

// checkSkew rejects a signature dated more than MaxSignatureSkew away from
// now, with the messages IAM and STS send.
func checkSkew(signed, now time.Time) *Error {
	now = now.UTC()
	switch {
	case signed.Before(now.Add(-MaxSignatureSkew)):
		return Errorf(CodeSignatureDoesNotMatch, http.StatusForbidden, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			signed.Format(amzDateFormat), now.Add(-MaxSignatureSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	case signed.After(now.Add(MaxSignatureSkew)):
		return Errorf(CodeSignatureDoesNotMatch, http.StatusForbidden, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			signed.Format(amzDateFormat), now.Add(MaxSignatureSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	return nil
}

// expectedSignature signs a copy of r carrying exactly the headers the client
// signed, with cred's secret, and returns the resulting signature.
func (v *verifier) expectedSignature(ctx context.Context, r *http.Request, body []byte, a *sigV4Auth,
	cred Credential, signed time.Time, presigned bool) (string, error) {
	u := *r.URL
	if presigned {
		q := u.Query()
		q.Del("X-Amz-Signature")
		u.RawQuery = q.Encode()
	}
	u.Scheme = "http"
	if r.TLS != nil {
		u.Scheme = "https"
	}
	u.Host = r.Host
	c, err := http.NewRequestWithContext(ctx, r.Method, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("copy request: %w", err)
	}
	c.Host = r.Host
	for _, name := range a.signedHeaders {
		switch name {
		case "host":
		case "content-length":
			c.ContentLength = int64(len(body))
		default:
			if vals := r.Header.Values(name); len(vals) > 0 {
				c.Header[http.CanonicalHeaderKey(name)] = vals
			}
		}
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	// A client that states the payload hash signs that value; it must still
	// be the body's hash unless the client declared the payload unsigned.
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		if h != "UNSIGNED-PAYLOAD" && h != payloadHash {
			return "", fmt.Errorf("X-Amz-Content-Sha256 %s is not the body's hash %s", h, payloadHash)
		}
		payloadHash = h
	}
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey, SessionToken: cred.SessionToken}
	if presigned {
		uri, _, err := v.signer.PresignHTTP(ctx, creds, c, payloadHash, a.service, a.region, signed)
		if err != nil {
			return "", fmt.Errorf("presign: %w", err)
		}
		pu, err := url.Parse(uri)
		if err != nil {
			return "", fmt.Errorf("presigned URI: %w", err)
		}
		return pu.Query().Get("X-Amz-Signature"), nil
	}
	if err := v.signer.SignHTTP(ctx, creds, c, payloadHash, a.service, a.region, signed); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	_, sig, ok := strings.Cut(c.Header.Get("Authorization"), "Signature=")
	if !ok {
		return "", fmt.Errorf("signer produced no signature")
	}
	return sig, nil
}
