package sts

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // registers SHA-1 for RSA-OAEP key transport
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// AWS attribute names (IAM UG "Configure SAML assertions"). Names are
// case-sensitive.
const (
	attrRole              = "https://aws.amazon.com/SAML/Attributes/Role"
	attrRoleSessionName   = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	attrSessionDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	attrSourceIdentity    = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	attrTransitiveTagKeys = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
	attrPrincipalTag      = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
)

// Assertion is what STS reads from a verified SAML assertion.
type Assertion struct {
	ID, Issuer             string
	IssueInstant           time.Time
	NameID, NameIDFormat   string
	HasSubjectConfirmation bool
	// Recipient and SubjectNotOnOrAfter come from the first bearer
	// SubjectConfirmation's SubjectConfirmationData.
	Recipient               string
	SubjectNotOnOrAfter     time.Time
	NotBefore, NotOnOrAfter time.Time
	// AudienceRestrictions holds each AudienceRestriction's Audience values.
	AudienceRestrictions [][]string
	SessionNotOnOrAfter  time.Time
	// Attributes maps attribute Name to its values, in document order. Values
	// are kept byte for byte (whitespace included).
	Attributes map[string][]string
}

// Audiences returns every Audience value of every AudienceRestriction.
func (a *Assertion) Audiences() []string {
	var out []string
	for _, r := range a.AudienceRestrictions {
		out = append(out, r...)
	}
	return out
}

// rawText returns the element's character data, concatenating every text
// token and ignoring comments, so "ad<!---->min" reads as the signed value
// "admin".
func rawText(el *etree.Element) string {
	if el == nil {
		return ""
	}
	var sb strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			sb.WriteString(cd.Data)
		}
	}
	return sb.String()
}

// text is rawText without surrounding whitespace.
func text(el *etree.Element) string { return strings.TrimSpace(rawText(el)) }

func parseTime(el *etree.Element, attr string) (time.Time, error) {
	v := attrValue(el, attr)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s/@%s: %w", el.Tag, attr, err)
	}
	return t, nil
}

// attrValue returns el's unprefixed attribute key, or "". SAML's attributes
// are unprefixed; a prefixed look-alike (x:Name) is ignored.
func attrValue(el *etree.Element, key string) string {
	v, _ := plainAttr(el, key)
	return v
}

// readAssertion extracts the fields STS uses from a verified Assertion element.
func readAssertion(a *etree.Element) (*Assertion, error) {
	out := &Assertion{ID: attrValue(a, "ID"), Issuer: text(childNS(a, nsAssertion, "Issuer")),
		Attributes: map[string][]string{}}
	var err error
	if out.IssueInstant, err = parseTime(a, "IssueInstant"); err != nil {
		return nil, err
	}
	if subj := childNS(a, nsAssertion, "Subject"); subj != nil {
		if nid := childNS(subj, nsAssertion, "NameID"); nid != nil {
			out.NameID = text(nid)
			out.NameIDFormat = attrValue(nid, "Format")
		}
		for _, sc := range childrenNS(subj, nsAssertion, "SubjectConfirmation") {
			if attrValue(sc, "Method") != "urn:oasis:names:tc:SAML:2.0:cm:bearer" {
				continue
			}
			out.HasSubjectConfirmation = true
			if scd := childNS(sc, nsAssertion, "SubjectConfirmationData"); scd != nil {
				out.Recipient = strings.TrimSpace(attrValue(scd, "Recipient"))
				if out.SubjectNotOnOrAfter, err = parseTime(scd, "NotOnOrAfter"); err != nil {
					return nil, err
				}
			}
			break
		}
	}
	if c := childNS(a, nsAssertion, "Conditions"); c != nil {
		if out.NotBefore, err = parseTime(c, "NotBefore"); err != nil {
			return nil, err
		}
		if out.NotOnOrAfter, err = parseTime(c, "NotOnOrAfter"); err != nil {
			return nil, err
		}
		for _, ar := range childrenNS(c, nsAssertion, "AudienceRestriction") {
			var auds []string
			for _, au := range childrenNS(ar, nsAssertion, "Audience") {
				auds = append(auds, text(au))
			}
			out.AudienceRestrictions = append(out.AudienceRestrictions, auds)
		}
	}
	for _, as := range childrenNS(a, nsAssertion, "AuthnStatement") {
		t, err := parseTime(as, "SessionNotOnOrAfter")
		if err != nil {
			return nil, err
		}
		if !t.IsZero() && (out.SessionNotOnOrAfter.IsZero() || t.Before(out.SessionNotOnOrAfter)) {
			out.SessionNotOnOrAfter = t
		}
	}
	for _, st := range childrenNS(a, nsAssertion, "AttributeStatement") {
		for _, at := range childrenNS(st, nsAssertion, "Attribute") {
			name := attrValue(at, "Name")
			vals := out.Attributes[name]
			for _, v := range childrenNS(at, nsAssertion, "AttributeValue") {
				vals = append(vals, rawText(v))
			}
			out.Attributes[name] = vals
		}
	}
	return out, nil
}

// claimKeys returns the trust-policy condition keys an assertion attribute
// feeds (IAM UG "Configure SAML assertions", mapping table; UG-CK lists which
// keys are multi-valued). The X.500 names are listed as the guide spells
// them, "2.4.5.42" included, with and without "urn:oid:"; 2.5.4.3 feeds both
// SAML:cn and SAML:commonName.
func claimKeys(name string) []string {
	switch name {
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.1":
		return []string{"SAML:edupersonaffiliation"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.2":
		return []string{"SAML:edupersonnickname"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.3":
		return []string{"SAML:edupersonorgdn"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.4":
		return []string{"SAML:edupersonorgunitdn"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.5":
		return []string{"SAML:edupersonprimaryaffiliation"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.6":
		return []string{"SAML:edupersonprincipalname"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.7":
		return []string{"SAML:edupersonentitlement"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.8":
		return []string{"SAML:edupersonprimaryorgunitdn"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.9":
		return []string{"SAML:edupersonscopedaffiliation"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.10":
		return []string{"SAML:edupersontargetedid"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.11":
		return []string{"SAML:edupersonassurance"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.2":
		return []string{"SAML:eduorghomepageuri"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.3":
		return []string{"SAML:eduorglegalname"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.10":
		return []string{"SAML:eduorgidentityauthnpolicyuri"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.11":
		return []string{"SAML:eduorgsuperioruri"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.12":
		return []string{"SAML:eduorgwhitepagesuri"}
	case "urn:oid:2.5.4.3":
		return []string{"SAML:cn", "SAML:commonName"}
	case "2.5.4.3", "http://schemas.xmlsoap.org/claims/CommonName":
		return []string{"SAML:commonName"}
	case "urn:oid:2.5.4.4", "2.5.4.4", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":
		return []string{"SAML:surname"}
	case "urn:oid:2.4.5.42", "2.4.5.42", "urn:oid:2.5.4.42", "2.5.4.42", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname":
		return []string{"SAML:givenName"}
	case "urn:oid:2.5.4.45", "2.5.4.45":
		return []string{"SAML:x500UniqueIdentifier"}
	case "urn:oid:0.9.2342.19200300100.1.1", "0.9.2342.19200300100.1.1":
		return []string{"SAML:uid"}
	case "urn:oid:0.9.2342.19200300100.1.3", "0.9.2342.19200300100.1.3", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress":
		return []string{"SAML:mail"}
	case "urn:oid:0.9.2342.19200300100.1.45", "0.9.2342.19200300100.1.45":
		return []string{"SAML:organizationStatus"}
	case "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":
		return []string{"SAML:name"}
	case "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid":
		return []string{"SAML:primaryGroupSID"}
	}
	return nil
}

// requestContext holds what the trust policy's condition keys are computed
// from besides the assertion itself.
type requestContext struct {
	subjectType, nameQualifier, doc string
	tags                            map[string]string
	transitive                      []string
	sourceIdentity                  string
}

// conditionContext returns the trust-policy condition keys of an
// AssumeRoleWithSAML request (UG-CK "condition-keys-saml", UG-TAGS). SAML:aud
// is the Recipient, not the AudienceRestriction. Key names are matched
// case-insensitively by the evaluator.
func conditionContext(a *Assertion, rc requestContext) map[string][]string {
	ctx := map[string][]string{
		"SAML:aud":           {a.Recipient},
		"SAML:iss":           {a.Issuer},
		"SAML:sub":           {a.NameID},
		"SAML:sub_type":      {rc.subjectType},
		"SAML:namequalifier": {rc.nameQualifier},
		"SAML:doc":           {rc.doc},
	}
	for name, vals := range a.Attributes {
		for _, k := range claimKeys(name) {
			ctx[k] = append(ctx[k], vals...)
		}
	}
	if len(rc.tags) > 0 {
		keys := make([]string, 0, len(rc.tags))
		for k, v := range rc.tags {
			ctx["aws:RequestTag/"+k] = []string{v}
			keys = append(keys, k)
		}
		ctx["aws:TagKeys"] = keys
	}
	if len(rc.transitive) > 0 {
		ctx["sts:TransitiveTagKeys"] = rc.transitive
	}
	if rc.sourceIdentity != "" {
		ctx["sts:SourceIdentity"] = []string{rc.sourceIdentity}
	}
	return ctx
}

// XML Encryption algorithm identifiers (XML Encryption 1.1 §5).
const (
	nsXMLEnc     = "http://www.w3.org/2001/04/xmlenc#"
	encAES128CBC = nsXMLEnc + "aes128-cbc"
	encAES192CBC = nsXMLEnc + "aes192-cbc"
	encAES256CBC = nsXMLEnc + "aes256-cbc"
	encAES128GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
	encAES192GCM = "http://www.w3.org/2009/xmlenc11#aes192-gcm"
	encAES256GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
	encRSAOAEP   = nsXMLEnc + "rsa-oaep-mgf1p"
	encRSAOAEP11 = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
	encRSA15     = nsXMLEnc + "rsa-1_5"
)

// ErrDecrypt is wrapped by decryptAssertions when an EncryptedAssertion
// cannot be decrypted with any of the provider's private keys.
var ErrDecrypt = errors.New("cannot decrypt EncryptedAssertion")

// decryptAssertions replaces each saml:EncryptedAssertion child of the
// Response root with the Assertion it holds, decrypted with the first of keys
// that works, and reports whether there was one. A Response signature covers
// the ciphertext, so callers verify it before the swap (see
// verifiedEncryptedResponse); otherwise the decrypted Assertion is verified
// like a plaintext one. Key transport: RSA-OAEP
// (MGF1-SHA1, SHA-1 or the DigestMethod given) and RSA PKCS#1 v1.5; content:
// AES-CBC and AES-GCM (XML Encryption 1.1 §5.2).
func decryptAssertions(doc *etree.Document, keys []*rsa.PrivateKey) (bool, error) {
	root := doc.Root()
	encs := childrenNS(root, nsAssertion, "EncryptedAssertion")
	if len(encs) == 0 {
		return false, nil
	}
	if len(keys) == 0 {
		return true, ErrEncryptedAssertion
	}
	for _, enc := range encs {
		plain, err := decryptElement(enc, keys)
		if err != nil {
			return true, fmt.Errorf("%w: %w", ErrDecrypt, err)
		}
		// The plaintext goes through the same hardened parser as the
		// response, inside a bare samlp:Response so the parser accepts it.
		plain = bytes.TrimSpace(bytes.TrimPrefix(plain, []byte("\xef\xbb\xbf")))
		if bytes.HasPrefix(plain, []byte("<?xml")) {
			if i := bytes.Index(plain, []byte("?>")); i >= 0 {
				plain = plain[i+2:]
			}
		}
		wrapped := append(append([]byte(`<samlp:Response xmlns:samlp="`+nsProtocol+`">`), plain...), "</samlp:Response>"...)
		adoc, err := parseXML(wrapped)
		if err != nil {
			return true, fmt.Errorf("%w: decrypted content: %w", ErrDecrypt, err)
		}
		kids := adoc.Root().ChildElements()
		if len(kids) != 1 || kids[0].Tag != "Assertion" || kids[0].NamespaceURI() != nsAssertion {
			return true, fmt.Errorf("%w: decrypted content is not one saml:Assertion", ErrDecrypt)
		}
		a := kids[0]
		root.InsertChildAt(enc.Index(), a.Copy())
		root.RemoveChild(enc)
	}
	return true, nil
}

func decryptElement(enc *etree.Element, keys []*rsa.PrivateKey) ([]byte, error) {
	data := childNS(enc, nsXMLEnc, "EncryptedData")
	if data == nil {
		return nil, errors.New("no xenc:EncryptedData")
	}
	var ek *etree.Element
	if ki := childNS(data, nsDSig, "KeyInfo"); ki != nil {
		ek = childNS(ki, nsXMLEnc, "EncryptedKey")
	}
	if ek == nil {
		ek = childNS(enc, nsXMLEnc, "EncryptedKey")
	}
	if ek == nil {
		return nil, errors.New("no xenc:EncryptedKey")
	}
	wrapped, err := cipherValue(ek)
	if err != nil {
		return nil, fmt.Errorf("EncryptedKey: %w", err)
	}
	method := childNS(ek, nsXMLEnc, "EncryptionMethod")
	alg := ""
	if method != nil {
		alg = method.SelectAttrValue("Algorithm", "")
	}
	// Each private key gives a candidate content key; the first that
	// decrypts the content wins (with rsa-1_5 a wrong key yields a random
	// candidate rather than an error, see below).
	var ceks [][]byte
	var errs []error
	for _, k := range keys {
		var cek []byte
		switch alg {
		case encRSAOAEP, encRSAOAEP11:
			h := crypto.SHA1
			if dm := childNS(method, nsDSig, "DigestMethod"); dm != nil {
				switch dm.SelectAttrValue("Algorithm", "") {
				case "http://www.w3.org/2001/04/xmlenc#sha256":
					h = crypto.SHA256
				case "http://www.w3.org/2001/04/xmlenc#sha512":
					h = crypto.SHA512
				}
			}
			// MGF1 is always SHA-1 here (XML Encryption §5.4.2; the 1.1
			// default); the digest may differ.
			cek, err = k.Decrypt(nil, wrapped, &rsa.OAEPOptions{Hash: h, MGFHash: crypto.SHA1})
		case encRSA15:
			// RSA PKCS #1 v1.5 key transport is still what some IdPs send.
			// DecryptPKCS1v15SessionKey with a random key of the content
			// cipher's size answers a bad padding with that random key
			// instead of an error, so the outcome (a failed content
			// decryption either way) is no padding oracle (Bleichenbacher).
			size := contentKeySize(data)
			if size == 0 {
				return nil, errors.New("rsa-1_5 key transport needs a known content encryption algorithm")
			}
			cek = make([]byte, size)
			if _, err := rand.Read(cek); err != nil {
				return nil, err
			}
			//lint:ignore SA1019 rsa-1_5 is part of XML Encryption and still sent by IdPs; the session-key form above is the oracle-free way to read it.
			err = rsa.DecryptPKCS1v15SessionKey(nil, k, wrapped, cek)
		default:
			return nil, fmt.Errorf("key transport %q is not supported", alg)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ceks = append(ceks, cek)
	}
	if len(ceks) == 0 {
		return nil, fmt.Errorf("no private key unwraps the content key: %w", errors.Join(errs...))
	}
	var lastErr error
	for _, cek := range ceks {
		plain, err := decryptContent(data, cek)
		if err == nil {
			return plain, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// decryptContent decrypts the EncryptedData's CipherValue with cek.
func decryptContent(data *etree.Element, cek []byte) ([]byte, error) {
	ct, err := cipherValue(data)
	if err != nil {
		return nil, fmt.Errorf("EncryptedData: %w", err)
	}
	dm := childNS(data, nsXMLEnc, "EncryptionMethod")
	if dm == nil {
		return nil, errors.New("EncryptedData has no EncryptionMethod")
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("content key: %w", err)
	}
	switch alg := dm.SelectAttrValue("Algorithm", ""); alg {
	case encAES128CBC, encAES192CBC, encAES256CBC:
		bs := block.BlockSize()
		if len(ct) < 2*bs || len(ct)%bs != 0 {
			return nil, errors.New("AES-CBC ciphertext has a bad length")
		}
		out := make([]byte, len(ct)-bs)
		cipher.NewCBCDecrypter(block, ct[:bs]).CryptBlocks(out, ct[bs:])
		pad := int(out[len(out)-1])
		if pad < 1 || pad > bs {
			return nil, errors.New("AES-CBC padding is invalid")
		}
		return out[:len(out)-pad], nil
	case encAES128GCM, encAES192GCM, encAES256GCM:
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		if len(ct) < aead.NonceSize()+aead.Overhead() {
			return nil, errors.New("AES-GCM ciphertext is too short")
		}
		return aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], nil)
	default:
		return nil, fmt.Errorf("content encryption %q is not supported", alg)
	}
}

// contentKeySize is the key length, in bytes, of the EncryptedData's content
// cipher, or 0 when the algorithm is missing or unknown.
func contentKeySize(data *etree.Element) int {
	dm := childNS(data, nsXMLEnc, "EncryptionMethod")
	if dm == nil {
		return 0
	}
	switch dm.SelectAttrValue("Algorithm", "") {
	case encAES128CBC, encAES128GCM:
		return 16
	case encAES192CBC, encAES192GCM:
		return 24
	case encAES256CBC, encAES256GCM:
		return 32
	}
	return 0
}

func cipherValue(el *etree.Element) ([]byte, error) {
	cd := childNS(el, nsXMLEnc, "CipherData")
	if cd == nil {
		return nil, errors.New("no CipherData")
	}
	v := childNS(cd, nsXMLEnc, "CipherValue")
	if v == nil {
		return nil, errors.New("no CipherValue")
	}
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(rawText(v)), ""))
}
