//lint:file-ignore SA1019 STS still sends PackedPolicySize, which the SDK marks deprecated; the mock's value is what is checked.

package scenarios_test

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 6238's default TOTP hash, as AWS virtual MFA devices use
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/policy"
	"github.com/samlab-dev/samlab/sp/sts"
)

const (
	acct     = scenarios.DefaultAccountID
	adminARN = "arn:aws:iam::" + acct + ":user/" + scenarios.AdminUserName
)

// totpDevice is a test double of an IAM virtual MFA device: it holds a real
// TOTP secret and checks codes with RFC 6238 (HMAC-SHA1, 30-second steps, 6
// digits, one step of drift each way), refusing a code used twice, as AWS
// does.
type totpDevice struct {
	user, serial string
	secret       []byte

	mu   sync.Mutex
	used map[string]bool
}

func totp(secret []byte, t time.Time) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000)
}

func (d *totpDevice) VerifyTOTP(userARN, serial, code string, now time.Time) (device, valid bool) {
	if userARN != d.user || serial != d.serial {
		return false, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, step := range []time.Duration{0, -30 * time.Second, 30 * time.Second} {
		if hmac.Equal([]byte(totp(d.secret, now.Add(step))), []byte(code)) {
			if d.used[code] {
				return true, false
			}
			d.used[code] = true
			return true, true
		}
	}
	return true, false
}

// fedLab is a lab served over HTTP with an MFA device for the admin user.
type fedLab struct {
	*awsLab
	mfa *totpDevice
}

func newFedLab(t *testing.T, users sts.UserPolicies) *fedLab {
	t.Helper()
	dev := &totpDevice{user: adminARN, serial: "arn:aws:iam::" + acct + ":mfa/admin-phone",
		secret: []byte("12345678901234567890"), used: map[string]bool{}}
	cfg := labConfig()
	cfg.MFA, cfg.UserPolicies = dev, users
	return &fedLab{awsLab: newRegisteredLab(t, cfg), mfa: dev}
}

func (l *fedLab) sts(c aws.Credentials) *stssdk.Client {
	return l.stsClient(credentials.StaticCredentialsProvider{Value: c})
}

func (l *fedLab) adminKey() aws.Credentials {
	return aws.Credentials{AccessKeyID: l.admin.AccessKeyID, SecretAccessKey: l.admin.SecretAccessKey}
}

func (l *fedLab) createRole(t *testing.T, name, trust string, maxSession int32) string {
	t.Helper()
	out, err := l.iamClient(l.adminCreds()).CreateRole(t.Context(), &iamsdk.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(maxSession)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

func credsOf(c *ststypes.Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken)}
}

// wantAPIError checks an AWS error's code, HTTP status and message exactly.
func wantAPIError(t *testing.T, what string, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %v, want %s %q", what, err, code, msg)
	}
	if ae.ErrorCode() != code || httpStatus(err) != status || ae.ErrorMessage() != msg {
		t.Errorf("%s:\n got %s %d %q\nwant %s %d %q", what, ae.ErrorCode(), httpStatus(err), ae.ErrorMessage(), code, status, msg)
	}
}

func trustDoc(principal, actions, condition string) string {
	if condition != "" {
		condition = `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + actions + condition + `}]}`
}

// TestSDKAssumeRole drives AssumeRole with the AWS SDK for Go v2 over HTTP:
// a trust policy naming the IAM user, ExternalId, MFA, DurationSeconds and
// MaxSessionDuration, role chaining and its one-hour cap, SourceIdentity and
// transitive tags carried along the chain, session policies and
// PackedPolicySize, and GetCallerIdentity with every credential issued.
func TestSDKAssumeRole(t *testing.T) {
	t.Parallel()
	l := newFedLab(t, nil)
	ctx := t.Context()
	root := "arn:aws:iam::" + acct + ":root"
	byUser := l.createRole(t, "ByUser", trustDoc(adminARN, `["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]`, ""), 7200)
	extRole := l.createRole(t, "ExternalIdRole", trustDoc(root, `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"unique-id-1234"}}`), 3600)
	mfaRole := l.createRole(t, "MFARole", trustDoc(root, `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 3600)
	chained := l.createRole(t, "Chained", trustDoc(byUser, `"sts:AssumeRole"`, ""), 43200)
	admin := l.sts(l.adminKey())

	// A trust policy naming the user; tags, source identity, a session policy.
	now := l.lab.Clock.Now()
	out, err := admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(byUser), RoleSessionName: aws.String("s1"),
		DurationSeconds: aws.Int32(7200), SourceIdentity: aws.String("alice"),
		Tags:              []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}, {Key: aws.String("cost"), Value: aws.String("42")}},
		TransitiveTagKeys: []string{"team"},
		Policy:            aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"*"}]}`)})
	if err != nil {
		t.Fatalf("AssumeRole ByUser: %v", err)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::"+acct+":assumed-role/ByUser/s1"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %s, want %s", got, want)
	}
	if !strings.HasPrefix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), "AROA") || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":s1") {
		t.Errorf("AssumedRoleId = %s, want AROA…:s1", aws.ToString(out.AssumedRoleUser.AssumedRoleId))
	}
	if got := out.Credentials.Expiration.Sub(now.Truncate(time.Second)); got != 2*time.Hour {
		t.Errorf("credentials last %s, want 2h", got)
	}
	if aws.ToString(out.SourceIdentity) != "alice" || out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 {
		t.Errorf("SourceIdentity %q, PackedPolicySize %v; want alice and a size", aws.ToString(out.SourceIdentity), out.PackedPolicySize)
	}
	s1 := credsOf(out.Credentials)
	if arn, code, _, msg := l.whoAmI(t, s1); arn != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Errorf("GetCallerIdentity = %q %s %s", arn, code, msg)
	}
	sess, err := l.lab.STS.Session(s1.AccessKeyID, s1.SessionToken)
	if err != nil || sess.Chained || sess.Tags["team"] != "red" || len(sess.TransitiveTagKeys) != 1 {
		t.Errorf("session of s1 = %+v, %v; want unchained with tags and team transitive", sess, err)
	}

	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(byUser), RoleSessionName: aws.String("ss"), DurationSeconds: aws.Int32(7201)})
	wantAPIError(t, "DurationSeconds over MaxSessionDuration", err, "ValidationError", 400,
		"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/Nope"), RoleSessionName: aws.String("ss")})
	wantAPIError(t, "unknown role", err, "AccessDenied", 403,
		"User: "+adminARN+" is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::"+acct+":role/Nope")
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":user/bob"), RoleSessionName: aws.String("ss")})
	wantAPIError(t, "not a role ARN", err, "ValidationError", 400, "Request ARN is invalid")
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(byUser), RoleSessionName: aws.String("has space"), ExternalId: aws.String("x")})
	wantAPIError(t, "bad members", err, "ValidationError", 400,
		"2 validation errors detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; "+
			"Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2")

	// ExternalId: the confused deputy is stopped by the trust condition.
	denyExt := "User: " + adminARN + " is not authorized to perform: sts:AssumeRole on resource: " + extRole
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(extRole), RoleSessionName: aws.String("vendor")})
	wantAPIError(t, "ExternalId missing", err, "AccessDenied", 403, denyExt)
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(extRole), RoleSessionName: aws.String("vendor"), ExternalId: aws.String("other-customer")})
	wantAPIError(t, "ExternalId wrong", err, "AccessDenied", 403, denyExt)
	if _, err := admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(extRole), RoleSessionName: aws.String("vendor"),
		ExternalId: aws.String("unique-id-1234")}); err != nil {
		t.Errorf("AssumeRole with the right ExternalId: %v", err)
	}

	// MFA: the role's trust requires aws:MultiFactorAuthPresent.
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("mm")})
	wantAPIError(t, "MFA missing", err, "AccessDenied", 403, "User: "+adminARN+" is not authorized to perform: sts:AssumeRole on resource: "+mfaRole)
	code := totp(l.mfa.secret, l.lab.Clock.Now())
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("mm"),
		SerialNumber: aws.String(l.mfa.serial), TokenCode: aws.String(wrong)})
	wantAPIError(t, "MFA wrong code", err, "AccessDenied", 403, "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("mm"),
		SerialNumber: aws.String(adminARN), TokenCode: aws.String(code)})
	wantAPIError(t, "MFA serial is the user ARN", err, "AccessDenied", 403,
		"MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.")
	mout, err := admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("mm"),
		SerialNumber: aws.String(l.mfa.serial), TokenCode: aws.String(code)})
	if err != nil {
		t.Fatalf("AssumeRole with MFA: %v", err)
	}
	if ms, err := l.lab.STS.Session(aws.ToString(mout.Credentials.AccessKeyId), aws.ToString(mout.Credentials.SessionToken)); err != nil || !ms.MFA {
		t.Errorf("MFA session = %+v, %v; want MFA set", ms, err)
	}
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("mm"),
		SerialNumber: aws.String(l.mfa.serial), TokenCode: aws.String(code)})
	wantAPIError(t, "MFA code reused", err, "AccessDenied", 403, "MultiFactorAuthentication failed with invalid MFA one time pass code.")

	// Role chaining: SourceIdentity sticks, so the next trust needs
	// sts:SetSourceIdentity; the hop is capped at one hour.
	chain := l.sts(s1)
	_, err = chain.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(chained), RoleSessionName: aws.String("s2")})
	wantAPIError(t, "chained without sts:SetSourceIdentity", err, "AccessDenied", 403,
		"User: arn:aws:sts::"+acct+":assumed-role/ByUser/s1 is not authorized to perform: sts:SetSourceIdentity on resource: "+chained)
	if _, err := l.iamClient(l.adminCreds()).UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("Chained"),
		PolicyDocument: aws.String(trustDoc(byUser, `["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]`, ""))}); err != nil {
		t.Fatalf("UpdateAssumeRolePolicy: %v", err)
	}
	_, err = chain.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(chained), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(3601)})
	wantAPIError(t, "chained over an hour", err, "ValidationError", 400,
		"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	// s1's session policy does not allow sts:TagSession.
	_, err = chain.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(chained), RoleSessionName: aws.String("s2"),
		Tags: []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("blue")}}})
	wantAPIError(t, "session policy without sts:TagSession", err, "AccessDenied", 403,
		"User: arn:aws:sts::"+acct+":assumed-role/ByUser/s1 is not authorized to perform: sts:TagSession on resource: "+chained+
			" because no session policy allows the sts:TagSession action")
	_, err = admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(byUser), RoleSessionName: aws.String("dup"),
		Tags: []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("blue")}, {Key: aws.String("team"), Value: aws.String("red")}}})
	wantAPIError(t, "duplicate tag keys", err, "ValidationError", 400,
		"Duplicate tag keys found. Please note that Tag keys are case insensitive.")
	_, err = chain.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(chained), RoleSessionName: aws.String("s2"), SourceIdentity: aws.String("mallory")})
	wantAPIError(t, "changing SourceIdentity", err, "ValidationError", 400,
		"SourceIdentity cannot be changed once it is set for a session (role chaining).")
	cout, err := chain.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(chained), RoleSessionName: aws.String("s2"),
		DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatalf("chained AssumeRole: %v", err)
	}
	if aws.ToString(cout.SourceIdentity) != "alice" {
		t.Errorf("chained SourceIdentity = %q, want alice", aws.ToString(cout.SourceIdentity))
	}
	s2 := credsOf(cout.Credentials)
	cs, err := l.lab.STS.Session(s2.AccessKeyID, s2.SessionToken)
	if err != nil || !cs.Chained || cs.Tags["team"] != "red" || cs.Tags["cost"] != "" || cs.SourceIdentity != "alice" {
		t.Errorf("chained session = %+v, %v; want Chained, team=red carried, cost dropped, alice", cs, err)
	}
	if arn, code, _, msg := l.whoAmI(t, s2); arn != "arn:aws:sts::"+acct+":assumed-role/Chained/s2" {
		t.Errorf("GetCallerIdentity of the chained session = %q %s %s", arn, code, msg)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestSDKSessionAndFederationTokens drives GetSessionToken,
// GetFederationToken and GetAccessKeyInfo with the SDK over HTTP.
func TestSDKSessionAndFederationTokens(t *testing.T) {
	t.Parallel()
	l := newFedLab(t, nil)
	ctx := t.Context()
	admin := l.sts(l.adminKey())
	now := l.lab.Clock.Now().Truncate(time.Second)

	gst, err := admin.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	if got := gst.Credentials.Expiration.Sub(now); got != 12*time.Hour {
		t.Errorf("GetSessionToken credentials last %s, want the default 12h", got)
	}
	user := credsOf(gst.Credentials)
	if arn, code, _, msg := l.whoAmI(t, user); arn != adminARN {
		t.Errorf("GetCallerIdentity with GetSessionToken credentials = %q %s %s, want the user", arn, code, msg)
	}
	_, err = admin.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
	wantAPIError(t, "GetSessionToken over 36h", err, "ValidationError", 400,
		"1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600")
	_, err = l.sts(user).GetSessionToken(ctx, &stssdk.GetSessionTokenInput{})
	wantAPIError(t, "GetSessionToken with session credentials", err, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
	code := totp(l.mfa.secret, l.lab.Clock.Now())
	mgst, err := admin.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(129600),
		SerialNumber: aws.String(l.mfa.serial), TokenCode: aws.String(code)})
	if err != nil {
		t.Fatalf("GetSessionToken with MFA: %v", err)
	}
	if got := mgst.Credentials.Expiration.Sub(now); got != 36*time.Hour {
		t.Errorf("GetSessionToken credentials last %s, want 36h", got)
	}
	// MFA-authenticated GetSessionToken credentials assume an MFA-only role,
	// capped at one hour like any chain.
	mfaRole := l.createRole(t, "MFARole", trustDoc("arn:aws:iam::"+acct+":root", `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 43200)
	_, err = l.sts(user).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("xx")})
	wantAPIError(t, "AssumeRole without MFA", err, "AccessDenied", 403,
		"User: "+adminARN+" is not authorized to perform: sts:AssumeRole on resource: "+mfaRole)
	mfaUser := l.sts(credsOf(mgst.Credentials))
	_, err = mfaUser.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("xx"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, "AssumeRole from GetSessionToken credentials over an hour", err, "ValidationError", 400,
		"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	if _, err := mfaUser.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("xx")}); err != nil {
		t.Errorf("AssumeRole with MFA session credentials: %v", err)
	}

	// IAM refuses GetSessionToken credentials without MFA.
	_, err = l.iamClient(credentials.StaticCredentialsProvider{Value: user}).ListRoles(ctx, &iamsdk.ListRolesInput{})
	wantAPIError(t, "IAM with GetSessionToken credentials without MFA", err, "InvalidClientTokenId", 403,
		"The security token included in the request is invalid.")
	if _, err := l.iamClient(credentials.StaticCredentialsProvider{Value: credsOf(mgst.Credentials)}).ListRoles(ctx, &iamsdk.ListRolesInput{}); err != nil {
		t.Errorf("IAM with MFA GetSessionToken credentials: %v", err)
	}

	// GetFederationToken.
	gft, err := admin.GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("bob"), DurationSeconds: aws.Int32(900),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatalf("GetFederationToken: %v", err)
	}
	fedARN := "arn:aws:sts::" + acct + ":federated-user/bob"
	if aws.ToString(gft.FederatedUser.Arn) != fedARN || aws.ToString(gft.FederatedUser.FederatedUserId) != acct+":bob" ||
		gft.PackedPolicySize == nil || gft.Credentials.Expiration.Sub(now) != 15*time.Minute {
		t.Errorf("GetFederationToken = %s %s %v %s", aws.ToString(gft.FederatedUser.Arn), aws.ToString(gft.FederatedUser.FederatedUserId),
			gft.PackedPolicySize, gft.Credentials.Expiration)
	}
	fed := credsOf(gft.Credentials)
	if arn, code, _, msg := l.whoAmI(t, fed); arn != fedARN {
		t.Errorf("GetCallerIdentity of the federated user = %q %s %s", arn, code, msg)
	}
	_, err = l.iamClient(credentials.StaticCredentialsProvider{Value: fed}).ListRoles(ctx, &iamsdk.ListRolesInput{})
	wantAPIError(t, "IAM with federated user credentials", err, "InvalidClientTokenId", 403,
		"The security token included in the request is invalid.")
	_, err = l.sts(user).GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("bob")})
	wantAPIError(t, "GetFederationToken with session credentials", err, "AccessDenied", 403, "Cannot call GetFederationToken with session credentials")
	_, err = l.sts(fed).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("xx")})
	wantAPIError(t, "AssumeRole by a federated user", err, "AccessDenied", 403, "Cannot call AssumeRole with session credentials")
	_, err = admin.GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("bob"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)})
	wantAPIError(t, "session policy with a Principal", err, "MalformedPolicyDocument", 400, "Policy document should not specify a principal.")
	_, err = admin.GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("bob"), Policy: aws.String(`{"Statement":`)})
	wantAPIError(t, "session policy not JSON", err, "MalformedPolicyDocument", 400, "The policy is not in the valid JSON format.")
	_, err = admin.GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("b")})
	wantAPIError(t, "federated user name too short", err, "ValidationError", 400,
		"1 validation error detected: Value 'b' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2")

	// GetAccessKeyInfo reads the account from the key ID, for any key.
	for id, want := range map[string]string{fed.AccessKeyID: acct, user.AccessKeyID: acct, "ASIAY34FZKBOKMUTVV7A": "609629065308"} {
		out, err := admin.GetAccessKeyInfo(ctx, &stssdk.GetAccessKeyInfoInput{AccessKeyId: aws.String(id)})
		if err != nil || aws.ToString(out.Account) != want {
			t.Errorf("GetAccessKeyInfo(%s) = %v, %v; want %s", id, out, err, want)
		}
	}
	_, err = l.sts(fed).GetAccessKeyInfo(ctx, &stssdk.GetAccessKeyInfoInput{AccessKeyId: aws.String(fed.AccessKeyID)})
	wantAPIError(t, "GetAccessKeyInfo by a federated user", err, "AccessDenied", 403, "Cannot call GetAccessKeyInfo with session credentials")
}

// TestSDKGetFederationTokenNeedsPermission: an IAM user whose policies allow
// GetFederationToken only for names starting with "app-" gets AWS's
// identity-policy AccessDenied for any other name.
func TestSDKGetFederationTokenNeedsPermission(t *testing.T) {
	t.Parallel()
	limited := sts.UserPoliciesFunc(func(string) ([]*policy.Policy, *policy.Policy, error) {
		p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetFederationToken",
			"Resource":"arn:aws:sts::*:federated-user/app-*"}]}`, policy.KindIdentity)
		return []*policy.Policy{p}, nil, err
	})
	l := newFedLab(t, limited)
	admin := l.sts(l.adminKey())
	if _, err := admin.GetFederationToken(t.Context(), &stssdk.GetFederationTokenInput{Name: aws.String("app-web")}); err != nil {
		t.Errorf("GetFederationToken app-web: %v", err)
	}
	_, err := admin.GetFederationToken(t.Context(), &stssdk.GetFederationTokenInput{Name: aws.String("bob")})
	wantAPIError(t, "GetFederationToken not allowed", err, "AccessDenied", http.StatusForbidden,
		"User: "+adminARN+" is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::"+acct+
			":federated-user/bob because no identity-based policy allows the sts:GetFederationToken action")
}

// TestSDKRevokeOlderSessions writes the console's AWSRevokeOlderSessions
// inline policy with IAM PutRolePolicy; a session issued before its time is
// refused on its next STS call with an explicit-deny AccessDenied, while
// GetCallerIdentity still answers (AWS never denies it) and a newer session
// works.
func TestSDKRevokeOlderSessions(t *testing.T) {
	t.Parallel()
	l := newFedLab(t, nil)
	ctx := t.Context()
	src := l.createRole(t, "Source", trustDoc(adminARN, `"sts:AssumeRole"`, ""), 3600)
	dst := l.createRole(t, "Target", trustDoc(src, `"sts:AssumeRole"`, ""), 3600)
	// The role may list roles, so that only the revocation refuses it.
	if _, err := l.iamClient(l.adminCreds()).PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Source"),
		PolicyName: aws.String("ListRoles"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)}); err != nil {
		t.Fatalf("PutRolePolicy ListRoles: %v", err)
	}
	admin := l.sts(l.adminKey())
	assume := func(name string) aws.Credentials {
		out, err := admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(src), RoleSessionName: aws.String(name)})
		if err != nil {
			t.Fatalf("AssumeRole Source: %v", err)
		}
		return credsOf(out.Credentials)
	}
	old := assume("old")
	if _, err := l.sts(old).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(dst), RoleSessionName: aws.String("hop")}); err != nil {
		t.Fatalf("chained AssumeRole before revocation: %v", err)
	}
	l.lab.Clock.Advance(2 * time.Second)
	revokeAt := l.lab.Clock.Now().UTC().Format(time.RFC3339)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],` +
		`"Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + revokeAt + `"}}}]}`
	if _, err := l.iamClient(l.adminCreds()).PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Source"),
		PolicyName: aws.String("AWSRevokeOlderSessions"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	_, err := l.sts(old).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(dst), RoleSessionName: aws.String("hop")})
	wantAPIError(t, "revoked session", err, "AccessDenied", 403,
		"User: arn:aws:sts::"+acct+":assumed-role/Source/old is not authorized to perform: sts:AssumeRole on resource: "+dst+
			" with an explicit deny in an identity-based policy")
	_, err = l.sts(old).GetAccessKeyInfo(ctx, &stssdk.GetAccessKeyInfoInput{AccessKeyId: aws.String(old.AccessKeyID)})
	wantAPIError(t, "revoked session, GetAccessKeyInfo", err, "AccessDenied", 403,
		"User: arn:aws:sts::"+acct+":assumed-role/Source/old is not authorized to perform: sts:GetAccessKeyInfo with an explicit deny in an identity-based policy")
	_, err = l.iamClient(credentials.StaticCredentialsProvider{Value: old}).ListRoles(ctx, &iamsdk.ListRolesInput{})
	wantAPIError(t, "revoked session, IAM ListRoles", err, "AccessDenied", 403,
		"User: arn:aws:sts::"+acct+":assumed-role/Source/old is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::"+acct+
			":role/ with an explicit deny in an identity-based policy")
	if arn, code, _, msg := l.whoAmI(t, old); arn != "arn:aws:sts::"+acct+":assumed-role/Source/old" {
		t.Errorf("GetCallerIdentity of a revoked session = %q %s %s; AWS never denies it", arn, code, msg)
	}
	fresh := assume("new")
	if _, err := l.sts(fresh).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(dst), RoleSessionName: aws.String("hop")}); err != nil {
		t.Errorf("chained AssumeRole by a session issued after revocation: %v", err)
	}
	if _, err := l.iamClient(credentials.StaticCredentialsProvider{Value: fresh}).ListRoles(ctx, &iamsdk.ListRolesInput{}); err != nil {
		t.Errorf("IAM ListRoles by a session issued after revocation: %v", err)
	}
}

// signinToken asks the federation endpoint for a sign-in token for c, as a
// custom identity broker does, and returns the HTTP status and body.
func (l *fedLab) signinToken(t *testing.T, c aws.Credentials, sessionDuration string) (int, string) {
	t.Helper()
	session, _ := json.Marshal(map[string]string{"sessionId": c.AccessKeyID, "sessionKey": c.SecretAccessKey, "sessionToken": c.SessionToken})
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if sessionDuration != "" {
		q.Set("SessionDuration", sessionDuration)
	}
	resp, body := get(t, l.srv.Client(), l.srv.URL+"/federation?"+q.Encode())
	return resp.StatusCode, body
}

// TestBrokerSignIn is a custom identity broker: credentials from
// GetFederationToken and AssumeRole are exchanged at the federation endpoint
// for a sign-in token, which opens a console session; SessionDuration is
// refused for federated users and above one hour for chained role sessions.
func TestBrokerSignIn(t *testing.T) {
	t.Parallel()
	l := newFedLab(t, nil)
	ctx := t.Context()
	src := l.createRole(t, "BrokerRole", trustDoc(adminARN, `"sts:AssumeRole"`, ""), 43200)
	next := l.createRole(t, "NextRole", trustDoc(src, `"sts:AssumeRole"`, ""), 43200)
	admin := l.sts(l.adminKey())
	gft, err := admin.GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("carol"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatalf("GetFederationToken: %v", err)
	}
	fed := credsOf(gft.Credentials)
	status, body := l.signinToken(t, fed, "")
	var tok struct{ SigninToken string }
	if status != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.SigninToken == "" {
		t.Fatalf("getSigninToken for a federated user = %d %s", status, body)
	}
	c := consoleClient(t)
	resp, _ := get(t, c, l.srv.URL+"/federation?"+url.Values{"Action": {"login"}, "Issuer": {"https://broker.example"},
		"Destination": {"/console"}, "SigninToken": {tok.SigninToken}}.Encode())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login = %d", resp.StatusCode)
	}
	_, page := get(t, c, l.srv.URL+"/console")
	for _, want := range []string{"arn:aws:sts::" + acct + ":federated-user/carol", `id="federated-user">carol<`, `id="federated-by">` + adminARN + "<"} {
		if !strings.Contains(page, want) {
			t.Errorf("console page lacks %q:\n%s", want, page)
		}
	}
	const invalid = "Invalid Credentials Parameter. The request sent by the client was syntactically incorrect.\n"
	if status, body := l.signinToken(t, fed, "3600"); status != http.StatusBadRequest || body != invalid {
		t.Errorf("getSigninToken with SessionDuration for a federated user = %d %q, want 400 %q", status, body, invalid)
	}

	out, err := admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(src), RoleSessionName: aws.String("broker")})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	role := credsOf(out.Credentials)
	if status, body := l.signinToken(t, role, "43200"); status != http.StatusOK {
		t.Errorf("getSigninToken for an AssumeRole session with 12h = %d %s", status, body)
	}
	cout, err := l.sts(role).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(next), RoleSessionName: aws.String("hop")})
	if err != nil {
		t.Fatalf("chained AssumeRole: %v", err)
	}
	chained := credsOf(cout.Credentials)
	if status, body := l.signinToken(t, chained, "3601"); status != http.StatusBadRequest || body != invalid {
		t.Errorf("getSigninToken for a chained session over 1h = %d %q, want 400 %q", status, body, invalid)
	}
	if status, body := l.signinToken(t, chained, "3600"); status != http.StatusOK {
		t.Errorf("getSigninToken for a chained session with 1h = %d %s", status, body)
	}
	gst, err := admin.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	if status, _ := l.signinToken(t, credsOf(gst.Credentials), ""); status != http.StatusForbidden {
		t.Errorf("getSigninToken for GetSessionToken credentials = %d, want 403", status)
	}
}

// TestSDKDecodeAuthorizationMessage decodes an encoded authorization failure
// with the SDK; altered messages and another account's are refused.
func TestSDKDecodeAuthorizationMessage(t *testing.T) {
	t.Parallel()
	l := newFedLab(t, nil)
	caller := &sts.Caller{ARN: "arn:aws:iam::" + acct + ":user/bob", UserID: "AIDAEXAMPLEBOB", Account: acct}
	enc, err := l.lab.Federation.EncodeAuthorizationMessage(caller, "ec2:RunInstances", "arn:aws:ec2:us-east-1:"+acct+":instance/*", true,
		map[string][]string{"ec2:InstanceType": {"t2.micro"}, "aws:Region": {"us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	admin := l.sts(l.adminKey())
	out, err := admin.DecodeAuthorizationMessage(t.Context(), &stssdk.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(enc)})
	if err != nil {
		t.Fatalf("DecodeAuthorizationMessage: %v", err)
	}
	want := `{"allowed":false,"explicitDeny":true,"matchedStatements":{"items":[]},"failures":{"items":[]},` +
		`"context":{"principal":{"id":"AIDAEXAMPLEBOB","arn":"arn:aws:iam::` + acct + `:user/bob"},"action":"ec2:RunInstances",` +
		`"resource":"arn:aws:ec2:us-east-1:` + acct + `:instance/*","conditions":{"items":[` +
		`{"key":"aws:Region","values":{"items":[{"value":"us-east-1"}]}},{"key":"ec2:InstanceType","values":{"items":[{"value":"t2.micro"}]}}]}}}`
	if got := aws.ToString(out.DecodedMessage); got != want {
		t.Errorf("DecodedMessage =\n%s\nwant\n%s", got, want)
	}
	other := newFedLab(t, nil)
	foreign, err := other.lab.Federation.EncodeAuthorizationMessage(caller, "ec2:RunInstances", "*", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	altered := []byte(enc)
	altered[len(altered)/2] ^= 1
	for name, msg := range map[string]string{"altered": string(altered), "another account's": foreign, "not a message": "hello"} {
		_, err := admin.DecodeAuthorizationMessage(t.Context(), &stssdk.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(msg)})
		wantAPIError(t, name, err, "InvalidAuthorizationMessageException", 400,
			"The encoded authorization message is invalid or was not issued by this account.")
	}
}

// TestSDKChainAfterSAMLSignIn is the most reported chaining failure: after a
// SAML sign-in, assuming a second role for more than an hour.
func TestSDKChainAfterSAMLSignIn(t *testing.T) {
	t.Parallel()
	l := newFedLab(t, nil)
	next := l.createRole(t, "AfterSAML", trustDoc(l.lab.RoleARN, `"sts:AssumeRole"`, ""), 43200)
	saml := l.sts(l.assume(t))
	_, err := saml.AssumeRole(t.Context(), &stssdk.AssumeRoleInput{RoleArn: aws.String(next), RoleSessionName: aws.String("alice"),
		DurationSeconds: aws.Int32(43200)})
	wantAPIError(t, "12 h after SAML", err, "ValidationError", 400,
		"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	out, err := saml.AssumeRole(t.Context(), &stssdk.AssumeRoleInput{RoleArn: aws.String(next), RoleSessionName: aws.String("alice"),
		DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatalf("1 h after SAML: %v", err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::"+acct+":assumed-role/AfterSAML/alice" {
		t.Errorf("chained ARN = %s", got)
	}
}
