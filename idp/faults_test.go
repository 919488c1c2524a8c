package idp

import (
	"bytes"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// signatureValid reports whether the Assertion's signature verifies with one
// of the certificates.
func signatureValid(t *testing.T, doc []byte, roots []*x509.Certificate) bool {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	a := descendants(d.Root(), "Assertion")
	if len(a) != 1 {
		t.Fatalf("%d assertions", len(a))
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: roots})
	_, err := ctx.Validate(a[0])
	return err == nil
}

func TestFaults(t *testing.T) {
	t.Parallel()
	type check func(t *testing.T, r *saml.Response, sigOK bool)
	attrCount := func(r *saml.Response, name string) int {
		n := 0
		for _, at := range r.Assertion.AttributeStatements[0].Attributes {
			if at.Name == name {
				n++
			}
		}
		return n
	}
	now := testClock
	tests := map[Fault]check{
		FaultNone: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok {
				t.Error("correct response does not verify")
			}
		},
		FaultTamper: func(t *testing.T, r *saml.Response, ok bool) {
			if ok || attrValues(r.Assertion, AttrRoleSessionName)[0] != "alice-tampered" {
				t.Errorf("tamper: signature valid %v, RoleSessionName %q", ok, attrValues(r.Assertion, AttrRoleSessionName))
			}
		},
		FaultForeignKey: func(t *testing.T, r *saml.Response, ok bool) {
			if ok {
				t.Error("foreign-key verifies with the published certificate")
			}
		},
		FaultStaleKey: func(t *testing.T, r *saml.Response, ok bool) {
			if ok {
				t.Error("stale-key verifies with the published certificate")
			}
		},
		FaultNoSignature: func(t *testing.T, r *saml.Response, ok bool) {
			if r.Signature != nil || r.Assertion.Signature != nil {
				t.Error("no-signature response carries a signature")
			}
		},
		FaultWrongIssuer: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok || r.Issuer.Value != FaultIssuer || r.Assertion.Issuer.Value != FaultIssuer {
				t.Errorf("wrong-issuer: valid %v, issuers %q %q", ok, r.Issuer.Value, r.Assertion.Issuer.Value)
			}
		},
		FaultWrongAudience: func(t *testing.T, r *saml.Response, ok bool) {
			if got := r.Assertion.Conditions.AudienceRestrictions[0].Audience.Value; !ok || got != FaultAudience {
				t.Errorf("wrong-audience: valid %v, audience %q", ok, got)
			}
		},
		FaultWrongRecipient: func(t *testing.T, r *saml.Response, ok bool) {
			if got := r.Assertion.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient; !ok || got != FaultRecipient {
				t.Errorf("wrong-recipient: valid %v, recipient %q", ok, got)
			}
		},
		FaultMissingRecipient: func(t *testing.T, r *saml.Response, ok bool) {
			if got := r.Assertion.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient; !ok || got != "" {
				t.Errorf("missing-recipient: valid %v, recipient %q", ok, got)
			}
		},
		FaultClockSkew: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok || !r.Assertion.Conditions.NotBefore.Equal(now.Add(FaultSkew)) || !r.IssueInstant.Equal(now.Add(FaultSkew)) {
				t.Errorf("clock-skew: valid %v, NotBefore %s IssueInstant %s", ok, r.Assertion.Conditions.NotBefore, r.IssueInstant)
			}
		},
		FaultExpired: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok || !r.Assertion.Conditions.NotOnOrAfter.Before(now) {
				t.Errorf("expired: valid %v, NotOnOrAfter %s", ok, r.Assertion.Conditions.NotOnOrAfter)
			}
		},
		FaultNotYetValid: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok || !r.Assertion.Conditions.NotBefore.Equal(now.Add(FaultSkew)) || !r.IssueInstant.Equal(now) {
				t.Errorf("not-yet-valid: valid %v, NotBefore %s IssueInstant %s", ok, r.Assertion.Conditions.NotBefore, r.IssueInstant)
			}
		},
		FaultMissingRoleSessionName: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok || attrCount(r, AttrRoleSessionName) != 0 || attrCount(r, AttrRole) != 1 {
				t.Errorf("missing-role-session-name: valid %v", ok)
			}
		},
		FaultMalformedRoleSessionName: func(t *testing.T, r *saml.Response, ok bool) {
			if got := attrValues(r.Assertion, AttrRoleSessionName); !ok || len(got) != 1 || got[0] != FaultRoleSessionName {
				t.Errorf("malformed-role-session-name: valid %v, %q", ok, got)
			}
		},
		FaultMissingRole: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok || attrCount(r, AttrRole) != 0 || attrCount(r, AttrRoleSessionName) != 1 {
				t.Errorf("missing-role: valid %v", ok)
			}
		},
		FaultMalformedRole: func(t *testing.T, r *saml.Response, ok bool) {
			if got := attrValues(r.Assertion, AttrRole); !ok || len(got) != 1 || got[0] != FaultRoleValue {
				t.Errorf("malformed-role: valid %v, %q", ok, got)
			}
		},
		FaultDuplicateAttributes: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok || attrCount(r, AttrRoleSessionName) != 2 {
				t.Errorf("duplicate-attributes: valid %v, %d RoleSessionName attributes", ok, attrCount(r, AttrRoleSessionName))
			}
		},
		FaultMissingNameID: func(t *testing.T, r *saml.Response, ok bool) {
			if !ok || r.Assertion.Subject.NameID != nil {
				t.Errorf("missing-name-id: valid %v, NameID %v", ok, r.Assertion.Subject.NameID)
			}
		},
	}
	for f := range Faults() {
		if _, ok := tests[f]; !ok {
			t.Errorf("fault %q has no test", f)
		}
	}
	for f, check := range tests {
		t.Run(string(f)+"_", func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, func(c *Config) { c.Now = func() time.Time { return now } })
			if _, err := s.Rotate(); err != nil {
				t.Fatal(err)
			}
			if _, err := ParseFault(string(f)); err != nil {
				t.Fatalf("ParseFault(%q) = %v", f, err)
			}
			resp, err := s.FaultyResponse(demoUser(t, "alice"), ResponseOptions{}, f)
			if err != nil {
				t.Fatalf("FaultyResponse(%q) = %v", f, err)
			}
			var r saml.Response
			if err := xml.Unmarshal(resp.XML, &r); err != nil {
				t.Fatal(err)
			}
			ok := r.Assertion.Signature != nil && signatureValid(t, resp.XML, s.PublishedCerts())
			check(t, &r, ok)
		})
	}
}

func TestFaultErrors(t *testing.T) {
	t.Parallel()
	if _, err := ParseFault("no-such-fault"); !errors.Is(err, ErrUnknownFault) {
		t.Errorf("ParseFault(no-such-fault) = %v, want ErrUnknownFault", err)
	}
	s := newTestServer(t, nil)
	if _, err := s.FaultyResponse(demoUser(t, "alice"), ResponseOptions{}, FaultStaleKey); !errors.Is(err, ErrNoPreviousKey) {
		t.Errorf("stale-key before any rotation = %v, want ErrNoPreviousKey", err)
	}
}

// TestFaultsDocumented keeps docs/idp.md's fault list complete.
func TestFaultsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/idp.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range FaultNames() {
		if !bytes.Contains(doc, []byte("`"+n+"`")) {
			t.Errorf("fault %q is not listed in docs/idp.md", n)
		}
	}
}
