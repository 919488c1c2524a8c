package sts

import (
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/iam"
)

// This file holds the parts of Explain that read what a captured response
// claims beyond the pipeline's first failure: decryption with the keys the
// caller gives, duration, tags, SourceIdentity, NameID, encryption, and the
// replay account built from the caller's role and provider settings.

// readClaims returns the response's Assertion read without verification,
// decrypting an EncryptedAssertion with keys (PEM) on a copy of doc, so the
// signature check still sees the document as sent. It fills the role pair
// from the assertion when the caller gave none. It returns nil when there is
// no single assertion to read.
func (ex *Explanation) readClaims(doc *etree.Document, pems []string) *Assertion {
	work := doc
	if n := len(childrenNS(doc.Root(), nsAssertion, "EncryptedAssertion")); n > 0 {
		var keys []*rsa.PrivateKey
		for _, p := range pems {
			if k, err := certs.ParseKeyPEM([]byte(p)); err == nil {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			ex.Findings = append(ex.Findings, Finding{Check: "encryption", NotJudged: true,
				Detail: "the response carries an EncryptedAssertion and no decryption key was given: its claims cannot be read"})
			ex.NotJudged = append(ex.NotJudged, "the encrypted assertion's claims: give the SAML provider's private key (--key sp-key.pem)")
			return nil
		}
		work = doc.Copy()
		if _, err := xmlsec.DecryptAssertions(work, keys); err != nil {
			ex.add("encryption", false, "none of the %d given key(s) decrypts the EncryptedAssertion: %v", len(keys), err)
			return nil
		}
		ex.add("encryption", true, "the EncryptedAssertion decrypts with a given key")
	}
	as := childrenNS(work.Root(), nsAssertion, "Assertion")
	if len(as) != 1 {
		return nil
	}
	a, err := readAssertion(as[0])
	if err != nil {
		return nil
	}
	if ex.RoleARN == "" || ex.ProviderARN == "" {
		for _, v := range a.Attributes[attrRole] {
			if p, ok := awssaml.ParseRolePair(v); ok {
				ex.RoleARN, ex.ProviderARN = p.RoleARN, p.ProviderARN
				break
			}
		}
	}
	return a
}

// replayAccount builds the throwaway account the verdict is computed in: the
// provider with the registered metadata, encryption mode and keys, and the
// role with the caller's trust policy and MaxSessionDuration, or AWS's
// standard SAML trust policy (then recorded as not judged).
func (ex *Explanation) replayAccount(in ExplainInput, account, providerName string, at time.Time) (*iam.Account, error) {
	acct := iam.NewAccount(iam.Config{ID: account, Now: func() time.Time { return at }})
	mode := in.AssertionEncryptionMode
	if mode == "Required" && len(in.PrivateKeys) == 0 {
		// IAM refuses Required without a key; the provider does hold one,
		// the caller just did not give it.
		mode = ""
		ex.NotJudged = append(ex.NotJudged, "the provider's AssertionEncryptionMode Required: it holds private keys that were not given (--key)")
	}
	pin := iam.CreateSAMLProviderInput{Name: providerName, MetadataDocument: in.Metadata, AssertionEncryptionMode: mode}
	if len(in.PrivateKeys) > 0 {
		pin.AddPrivateKey = in.PrivateKeys[0]
	}
	if !in.NoProvider {
		prov, err := acct.CreateProvider(pin)
		if err != nil {
			return nil, fmt.Errorf("registered metadata: %w", err)
		}
		for i, k := range in.PrivateKeys[min(1, len(in.PrivateKeys)):] {
			if _, err := acct.UpdateProvider(iam.UpdateSAMLProviderInput{ARN: prov.ARN, AddPrivateKey: k}); err != nil {
				return nil, fmt.Errorf("private key %d: %w", i+2, err)
			}
		}
	}
	if in.NoRole {
		ex.add("role-exists", false, "the role %s does not exist in the account", ex.RoleARN)
		return acct, nil
	}
	roleName, path := splitRoleARN(ex.RoleARN)
	maxSession := in.MaxSessionDuration
	if maxSession == 0 {
		maxSession = MaxDuration
	}
	trust := in.TrustPolicy
	if trust == "" {
		trust = permissiveTrustPolicy(ex.ProviderARN)
	}
	if _, err := acct.CreateRole(iam.CreateRoleInput{Name: roleName, Path: path, MaxSessionDuration: maxSession,
		AssumeRolePolicyDocument: trust}); err != nil {
		if in.TrustPolicy != "" {
			return nil, fmt.Errorf("role %s: %w", ex.RoleARN, err)
		}
		ex.add("role", false, "the role ARN %s cannot be created in a lab account: %v", ex.RoleARN, err)
	}
	return acct, nil
}

// splitRoleARN returns a role ARN's name and path ("/" when it has none).
func splitRoleARN(arn string) (name, path string) {
	name = arn[strings.LastIndex(arn, "/")+1:]
	path = "/"
	if i, j := strings.Index(arn, ":role/"), strings.LastIndex(arn, "/"); i >= 0 && j > i+5 {
		path = arn[i+5 : j+1]
	}
	return name, path
}

// regionalHostRE reads the region of a regional sign-in host.
var regionalHostRE = regexp.MustCompile(`^([a-z]{2}(-[a-z]+)+-\d+)\.signin\.`)

// endpointName says which AWS sign-in endpoint a Recipient or Audience URL
// names: the global one, a regional one (its region), or none.
func endpointName(u string) string {
	if u == "" {
		return "missing"
	}
	if !recipientRE.MatchString(u) && !audienceRE.MatchString(u) {
		return "not an AWS sign-in SAML endpoint"
	}
	p, err := url.Parse(u)
	if err != nil {
		return "not a URL"
	}
	if m := regionalHostRE.FindStringSubmatch(p.Host); m != nil {
		return "the " + m[1] + " regional sign-in endpoint"
	}
	return "the global sign-in endpoint " + p.Host
}

// captureFindings adds the findings the original Explain did not make:
// SubjectConfirmationData's NotOnOrAfter, NameID, SessionDuration against the
// role's MaxSessionDuration, session tags, SourceIdentity, encryption mode,
// and the trust policy's evaluation.
func (ex *Explanation) captureFindings(doc *etree.Document, md *metadata.EntityDescriptor, a *Assertion, in ExplainInput, at time.Time, b Behavior) {
	if doc != nil && len(childrenNS(doc.Root(), nsAssertion, "EncryptedAssertion")) == 0 {
		switch {
		case in.AssertionEncryptionMode == encryptionRequired:
			ex.add("encryption", false, "the assertion is plaintext, and the provider's AssertionEncryptionMode is Required")
		default:
			ex.add("encryption", true, "the assertion is plaintext; the provider's AssertionEncryptionMode is %q", orUnset(in.AssertionEncryptionMode))
		}
	}
	if a == nil {
		ex.Findings = append(ex.Findings, Finding{Check: "trust-policy", NotJudged: true, Detail: "the assertion's claims could not be read"})
		return
	}
	if !a.SubjectNotOnOrAfter.IsZero() {
		ok := at.Before(a.SubjectNotOnOrAfter.Add(b.ClockSkew))
		ex.add("subject-not-on-or-after", ok, "SubjectConfirmationData NotOnOrAfter %s (judged at %s, clock skew %s) — unverified claim",
			a.SubjectNotOnOrAfter.UTC().Format(time.RFC3339), at.Format(time.RFC3339), b.ClockSkew)
	}
	ex.add("name-id", a.NameID != "", "Subject NameID %q (format %s) — unverified claim", a.NameID, orUnset(a.NameIDFormat))
	ex.durationFinding(a, in)
	tags, transitive := sessionTags(a)
	if len(tags) > 0 || len(transitive) > 0 {
		if err := checkTags(tags, transitive, a.Attributes); err != nil {
			ex.add("tags", false, "session tags %s (transitive %q): %v — unverified claim", tagList(tags), transitive, err)
		} else {
			ex.add("tags", true, "%d session tag(s) %s, transitive %q; the trust policy must allow sts:TagSession — unverified claim", len(tags), tagList(tags), transitive)
		}
	}
	if v, ok := a.Attributes[attrSourceIdentity]; ok {
		good := len(v) == 1 && awssaml.ValidSessionName(v[0]) && !strings.HasPrefix(strings.ToLower(v[0]), "aws:")
		ex.add("source-identity", good, "SourceIdentity values %q; AWS wants one value matching [a-zA-Z_0-9+=,.@-]{2,64}, not starting with \"aws:\"; the trust policy must allow sts:SetSourceIdentity — unverified claim", v)
	}
	ex.trustFinding(a, in, md, b)
}

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

// durationFinding compares the requested DurationSeconds and the assertion's
// SessionDuration with the role's MaxSessionDuration (row 18, §5).
func (ex *Explanation) durationFinding(a *Assertion, in ExplainInput) {
	req := DefaultDuration
	reqText := "no DurationSeconds (STS uses 3600)"
	if in.DurationSeconds != nil {
		req = *in.DurationSeconds
		reqText = fmt.Sprintf("DurationSeconds %d", req)
	}
	sd := "no SessionDuration attribute"
	if v := a.Attributes[attrSessionDuration]; len(v) > 0 {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		switch {
		case len(v) != 1 || err != nil || n < MinDuration || n > MaxDuration:
			sd = fmt.Sprintf("SessionDuration %q (ignored by STS: not one integer in 900..43200)", v)
		default:
			sd = fmt.Sprintf("SessionDuration %d (sets the console session length; may shorten API credentials)", n)
		}
	}
	if in.MaxSessionDuration == 0 {
		ok := req <= MinDuration*4 // 3600, the default MaxSessionDuration
		f := Finding{Check: "session-duration", OK: ok, Detail: fmt.Sprintf("%s; %s; the role's MaxSessionDuration was not given", reqText, sd)}
		if !ok {
			f.NotJudged = true
			ex.NotJudged = append(ex.NotJudged, fmt.Sprintf("%s against the role's MaxSessionDuration: give the role (aws iam get-role)", reqText))
		}
		ex.Findings = append(ex.Findings, f)
		return
	}
	ex.add("session-duration", req <= in.MaxSessionDuration, "%s; %s; the role's MaxSessionDuration is %d", reqText, sd, in.MaxSessionDuration)
}

// ClaimedRolePairs returns the (role, provider) pairs of a response's Role
// attribute, read WITHOUT verification (base64 or XML; an EncryptedAssertion
// is decrypted with keys, PEM). It only tells a caller which provider and
// role to look up before calling Explain; it returns nil when there is none.
func ClaimedRolePairs(samlResponse string, keys []string) []RolePair {
	s := strings.TrimSpace(samlResponse)
	raw := []byte(s)
	if !strings.HasPrefix(s, "<") {
		var err error
		if raw, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil
		}
	}
	doc, err := parseXML(raw)
	if err != nil {
		return nil
	}
	var ex Explanation
	a := ex.readClaims(doc, keys)
	if a == nil {
		return nil
	}
	var out []RolePair
	for _, v := range a.Attributes[attrRole] {
		if p, ok := awssaml.ParseRolePair(v); ok {
			out = append(out, p)
		}
	}
	return out
}

// permissiveTrustPolicy lets the provider assume the role with no condition:
// the replay's stand-in when the trust policy is not known, so the verdict
// does not depend on a policy nobody gave.
func permissiveTrustPolicy(providerARN string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},`+
		`"Action":["sts:AssumeRoleWithSAML","sts:TagSession","sts:SetSourceIdentity"]}]}`, providerARN)
}

// tagList renders session tags as key=value, sorted by key.
func tagList(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + tags[k]
	}
	return "[" + strings.Join(keys, " ") + "]"
}

// registeredMetadata parses the registered metadata, or stands in an empty
// document when the provider does not exist.
func registeredMetadata(in ExplainInput) (*metadata.EntityDescriptor, error) {
	if in.NoProvider {
		return &metadata.EntityDescriptor{}, nil
	}
	md, err := metadata.Parse(in.Metadata)
	if err != nil {
		return nil, fmt.Errorf("registered metadata: %w", err)
	}
	return md, nil
}

// noProviderFindings replaces the issuer and signature findings when IAM
// has no such provider: there is nothing to judge them against.
func (ex *Explanation) noProviderFindings() {
	ex.add("provider", false, "IAM has no SAML provider %s", ex.ProviderARN)
	ex.Findings = append(ex.Findings,
		Finding{Check: "issuer", NotJudged: true, Detail: "no registered metadata to compare the Issuer with"},
		Finding{Check: "signature", NotJudged: true, Detail: "no registered certificate to verify the signature with"})
}
