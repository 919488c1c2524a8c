package sts

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/iam"
)

// Fix is one change that would make AssumeRoleWithSAML accept the response,
// with the exact commands where the change is on the AWS side.
type Fix struct {
	// Rank orders the fixes, 1 the most likely.
	Rank int `json:"rank"`
	// Cause is the failure class the fix addresses: signature, issuer,
	// provider,
	// expired, not-yet-valid, audience, recipient, trust-policy, role,
	// role-pair, role-session-name, source-identity, session-duration, tags,
	// encryption, name-id, capture.
	Cause string `json:"cause"`
	// Where the change is made: "aws" (IAM, with commands), "idp" (an IdP
	// setting), "client" (how the response is redeemed) or "capture" (the
	// capture itself is unusable).
	Where string `json:"where"`
	// Title says what to do in one line; Why gives the evidence.
	Title string `json:"title"`
	Why   string `json:"why"`
	// Commands are shell commands to run, in order.
	Commands []string `json:"commands,omitempty"`
	// Files are documents the commands read, by file name (for example a
	// corrected trust policy). The caller decides whether to write them.
	Files map[string]string `json:"files,omitempty"`
	// IDPSetting is the IdP setting to change and its value.
	IDPSetting string `json:"idp_setting,omitempty"`
}

// causeOfFinding maps a failing finding to its failure class.
var causeOfFinding = map[string]string{
	"signature": "signature", "signed-with": "signature", "registered-certs": "signature",
	"issuer": "issuer", "provider": "provider", "not-on-or-after": "expired", "subject-not-on-or-after": "expired", "issue-instant": "expired",
	"not-before": "not-yet-valid", "audience": "audience", "recipient": "recipient", "role": "role-pair", "role-exists": "role",
	"role-session-name": "role-session-name", "trust-policy": "trust-policy", "session-duration": "session-duration",
	"tags": "tags", "source-identity": "source-identity", "name-id": "name-id", "encryption": "encryption", "xml": "capture",
}

// sameMessage reports whether msg is the message format (whose request-ID
// suffix, if any, is ignored).
func sameMessage(msg, format string) bool {
	prefix, _, _ := strings.Cut(format, "%")
	return msg == format || (strings.Contains(format, "%") && strings.HasPrefix(msg, prefix))
}

// verdictCause is the failure class of the verdict.
func (ex *Explanation) verdictCause() string {
	m := ex.Message
	switch {
	case ex.Accepted:
		return ""
	case sameMessage(m, msgSignatureInvalid):
		return "signature"
	case sameMessage(m, msgIssuerNotPresent):
		return "issuer"
	case sameMessage(m, msgProviderNotFound):
		return "provider"
	case sameMessage(m, msgInvalidBase64), sameMessage(m, msgNotAResponse):
		return "capture"
	case sameMessage(m, msgEncryptedAssertion), sameMessage(m, msgDecrypt), sameMessage(m, msgEncryptionRequired):
		return "encryption"
	case sameMessage(m, msgExpired), sameMessage(m, msgRedeemWindow):
		return "expired"
	case sameMessage(m, msgNotYetValid):
		return "not-yet-valid"
	case sameMessage(m, msgAudience):
		return "audience"
	case sameMessage(m, msgRecipientMissing), sameMessage(m, msgRecipientWrong):
		return "recipient"
	case sameMessage(m, msgSessionNameMissing), sameMessage(m, msgSessionNameBad):
		return "role-session-name"
	case sameMessage(m, msgSourceIdentityBad):
		return "source-identity"
	case sameMessage(m, msgRoleNotInAssertion):
		return "role-pair"
	case sameMessage(m, msgDurationExceedsMax):
		return "session-duration"
	case sameMessage(m, msgTags):
		return "tags"
	case sameMessage(m, msgNotAuthorized):
		return "access-denied"
	}
	return "other"
}

// fixContext is what the fixes are computed from.
type fixContext struct {
	doc    *etree.Document
	md     *metadata.EntityDescriptor
	claims *Assertion
	in     ExplainInput
	at     time.Time
	b      Behavior
}

// addFixes lists the fixes: the verdict's cause first, then the cause of
// every other failing finding, each once.
func (ex *Explanation) addFixes(doc *etree.Document, md *metadata.EntityDescriptor, claims *Assertion, in ExplainInput) {
	at, _ := time.Parse(time.RFC3339, ex.At)
	b := DefaultBehavior()
	if in.Behavior != nil {
		b = *in.Behavior
	}
	fc := fixContext{doc: doc, md: md, claims: claims, in: in, at: at, b: b}
	var causes []string
	if c := ex.verdictCause(); c != "" {
		causes = append(causes, c)
	}
	for _, f := range ex.Findings {
		if c, ok := causeOfFinding[f.Check]; ok && !f.OK && !f.NotJudged {
			causes = append(causes, c)
		}
	}
	seen := map[string]bool{}
	for _, c := range causes {
		if c == "access-denied" {
			c = ex.accessDeniedCause(fc)
		}
		if seen[c] {
			continue
		}
		if len(seen) == 0 && !ex.Accepted {
			ex.Diagnosis = ex.diagnosis(c, fc)
		}
		seen[c] = true
		for _, f := range ex.fixesFor(c, fc) {
			f.Rank, f.Cause = len(ex.Fixes)+1, c
			ex.Fixes = append(ex.Fixes, f)
		}
	}
	if ex.Fixes == nil {
		ex.Fixes = []Fix{}
	}
	if ex.NotJudged == nil {
		ex.NotJudged = []string{}
	}
}

// accessDeniedCause narrows AccessDenied (rows 13, 17b) to its cause.
func (ex *Explanation) accessDeniedCause(fc fixContext) string {
	if fc.claims != nil && fc.claims.NameID == "" {
		return "name-id"
	}
	if fc.in.TrustPolicy != "" {
		return "trust-policy"
	}
	return "role"
}

func (ex *Explanation) fixesFor(cause string, fc fixContext) []Fix {
	provider, role := ex.ProviderARN, roleNameOf(ex.RoleARN)
	mdFile := fc.in.MetadataFile
	if mdFile == "" {
		mdFile = "idp-metadata.xml"
	}
	update := fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --saml-metadata-document file://%s", provider, mdFile)
	switch cause {
	case "signature":
		return signatureFixes(fc, update, mdFile, ex.Cause)
	case "issuer":
		iss := ""
		if fc.doc != nil {
			iss = xmlsec.UnverifiedIssuer(fc.doc)
		}
		return []Fix{
			{Where: "aws", Title: "Register the IdP's current metadata, whose entityID is the Issuer it now sends",
				Why:      fmt.Sprintf("the response's Issuer is %q but the registered metadata's entityID is %q; an IdP migration or a changed base URL changes the entityID", iss, fc.md.EntityID),
				Commands: []string{fmt.Sprintf("# export the IdP's metadata to %s and check: grep entityID %s  (must be %s)", mdFile, mdFile, iss), update}},
			{Where: "idp", Title: "Or set the IdP's entity ID back to the registered one",
				Why: "when the change of entityID was not intended", IDPSetting: fmt.Sprintf("IdP entity ID / Issuer = %s", fc.md.EntityID)},
		}
	case "provider":
		_, name, _ := splitProviderARN(provider)
		return []Fix{
			{Where: "aws", Title: "Create the SAML provider with the IdP's metadata",
				Why:      "IAM has no SAML provider " + provider + " (never created, deleted, or in another account)",
				Commands: []string{fmt.Sprintf("aws iam create-saml-provider --name %s --saml-metadata-document file://%s", name, mdFile)}},
			{Where: "idp", Title: "Or correct the provider ARN in the IdP's Role attribute",
				IDPSetting: fmt.Sprintf("attribute https://aws.amazon.com/SAML/Attributes/Role = %s,arn:aws:iam::ACCOUNT:saml-provider/EXISTING_NAME", ex.RoleARN)},
		}
	case "expired":
		return expiredFixes(fc)
	case "not-yet-valid":
		ahead := ""
		if fc.claims != nil && !fc.claims.NotBefore.IsZero() {
			ahead = fmt.Sprintf(": NotBefore %s is %s ahead of %s", fc.claims.NotBefore.UTC().Format(time.RFC3339),
				fc.claims.NotBefore.Sub(fc.at).Round(time.Second), fc.at.Format(time.RFC3339))
		}
		return []Fix{{Where: "idp", Title: "Synchronise the IdP host's clock (NTP)",
			Why:        "the IdP stamps the assertion in the future beyond STS's clock skew of " + fc.b.ClockSkew.String() + ahead,
			IDPSetting: "enable NTP on every IdP node (timedatectl set-ntp true)"}}
	case "audience":
		var got []string
		if fc.claims != nil {
			got = fc.claims.Audiences()
		}
		return []Fix{{Where: "idp", Title: "Set the AWS application's Audience (SP entity ID) to urn:amazon:webservices",
			Why:        fmt.Sprintf("every AudienceRestriction must name urn:amazon:webservices or an AWS sign-in SAML endpoint; the response has %q", got),
			IDPSetting: "Audience / SP entity ID / Relying party identifier = urn:amazon:webservices"}}
	case "recipient":
		got := ""
		if fc.claims != nil {
			got = fc.claims.Recipient
		}
		return []Fix{{Where: "idp", Title: "Set the AWS application's ACS URL (Recipient) to the AWS sign-in SAML endpoint",
			Why:        fmt.Sprintf("SubjectConfirmationData Recipient is %q (%s)", got, endpointName(got)),
			IDPSetting: "ACS URL / Recipient / Reply URL = https://signin.aws.amazon.com/saml (or https://REGION.signin.aws.amazon.com/saml for a regional endpoint)"}}
	case "trust-policy":
		return ex.trustFixes(fc, role)
	case "role":
		create := Fix{Where: "aws", Title: "Create the role with the standard SAML trust policy",
			Commands: []string{fmt.Sprintf("aws iam create-role --role-name %s --assume-role-policy-document file://trust-policy.json", role)},
			Files:    map[string]string{"trust-policy.json": indentJSON(iam.SAMLTrustPolicy(provider))}}
		if fc.in.NoRole {
			create.Why = "the role " + ex.RoleARN + " does not exist; STS answers AccessDenied"
			return []Fix{create, {Where: "idp", Title: "Or map the user to a role that exists",
				IDPSetting: "attribute https://aws.amazon.com/SAML/Attributes/Role = EXISTING_ROLE_ARN," + provider}}
		}
		create.Title = "If the role is missing, create it with the standard SAML trust policy"
		return []Fix{
			{Where: "aws", Title: "Check that the role exists and trusts the provider; rerun explain with its trust policy",
				Why:      "AccessDenied: the role does not exist or its trust policy does not allow this request, and no trust policy was given to tell which",
				Commands: []string{fmt.Sprintf("aws iam get-role --role-name %s > role.json", role), "samlab explain --response CAPTURE --metadata REGISTERED --role-file role.json"}},
			create,
		}
	case "name-id":
		return []Fix{{Where: "idp", Title: "Send a Subject NameID", Why: "the assertion has no Subject/NameID; STS answers AccessDenied",
			IDPSetting: "Name ID format persistent (or email), value the user's stable identifier"}}
	case "role-pair":
		return rolePairFixes(fc, ex.RoleARN, provider)
	case "role-session-name":
		var got []string
		if fc.claims != nil {
			got = fc.claims.Attributes[attrRoleSessionName]
		}
		return []Fix{{Where: "idp", Title: "Send exactly one RoleSessionName matching [a-zA-Z_0-9+=,.@-]{2,64}",
			Why:        fmt.Sprintf("RoleSessionName values %q", got),
			IDPSetting: "attribute https://aws.amazon.com/SAML/Attributes/RoleSessionName = the username or email (not the display name)"}}
	case "source-identity":
		return []Fix{{Where: "idp", Title: "Send a SourceIdentity of 2-64 characters [a-zA-Z_0-9+=,.@-], not starting with aws:",
			IDPSetting: "attribute https://aws.amazon.com/SAML/Attributes/SourceIdentity = the username"}}
	case "session-duration":
		want := MaxDuration
		if fc.in.DurationSeconds != nil {
			want = *fc.in.DurationSeconds
		}
		return []Fix{
			{Where: "aws", Title: "Raise the role's MaxSessionDuration", Why: "the requested duration exceeds the role's MaxSessionDuration",
				Commands: []string{fmt.Sprintf("aws iam update-role --role-name %s --max-session-duration %d", role, want)}},
			{Where: "client", Title: "Or ask for a shorter session", Why: "DurationSeconds must not exceed the role's MaxSessionDuration",
				Commands: []string{fmt.Sprintf("aws sts assume-role-with-saml ... --duration-seconds %d", max(fc.in.MaxSessionDuration, MinDuration))}},
		}
	case "tags":
		return []Fix{{Where: "idp", Title: "Fix the PrincipalTag attributes",
			Why:        "session tags must be at most 50, one value each, keys 1-128 and values 0-256 characters, no aws: prefix, no keys equal ignoring case; TransitiveTagKeys must name tags",
			IDPSetting: "attributes https://aws.amazon.com/SAML/Attributes/PrincipalTag:KEY"}}
	case "encryption":
		return encryptionFixes(fc, provider, ex.Message)
	case "capture":
		return []Fix{{Where: "capture", Title: "Capture the SAMLResponse form value itself",
			Why:      "the input is not a base64 samlp:Response: copy the SAMLResponse field of the POST to https://signin.aws.amazon.com/saml, or save a HAR",
			Commands: []string{"samlab explain --response sign-in.har --metadata REGISTERED"}}}
	}
	return nil
}

// keyInfoCerts returns the certificates the response's signatures carry in
// KeyInfo (unauthenticated: what the signer says it used).
func keyInfoCerts(doc *etree.Document) (certsOut []*x509.Certificate, signatures int) {
	if doc == nil {
		return nil, 0
	}
	for _, sig := range doc.FindElements("//Signature") {
		if sig.NamespaceURI() != xmlsec.NSDSig {
			continue
		}
		signatures++
		if x := sig.FindElement(".//X509Certificate"); x != nil {
			if c, err := certs.ParseCertBase64(x.Text()); err == nil {
				certsOut = append(certsOut, c)
			}
		}
	}
	return certsOut, signatures
}

func describeCert(c *x509.Certificate) string {
	return fmt.Sprintf("CN=%s, SHA-1 %s, valid %s to %s", c.Subject.CommonName, certs.FingerprintSHA1(c),
		c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"))
}

// Kinds of signer classifySigner tells apart.
const (
	signerNone       = "unsigned"   // no Signature at all
	signerRegistered = "registered" // KeyInfo names a registered certificate (or none)
	signerRotation   = "rotation"   // a key not older than the registered ones, published by the IdP (or no IdP metadata to say otherwise)
	signerStale      = "stale"      // a key older than the newest registered one
	signerForeign    = "foreign"    // a key not older than the registered ones that the IdP's current metadata does not publish
)

// classifySigner reads the KeyInfo certificates against the registered
// metadata and, when given, the IdP's current metadata.
func classifySigner(fc fixContext) (kind string, signer, newest *x509.Certificate) {
	signers, n := keyInfoCerts(fc.doc)
	if n == 0 {
		return signerNone, nil, nil
	}
	for _, r := range fc.md.SigningCerts {
		if newest == nil || r.NotBefore.After(newest.NotBefore) {
			newest = r
		}
	}
	for _, s := range signers {
		known := false
		for _, r := range fc.md.SigningCerts {
			known = known || r.Equal(s)
		}
		if !known {
			signer = s
			break
		}
	}
	switch {
	case signer == nil:
		return signerRegistered, nil, newest
	case newest != nil && signer.NotBefore.Before(newest.NotBefore):
		return signerStale, signer, newest
	}
	if len(fc.in.IDPMetadata) > 0 {
		if cur, err := metadata.Parse(fc.in.IDPMetadata); err == nil {
			published := false
			for _, c := range cur.SigningCerts {
				published = published || c.Equal(signer)
			}
			if !published {
				return signerForeign, signer, newest
			}
		}
	}
	return signerRotation, signer, newest
}

func signatureFixes(fc fixContext, update, mdFile, cause string) []Fix {
	kind, signer, newest := classifySigner(fc)
	regFile := fc.in.RegisteredFile
	if regFile == "" {
		regFile = "registered.xml"
	}
	diff := fmt.Sprintf("samlab metadata diff %s %s   # must list the new certificate as added", regFile, mdFile)
	reg := "none"
	if newest != nil {
		reg = describeCert(newest)
	}
	caveat := " KeyInfo is not authenticated: confirm the fingerprint with the IdP's administrators before you register it."
	switch kind {
	case signerNone:
		return []Fix{{Where: "idp", Title: "Turn on signing: the response carries no signature",
			IDPSetting: "sign the assertion (or the response) with the key whose certificate is in the registered metadata, RSA-SHA256"}}
	case signerRegistered:
		return []Fix{
			{Where: "capture", Title: "The response was changed after the IdP signed it: capture it again, untouched",
				Why: "the certificate in KeyInfo is registered, so the key is right, but the signed bytes no longer verify (" + cause +
					"); a proxy that rewrites the form, a capture copied through a pretty-printer, or a signature-wrapping attempt does this"},
			{Where: "idp", Title: "Or the IdP signs in a form STS does not verify",
				Why:        cause,
				IDPSetting: "sign the Assertion (enveloped signature, exclusive c14n, RSA-SHA256 or RSA-SHA1) with the registered key"},
		}
	case signerForeign:
		return []Fix{
			{Where: "idp", Title: "The response was signed by a key the IdP does not publish: treat it as forged, or as another IdP's",
				Why: "the response is signed by " + describeCert(signer) + ", which neither the registered metadata nor the IdP's current metadata (" +
					mdFile + ") contains; do NOT register it. Find which system produced it (a test IdP, a second IdP with the same entityID, an attacker)"},
		}
	case signerStale:
		return []Fix{
			{Where: "idp", Title: "An IdP node still signs with a retired key: deploy the current key to every node",
				Why:        "the response is signed by " + describeCert(signer) + ", older than the registered " + reg + "; logins that reach that node fail, the others work",
				IDPSetting: "signing certificate on every node = " + reg},
			{Where: "aws", Title: "As a stop-gap, register metadata that lists both certificates",
				Why:      "IAM accepts a signature by any registered certificate." + caveat,
				Commands: []string{"# metadata with both KeyDescriptors in " + mdFile, diff, update}},
		}
	}
	why := "the response is signed by " + describeCert(signer) + ", newer than every registered certificate (newest: " + reg + ")."
	if len(fc.in.IDPMetadata) > 0 {
		why += " The IdP's current metadata (" + mdFile + ") publishes it."
	} else {
		why += caveat + " Giving the IdP's current metadata (--idp-metadata) tells a rotation from a foreign signer."
	}
	return []Fix{
		{Where: "aws", Title: "The IdP rotated its signing certificate: upload its current metadata to IAM",
			Why: why, Commands: []string{"# export the IdP's current metadata to " + mdFile + " (its /metadata URL or admin console)", diff, update}},
		{Where: "idp", Title: "Or switch the IdP back to the registered signing key",
			Why: "when the rotation was not meant to be live yet", IDPSetting: "signing certificate = " + reg},
	}
}

// diagnosis names the failure class of cause, after the built-in scenario
// that reproduces it where one exists.
func (ex *Explanation) diagnosis(cause string, fc fixContext) string {
	switch cause {
	case "signature":
		switch kind, _, _ := classifySigner(fc); kind {
		case signerNone:
			return "unsigned-response"
		case signerRegistered:
			return "forged-signature"
		case signerForeign:
			return "forged-signature"
		case signerStale:
			return "stale-signing-node"
		}
		return "cert-rotation"
	case "issuer":
		return "wrong-entity-id"
	case "provider":
		return "unknown-provider"
	case "expired":
		return "stale-assertion"
	case "not-yet-valid":
		return "idp-clock-ahead"
	case "role-pair":
		if fc.claims != nil && len(fc.claims.Attributes[attrRole]) == 0 {
			return "missing-role-attribute"
		}
		return "role-not-in-assertion"
	case "role-session-name":
		return "session-name-claim"
	case "audience":
		return "wrong-audience"
	case "recipient":
		return "wrong-recipient"
	case "name-id":
		return "missing-name-id"
	case "trust-policy":
		return "trust-policy-denies"
	case "role":
		return "role-missing"
	case "session-duration":
		return "session-duration-exceeds-max"
	case "capture":
		return "not-a-response"
	}
	return cause
}

func expiredFixes(fc fixContext) []Fix {
	why := "the response's validity window has passed"
	if a := fc.claims; a != nil && !a.IssueInstant.IsZero() {
		why = fmt.Sprintf("issued %s, judged %s later (NotOnOrAfter %s, STS redeem window %s, clock skew %s)",
			a.IssueInstant.UTC().Format(time.RFC3339), fc.at.Sub(a.IssueInstant).Round(time.Second),
			a.NotOnOrAfter.UTC().Format(time.RFC3339), fc.b.RedeemWindow, fc.b.ClockSkew)
	}
	return []Fix{
		{Where: "client", Title: "Redeem the response sooner: sign in again rather than reusing a cached assertion",
			Why: why + "; when judging an old capture, add --at issue-instant to judge it as of when it was issued"},
		{Where: "idp", Title: "Or lengthen the assertion's lifetime",
			IDPSetting: "assertion validity (NotOnOrAfter) ≥ 5 minutes after IssueInstant"},
		{Where: "idp", Title: "Or check the IdP host's clock (NTP): a clock behind stamps assertions in the past",
			IDPSetting: "enable NTP on every IdP node"},
	}
}

func rolePairFixes(fc fixContext, roleARN, provider string) []Fix {
	var got []string
	if fc.claims != nil {
		got = fc.claims.Attributes[attrRole]
	}
	return []Fix{
		{Where: "idp", Title: "Grant the role: add the pair to the Role attribute",
			Why:        fmt.Sprintf("the Role values %q do not pair %s with %s", got, roleARN, provider),
			IDPSetting: fmt.Sprintf("attribute https://aws.amazon.com/SAML/Attributes/Role += %s,%s", roleARN, provider)},
		{Where: "client", Title: "Or ask for a role the assertion grants",
			Why: fmt.Sprintf("granted: %q (a stale role in a CLI profile asks for a role the user no longer has)", got)},
	}
}

func (ex *Explanation) trustFixes(fc fixContext, role string) []Fix {
	if fc.claims == nil || fc.in.TrustPolicy == "" {
		return nil
	}
	tr, err := evaluateTrust(fc.claims, fc.in, ex.ProviderARN, fc.b)
	if err != nil {
		return []Fix{{Where: "aws", Title: "Fix the trust policy: it does not parse", Why: err.Error()}}
	}
	why := tr.denials(ex.ProviderARN)
	cmd := fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document file://trust-policy.json", role)
	if fixed := correctedTrustPolicy(fc.in.TrustPolicy, tr); fixed != "" {
		return []Fix{{Where: "aws", Title: "Update the role's trust policy to allow this request",
			Why:      strings.Join(why, "; ") + "; trust-policy.json is the current policy with the request's values added",
			Commands: []string{cmd}, Files: map[string]string{"trust-policy.json": fixed}}}
	}
	return []Fix{{Where: "aws", Title: "Update the role's trust policy to allow this request",
		Why:      strings.Join(why, "; ") + "; no mechanical correction exists (a Deny or a negated condition): edit it by hand",
		Commands: []string{fmt.Sprintf("aws iam get-role --role-name %s --query Role.AssumeRolePolicyDocument > trust-policy.json", role), cmd}}}
}

func encryptionFixes(fc fixContext, provider, msg string) []Fix {
	addKey := fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --add-private-key file://sp-private-key.pem", provider)
	switch {
	case sameMessage(msg, msgEncryptionRequired):
		return []Fix{
			{Where: "idp", Title: "Turn on assertion encryption at the IdP, with the provider's encryption certificate",
				IDPSetting: "encrypt assertions (AES-256-GCM or AES-256-CBC, RSA-OAEP) for the certificate of the key uploaded to IAM"},
			{Where: "aws", Title: "Or let IAM accept plaintext assertions",
				Commands: []string{fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --assertion-encryption-mode Allowed", provider)}},
		}
	case sameMessage(msg, msgDecrypt):
		return []Fix{
			{Where: "aws", Title: "Upload the private key whose certificate the IdP encrypts for",
				Why: "none of the provider's keys decrypts the EncryptedAssertion", Commands: []string{addKey}},
			{Where: "idp", Title: "Or make the IdP encrypt for the provider's current certificate",
				IDPSetting: "SP encryption certificate = the certificate of the key in IAM"},
		}
	case sameMessage(msg, msgEncryptedAssertion):
		return []Fix{
			{Where: "aws", Title: "Give the provider a decryption key",
				Why: "the response carries an EncryptedAssertion and the provider has no private key", Commands: []string{addKey}},
			{Where: "idp", Title: "Or turn off assertion encryption at the IdP", IDPSetting: "encrypt assertions = off"},
		}
	}
	if len(fc.in.PrivateKeys) > 0 {
		return []Fix{{Where: "aws", Title: "Upload the private key whose certificate the IdP encrypts for", Commands: []string{addKey}}}
	}
	return nil
}
