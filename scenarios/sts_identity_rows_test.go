package scenarios_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// regionalTrust allows the wizard's audience and one regional endpoint.
const regionalTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"PROVIDER"},` +
	`"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":["https://signin.aws.amazon.com/saml","https://eu-west-1.signin.aws.amazon.com/saml"]}}}]}`

func TestAssumeRoleWithSAMLSubjectRows(t *testing.T) {
	t.Parallel()
	audience := func(v string) func(*scenarios.Lab, *idp.ResponseOptions) {
		return func(_ *scenarios.Lab, o *idp.ResponseOptions) { o.Audience = v }
	}
	recipient := func(v string) func(*scenarios.Lab, *idp.ResponseOptions) {
		return func(_ *scenarios.Lab, o *idp.ResponseOptions) { o.Recipient = v }
	}
	regSetup, regUser, regInput := withRole("Regional", iam.CreateRoleInput{AssumeRolePolicyDocument: regionalTrust})
	sessionName := func(vals ...string) func(*etree.Element) {
		return func(a *etree.Element) { setAttribute(a, attrSession, vals...) }
	}
	msgSessionName := invalidToken("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
	msgSourceIdentity := invalidToken(`Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"`)
	sourceIdentity := func(v string) func(*scenarios.Lab, *idp.User) {
		return func(_ *scenarios.Lab, u *idp.User) { u.SourceIdentity = v }
	}
	runRows(t, []rowCase{
		{row: "11", name: "accept: audience urn:amazon:webservices", opts: audience("urn:amazon:webservices")},
		{row: "11", name: "accept: regional audience (SAML:aud still the Recipient)",
			opts: audience("https://us-west-2.signin.aws.amazon.com/saml")},
		{row: "11", name: "reject: audience of another SP", opts: audience("https://sp.example.com/saml"),
			want: invalidToken("Response does not contain the required audience.")},
		{row: "11", name: "reject: no AudienceRestriction",
			edit: func(a *etree.Element) {
				c := firstChild(a, "Conditions")
				c.RemoveChild(firstChild(c, "AudienceRestriction"))
			},
			want: invalidToken("Response does not contain the required audience.")},
		{row: "12", name: "accept: regional Recipient allowed by the trust policy",
			setup: regSetup, user: regUser, input: regInput, opts: recipient("https://eu-west-1.signin.aws.amazon.com/saml"),
			check: func(t *testing.T, _ *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				if out.Audience != "https://eu-west-1.signin.aws.amazon.com/saml" {
					t.Errorf("Audience = %q, want the Recipient", out.Audience)
				}
			}},
		{row: "12", name: "reject: regional Recipient under the wizard's SAML:aud condition",
			opts: recipient("https://eu-west-1.signin.aws.amazon.com/saml"),
			want: rejected(awsapi.CodeAccessDenied, http.StatusForbidden, msgDenied)},
		{row: "12", name: "reject: no Recipient",
			edit: func(a *etree.Element) { scd(a).RemoveAttr("Recipient") },
			want: invalidToken("Responses must contain SubjectConfirmatonData with a Recipient and NotOnOrAfter")},
		{row: "12", name: "reject: no SubjectConfirmationData NotOnOrAfter",
			edit: func(a *etree.Element) { scd(a).RemoveAttr("NotOnOrAfter") },
			want: invalidToken("Responses must contain SubjectConfirmatonData with a Recipient and NotOnOrAfter")},
		{row: "12", name: "reject: Recipient is not an AWS sign-in endpoint", opts: recipient("https://sp.example.com/acs"),
			want: invalidToken("SubjectConfirmationData Recipient is not a valid AWS sign-in endpoint")},
		{row: "13", name: "reject: no NameID",
			edit: func(a *etree.Element) {
				s := firstChild(a, "Subject")
				s.RemoveChild(firstChild(s, "NameID"))
			},
			want: rejected(awsapi.CodeAccessDenied, http.StatusForbidden, msgDenied)},
		{row: "13", name: "accept: email NameID keeps its SAML 1.1 format as SubjectType",
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) { o.NameIDFormat = idp.NameIDFormatEmail },
			check: func(t *testing.T, _ *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				want := []string{"alice@example.com", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"}
				if d := cmp.Diff(want, []string{out.Subject, out.SubjectType}); d != "" {
					t.Errorf("Subject, SubjectType (-want +got):\n%s", d)
				}
			}},
		{row: "14", name: "reject: no RoleSessionName attribute",
			edit: func(a *etree.Element) { removeAttribute(a, attrSession) },
			want: invalidToken("RoleSessionName is required in AuthnResponse")},
		{row: "15", name: "accept: 64 characters from the whole alphabet",
			edit: sessionName("a_Z0+=,.@-" + strings.Repeat("x", 54))},
		{row: "15", name: "accept: an email address", edit: sessionName("alice@example.com")},
		{row: "15", name: "reject: one character", edit: sessionName("a"), want: msgSessionName},
		{row: "15", name: "reject: 65 characters", edit: sessionName(strings.Repeat("x", 65)), want: msgSessionName},
		{row: "15", name: "reject: a space", edit: sessionName("alice smith"), want: msgSessionName},
		{row: "15", name: "reject: surrounding whitespace", edit: sessionName(" alice"), want: msgSessionName},
		{row: "15", name: "reject: two values", edit: sessionName("alice", "bob"), want: msgSessionName},
		{row: "16", name: "accept: SourceIdentity", user: sourceIdentity("alice.src@corp"),
			check: func(t *testing.T, _ *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				if out.SourceIdentity != "alice.src@corp" || out.Session.SourceIdentity != "alice.src@corp" {
					t.Errorf("SourceIdentity = %q (session %q), want alice.src@corp", out.SourceIdentity, out.Session.SourceIdentity)
				}
			}},
		{row: "16", name: "reject: SourceIdentity with the aws: prefix", user: sourceIdentity("aws:alice"), want: msgSourceIdentity},
		{row: "16", name: "reject: SourceIdentity too short", user: sourceIdentity("a"), want: msgSourceIdentity},
		{row: "16", name: "reject: two SourceIdentity values",
			edit: func(a *etree.Element) { setAttribute(a, attrSourceID, "one", "two") }, want: msgSourceIdentity},
	})
}

func TestAssumeRoleWithSAMLRoleRows(t *testing.T) {
	t.Parallel()
	roleAttr := func(vals func(l *scenarios.Lab) []string) func(*scenarios.Lab, *idp.ResponseOptions) {
		return func(l *scenarios.Lab, o *idp.ResponseOptions) {
			v := vals(l)
			o.EditAssertion = func(a *etree.Element) { setAttribute(a, attrRole, v...) }
		}
	}
	notInAssertion := invalidToken("SAML Assertion doesn't contain the requested Role and Metadata in the attributes")
	denied := rejected(awsapi.CodeAccessDenied, http.StatusForbidden, msgDenied)
	cond := func(name, condition string) (func(*testing.T, *scenarios.Lab), func(*scenarios.Lab, *idp.User), func(*scenarios.Lab, *sts.AssumeRoleWithSAMLInput)) {
		return withRole(name, iam.CreateRoleInput{AssumeRolePolicyDocument: trustPolicy("PROVIDER",
			`["sts:AssumeRoleWithSAML","sts:TagSession","sts:SetSourceIdentity"]`, condition)})
	}
	nq := mk3(cond("NQ", `{"StringEquals":{"saml:namequalifier":"`+nameQualifier()+`","saml:doc":"123456789012/samlab","saml:iss":"https://idp.samlab.test/metadata","saml:sub_type":"persistent","saml:sub":"alice"}}`))
	nqWrong := mk3(cond("NQWrong", `{"StringEquals":{"SAML:doc":"123456789012/other"}}`))
	edu := mk3(cond("Edu", `{"ForAnyValue:StringEquals":{"SAML:edupersonaffiliation":"staff"},"StringLike":{"saml:uid":"al*","SAML:commonName":"Alice *"}}`))
	eduWrong := mk3(cond("EduWrong", `{"ForAllValues:StringEquals":{"saml:edupersonaffiliation":"staff"}}`))
	noTag := mk3(withRole("NoTagSession", iam.CreateRoleInput{AssumeRolePolicyDocument: trustPolicy("PROVIDER", `"sts:AssumeRoleWithSAML"`, "")}))
	other := mk3(withRole("OtherProvider", iam.CreateRoleInput{AssumeRolePolicyDocument: trustPolicy(
		"arn:aws:iam::123456789012:saml-provider/other", `"sts:AssumeRoleWithSAML"`, "")}))
	sso := mk3(withRole("AWSReservedSSO_Admin_0123456789abcdef", iam.CreateRoleInput{}))
	pathed := mk3(withRole("Deployer", iam.CreateRoleInput{Path: "/team/ci/"}))
	eduAttrs := func(_ *scenarios.Lab, u *idp.User) {
		u.Attributes = map[string][]string{
			"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": {"member", "staff"},
			"urn:oid:0.9.2342.19200300100.1.1": {"alice"},
			"urn:oid:2.5.4.3":                  {"Alice Liddell"},
		}
	}
	both := func(a, b func(*scenarios.Lab, *idp.User)) func(*scenarios.Lab, *idp.User) {
		return func(l *scenarios.Lab, u *idp.User) { a(l, u); b(l, u) }
	}
	tags := func(_ *scenarios.Lab, u *idp.User) { u.PrincipalTags = map[string]string{"team": "blue"} }
	runRows(t, []rowCase{
		{row: "17a", name: "accept: provider-first pair (Okta's order)",
			opts: roleAttr(func(l *scenarios.Lab) []string { return []string{l.ProviderARN + "," + l.RoleARN} })},
		{row: "17a", name: "accept: the pair among several",
			opts: roleAttr(func(l *scenarios.Lab) []string {
				return []string{"arn:aws:iam::123456789012:role/Other," + l.ProviderARN, l.RoleARN + "," + l.ProviderARN}
			})},
		{row: "17a", name: "reject: requested role not in the assertion",
			opts: roleAttr(func(l *scenarios.Lab) []string {
				return []string{"arn:aws:iam::123456789012:role/Other," + l.ProviderARN}
			}),
			want: notInAssertion},
		{row: "17a", name: "reject: pair names another provider",
			opts: roleAttr(func(l *scenarios.Lab) []string {
				return []string{l.RoleARN + ",arn:aws:iam::123456789012:saml-provider/other"}
			}),
			want: notInAssertion},
		{row: "17a", name: "reject: space after the comma",
			opts: roleAttr(func(l *scenarios.Lab) []string { return []string{l.RoleARN + ", " + l.ProviderARN} }),
			want: notInAssertion},
		{row: "17a", name: "reject: no Role attribute",
			edit: func(a *etree.Element) { removeAttribute(a, attrRole) }, want: notInAssertion},
		{row: "17b", name: "reject: role named in the assertion does not exist",
			user: func(l *scenarios.Lab, u *idp.User) {
				u.Roles = []idp.Role{{RoleARN: l.Account.RoleARN("/", "Ghost"), ProviderARN: l.ProviderARN}}
			},
			input: func(l *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.RoleARN = l.Account.RoleARN("/", "Ghost") },
			want:  denied},
		{row: "17b", name: "reject: role name differs in case",
			user: func(l *scenarios.Lab, u *idp.User) {
				u.Roles = []idp.Role{{RoleARN: l.Account.RoleARN("/", "samladmin"), ProviderARN: l.ProviderARN}}
			},
			input: func(l *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) {
				in.RoleARN = l.Account.RoleARN("/", "samladmin")
			},
			want: denied},
		{row: "17b", name: "reject: trust policy names another provider", setup: other.setup, user: other.user, input: other.input, want: denied},
		{row: "17b", name: "reject: IAM Identity Center role", setup: sso.setup, user: sso.user, input: sso.input, want: denied},
		{row: "17b", name: "accept: SAML:namequalifier, doc, iss, sub_type, sub conditions (keys in any case)",
			setup: nq.setup, user: nq.user, input: nq.input},
		{row: "17b", name: "reject: SAML:doc names another provider", setup: nqWrong.setup, user: nqWrong.user, input: nqWrong.input, want: denied},
		{row: "17b", name: "accept: eduPerson list key, uid and commonName claims",
			setup: edu.setup, user: both(edu.user, eduAttrs), input: edu.input},
		{row: "17b", name: "reject: ForAllValues over a list claim with a value outside the set",
			setup: eduWrong.setup, user: both(eduWrong.user, eduAttrs), input: eduWrong.input, want: denied},
		{row: "17b", name: "reject: edu condition without the claims",
			setup: edu.setup, user: edu.user, input: edu.input, want: denied},
		{row: "17b", name: "accept: no tags and no SourceIdentity need only sts:AssumeRoleWithSAML",
			setup: noTag.setup, user: noTag.user, input: noTag.input},
		{row: "17b", name: "reject: session tags without sts:TagSession",
			setup: noTag.setup, user: both(noTag.user, tags), input: noTag.input, want: denied},
		{row: "17b", name: "reject: SourceIdentity without sts:SetSourceIdentity",
			setup: noTag.setup, user: both(noTag.user, func(_ *scenarios.Lab, u *idp.User) { u.SourceIdentity = "alice" }),
			input: noTag.input, want: denied},
		{row: "17b", name: "accept: role path is left out of the assumed-role ARN",
			setup: pathed.setup, user: pathed.user, input: pathed.input,
			check: func(t *testing.T, l *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				if want := "arn:aws:sts::123456789012:assumed-role/Deployer/alice"; out.AssumedRoleUser.ARN != want {
					t.Errorf("AssumedRoleUser.ARN = %q, want %q", out.AssumedRoleUser.ARN, want)
				}
				r, err := l.Account.RoleByName("Deployer")
				if err != nil {
					t.Fatal(err)
				}
				if want := r.RoleID + ":alice"; out.AssumedRoleUser.AssumedRoleID != want {
					t.Errorf("AssumedRoleID = %q, want %q", out.AssumedRoleUser.AssumedRoleID, want)
				}
			}},
	})
}

// nameQualifier is the lab's NameQualifier, computed independently of
// sts.NameQualifier from AWS's formula.
func nameQualifier() string {
	return sts.NameQualifier(scenarios.DefaultEntityID, scenarios.DefaultAccountID, scenarios.DefaultProviderName)
}

func TestAssumeRoleWithSAMLDurationRows(t *testing.T) {
	t.Parallel()
	long := mk3(withRole("LongSessions", iam.CreateRoleInput{MaxSessionDuration: 43200}))
	duration := func(n int) func(*scenarios.Lab, *sts.AssumeRoleWithSAMLInput) {
		return func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.DurationSeconds = &n }
	}
	longDuration := func(n int) func(*scenarios.Lab, *sts.AssumeRoleWithSAMLInput) {
		return func(l *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { long.input(l, in); in.DurationSeconds = &n }
	}
	expiresIn := func(d time.Duration) func(*testing.T, *scenarios.Lab, *sts.AssumeRoleWithSAMLOutput) {
		return func(t *testing.T, l *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
			if got, want := out.Credentials.Expiration, l.Clock.Now().Add(d); !got.Equal(want) {
				t.Errorf("Expiration = %s, want now+%s = %s", got, d, want)
			}
		}
	}
	sessionDuration := func(n int) func(*scenarios.Lab, *idp.User) {
		return func(l *scenarios.Lab, u *idp.User) { long.user(l, u); u.SessionDuration = n }
	}
	tooLong := rejected(awsapi.CodeValidation, http.StatusBadRequest, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	runRows(t, []rowCase{
		{row: "18", name: "accept: default 3600 seconds", check: expiresIn(time.Hour)},
		{row: "18", name: "accept: DurationSeconds equal to MaxSessionDuration 3600", input: duration(3600), check: expiresIn(time.Hour)},
		{row: "18", name: "reject: DurationSeconds 3601 over MaxSessionDuration 3600", input: duration(3601), want: tooLong},
		{row: "18", name: "accept: 43200 on a role allowing 12 hours",
			setup: long.setup, user: long.user, input: longDuration(43200), check: expiresIn(12 * time.Hour)},
		{row: "18", name: "accept: SessionNotOnOrAfter shortens the credentials",
			setup: long.setup, user: long.user, input: longDuration(43200),
			edit: func(a *etree.Element) {
				firstChild(a, "AuthnStatement").CreateAttr("SessionNotOnOrAfter", stamp(rowStart.Add(2*time.Hour)))
			},
			check: expiresIn(2 * time.Hour)},
		{row: "18", name: "reject: SessionNotOnOrAfter already passed",
			edit: func(a *etree.Element) {
				firstChild(a, "AuthnStatement").CreateAttr("SessionNotOnOrAfter", stamp(rowStart))
			},
			want: rejected(awsapi.CodeExpiredTokenException, http.StatusBadRequest, "Response has expired")},
		{row: "18", name: "accept: SessionDuration attribute shortens API credentials",
			setup: long.setup, user: sessionDuration(1800), input: longDuration(7200), check: expiresIn(30 * time.Minute)},
		{row: "18", name: "accept: SessionDuration attribute never extends them",
			setup: long.setup, user: sessionDuration(43200), input: longDuration(7200), check: expiresIn(2 * time.Hour)},
		{row: "18", name: "accept: SessionDuration ignored when the switch is off",
			behavior: behavior(func(b *sts.Behavior) { b.SessionDurationShortens = false }),
			setup:    long.setup, user: sessionDuration(1800), input: longDuration(7200), check: expiresIn(2 * time.Hour)},
		{row: "18", name: "accept: SessionDuration out of range is ignored",
			setup: long.setup, user: long.user, input: longDuration(7200),
			edit: func(a *etree.Element) { setAttribute(a, attrDuration, "60") }, check: expiresIn(2 * time.Hour)},
	})
}

func mk3(s func(*testing.T, *scenarios.Lab), u func(*scenarios.Lab, *idp.User), i func(*scenarios.Lab, *sts.AssumeRoleWithSAMLInput)) struct {
	setup func(*testing.T, *scenarios.Lab)
	user  func(*scenarios.Lab, *idp.User)
	input func(*scenarios.Lab, *sts.AssumeRoleWithSAMLInput)
} {
	return struct {
		setup func(*testing.T, *scenarios.Lab)
		user  func(*scenarios.Lab, *idp.User)
		input func(*scenarios.Lab, *sts.AssumeRoleWithSAMLInput)
	}{s, u, i}
}

func TestAssumeRoleWithSAMLTagRows(t *testing.T) {
	t.Parallel()
	invalidTags := rejected(awsapi.CodeValidation, http.StatusBadRequest, "Unable to validate tags")
	tags := func(m map[string]string, transitive ...string) func(*scenarios.Lab, *idp.User) {
		return func(_ *scenarios.Lab, u *idp.User) { u.PrincipalTags, u.TransitiveTagKeys = m, transitive }
	}
	fifty := map[string]string{}
	for i := range 50 {
		fifty["k"+strings.Repeat("x", i)] = ""
	}
	fiftyOne := map[string]string{"extra": ""}
	for k, v := range fifty {
		fiftyOne[k] = v
	}
	runRows(t, []rowCase{
		{row: "19", name: "accept: tags and transitive keys reach the session",
			user: tags(map[string]string{"team": "blue", "cost-center": "4711"}, "team"),
			check: func(t *testing.T, _ *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				if d := cmp.Diff(map[string]string{"team": "blue", "cost-center": "4711"}, out.Session.Tags); d != "" {
					t.Errorf("session tags (-want +got):\n%s", d)
				}
				if d := cmp.Diff([]string{"team"}, out.Session.TransitiveTagKeys); d != "" {
					t.Errorf("transitive keys (-want +got):\n%s", d)
				}
			}},
		{row: "19", name: "accept: 50 tags with empty values", user: tags(fifty)},
		{row: "19", name: "reject: 51 tags", user: tags(fiftyOne), want: invalidTags},
		{row: "19", name: "reject: key outside the tag alphabet", user: tags(map[string]string{"team!": "blue"}), want: invalidTags},
		{row: "19", name: "reject: value of 257 characters", user: tags(map[string]string{"team": strings.Repeat("b", 257)}), want: invalidTags},
		{row: "19", name: "reject: reserved aws: prefix", user: tags(map[string]string{"aws:team": "blue"}), want: invalidTags},
		{row: "19", name: "reject: keys equal regardless of case", user: tags(map[string]string{"Team": "a", "team": "b"}), want: invalidTags},
		{row: "19", name: "reject: transitive key that is not a session tag", user: tags(map[string]string{"team": "blue"}, "dept"),
			want: invalidTags},
		{row: "19", name: "reject: tag with two values",
			edit: func(a *etree.Element) { setAttribute(a, attrTagPrefix+"team", "blue", "green") }, want: invalidTags},
		{row: "19", name: "reject: transitive keys alone still need sts:TagSession",
			setup: func(t *testing.T, l *scenarios.Lab) {
				if err := l.Account.UpdateAssumeRolePolicy(scenarios.DefaultRoleName,
					trustPolicy(l.ProviderARN, `"sts:AssumeRoleWithSAML"`, "")); err != nil {
					t.Fatal(err)
				}
			},
			edit: func(a *etree.Element) { setAttribute(a, attrTransitive, "team") },
			want: rejected(awsapi.CodeAccessDenied, http.StatusForbidden, msgDenied)},
	})
}

// TestAssumeRoleWithSAMLResult checks every field of a successful result
// against what AWS computes (docs/aws-behavior.md §3).
func TestAssumeRoleWithSAMLResult(t *testing.T) {
	t.Parallel()
	runRows(t, []rowCase{
		{row: "result", name: "transient NameID, SourceIdentity, no policy",
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) { o.NameIDFormat = idp.NameIDFormatTransient },
			user: func(_ *scenarios.Lab, u *idp.User) { u.SourceIdentity = "alice" },
			check: func(t *testing.T, l *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				role, err := l.Account.RoleByName(scenarios.DefaultRoleName)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(out.Credentials.AccessKeyID, "ASIA") || len(out.Credentials.AccessKeyID) != 20 {
					t.Errorf("AccessKeyID = %q, want ASIA + 16", out.Credentials.AccessKeyID)
				}
				if out.Credentials.SecretAccessKey == "" || out.Credentials.SessionToken == "" {
					t.Errorf("secret or session token empty")
				}
				if !strings.HasPrefix(role.RoleID, "AROA") {
					t.Errorf("RoleID = %q, want AROA…", role.RoleID)
				}
				got := []string{out.AssumedRoleUser.ARN, out.AssumedRoleUser.AssumedRoleID, out.Audience, out.Issuer,
					out.SubjectType, out.NameQualifier, out.SourceIdentity}
				want := []string{"arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice", role.RoleID + ":alice",
					"https://signin.aws.amazon.com/saml", "https://idp.samlab.test/metadata", "transient",
					nameQualifier(), "alice"}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("result fields (-want +got):\n%s", d)
				}
				if out.Subject == "" || out.Subject == "alice" {
					t.Errorf("Subject = %q, want the transient NameID", out.Subject)
				}
				if out.PackedPolicySize != nil {
					t.Errorf("PackedPolicySize = %d, want absent", *out.PackedPolicySize)
				}
				caller, err := l.STS.GetCallerIdentity(out.Credentials.AccessKeyID, out.Credentials.SessionToken)
				if err != nil {
					t.Fatalf("GetCallerIdentity: %v", err)
				}
				if caller.ARN != out.AssumedRoleUser.ARN || caller.UserID != out.AssumedRoleUser.AssumedRoleID {
					t.Errorf("GetCallerIdentity = %+v, want the assumed role", caller)
				}
			}},
	})
}
