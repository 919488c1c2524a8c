package scenarios

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6238's default TOTP hash, as AWS virtual MFA devices use
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Steps of role and user federation: AssumeRole with an identity's own
// credentials, virtual MFA, session revocation and a broker's sign-in URL.
const (
	ActionEnableMFA       = "enable-mfa"       // the admin user enables a virtual MFA device
	ActionAssumeRole      = "assume-role"      // aws sts assume-role with a caller's credentials
	ActionSaveCredentials = "save-credentials" // keep the last credentials under a name
	ActionRevokeSessions  = "revoke-sessions"  // the console's "Revoke active sessions" on a role
	ActionSignInURL       = "sign-in-url"      // a broker's getSigninToken and login on the federation endpoint
)

// CallerAdmin and CallerLast are the callers every scenario knows: the lab's
// admin IAM user (long-term keys) and the credentials of the last
// successful login or assume-role.
const (
	CallerAdmin = "admin"
	CallerLast  = "last"
)

// Token codes a step may send besides six digits: the MFA device's current
// code, or a code the device does not show now.
const (
	TokenCodeCurrent = "current"
	TokenCodeWrong   = "wrong"
)

func init() {
	for k, v := range map[string]actionSpec{
		ActionEnableMFA: {"the admin user enables a virtual MFA device named `serial_number` (its TOTP secret stays in the lab)",
			[]string{"serial_number"}, []string{"serial_number"}},
		ActionAssumeRole: {"sts assume-role with the credentials of `caller` (admin, last or a saved name)",
			[]string{"caller", "role", "role_arn", "session_name", "external_id", "serial_number", "token_code", "duration_seconds", "policy", "save_as"}, nil},
		ActionSaveCredentials: {"keep the credentials of the last login or assume-role under `save_as`", []string{"save_as"}, []string{"save_as"}},
		ActionRevokeSessions: {"revoke the role's active sessions as the console does (the inline policy AWSRevokeOlderSessions)",
			[]string{"role"}, []string{"role"}},
		ActionSignInURL: {"a broker exchanges `caller`'s temporary credentials for a sign-in token (getSigninToken) and signs in to the console with it",
			[]string{"caller", "session_duration"}, nil},
	} {
		actions[k] = v
	}
}

// sessionActions are the actions whose success may be described by session
// properties (assumed_role_arn, duration_seconds, ...).
func sessionAction(action string) bool {
	return slices.Contains([]string{ActionLogin, ActionConsoleSignIn, ActionGetCallerIdentity, ActionAssumeRole, ActionSignInURL,
		ActionWebIdentityLogin, ActionCognitoLogin}, action)
}

// pageAction reports whether the action's failures are pages or plain
// answers of the console's endpoints (page_error) rather than AWS errors.
func pageAction(action string) bool {
	return action == ActionConsoleSignIn || action == ActionSignInURL
}

var (
	saveNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	tokenCodeRE = regexp.MustCompile(`^[0-9]{6}$`)
)

// checkFederationStep checks the federation fields of a step: callers and
// MFA devices must be defined by an earlier step.
func checkFederationStep(at func(string, string, ...any), p string, st Step, saved, devices map[string]bool) {
	if st.Caller != "" && st.Caller != CallerAdmin && st.Caller != CallerLast && !saved[st.Caller] && st.Account == "" {
		names := "none saved before this step"
		if len(saved) > 0 {
			names = "saved: " + known(saved)
		}
		at(p+".caller", "unknown caller %q: use admin, last or a name an earlier step saved with save_as (%s)", st.Caller, names)
	}
	if st.SaveAs != "" {
		switch {
		case !saveNameRE.MatchString(st.SaveAs):
			at(p+".save_as", "%q: use lower-case letters, digits and dashes", st.SaveAs)
		case st.SaveAs == CallerAdmin || st.SaveAs == CallerLast:
			at(p+".save_as", "%q is a caller every scenario has; choose another name", st.SaveAs)
		}
	}
	if st.SerialNumber != "" {
		switch {
		case st.Action == ActionEnableMFA:
			if !saveNameRE.MatchString(st.SerialNumber) {
				at(p+".serial_number", "%q: name the device with lower-case letters, digits and dashes", st.SerialNumber)
			}
		case strings.HasPrefix(st.SerialNumber, "arn:"):
			if !arnRE.MatchString(st.SerialNumber) {
				at(p+".serial_number", "%q is not an ARN", st.SerialNumber)
			}
		case !devices[st.SerialNumber]:
			at(p+".serial_number", "no earlier enable-mfa step enabled %q (give a device name or an ARN)", st.SerialNumber)
		}
	}
	if c := st.TokenCode; c != "" && c != TokenCodeCurrent && c != TokenCodeWrong && !tokenCodeRE.MatchString(c) {
		at(p+".token_code", "%q: use current, wrong or six digits", c)
	}
	if st.SessionDuration < 0 {
		at(p+".session_duration", "is %d; give seconds (the endpoint takes 900 to 43200)", st.SessionDuration)
	}
	if st.Action == ActionAssumeRole && st.Role == "" && st.RoleARN == "" {
		at(p, "assume-role needs role or role_arn")
	}
}

// federationNames collects, in step order, what the federation steps define,
// for the per-step checks: saved callers and MFA devices known before step i.
func federationNames(steps []Step) (saved, devices []map[string]bool) {
	s, d := map[string]bool{}, map[string]bool{}
	for _, st := range steps {
		saved = append(saved, maps2(s))
		devices = append(devices, maps2(d))
		if st.SaveAs != "" {
			s[st.SaveAs] = true
		}
		if st.Action == ActionEnableMFA {
			d[st.SerialNumber] = true
		}
	}
	return saved, devices
}

func maps2(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fedState is what the federation steps keep between steps.
type fedState struct {
	saved map[string]aws.Credentials
}

// labMFA is the lab's register of virtual MFA devices: each holds a real
// TOTP secret and checks codes with RFC 6238 (HMAC-SHA1, 30-second steps,
// six digits, one step either side, a code used once is refused), as IAM's
// virtual MFA devices do. It is the lab's sts.MFA unless LabConfig.MFA is
// given. RFC 6238 is a few lines over crypto/hmac; the module has no TOTP
// library and needs none elsewhere.
type labMFA struct {
	mu      sync.Mutex
	devices map[string]*mfaDevice // by serial number (ARN)
}

type mfaDevice struct {
	user     string
	secret   []byte
	lastUsed int64 // the last accepted time step
}

func newLabMFA() *labMFA { return &labMFA{devices: map[string]*mfaDevice{}} }

func totpCode(secret []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

func totpStep(t time.Time) int64 { return t.Unix() / 30 }

// VerifyTOTP implements sts.MFA.
func (m *labMFA) VerifyTOTP(userARN, serial, code string, now time.Time) (device, valid bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.devices[serial]
	if d == nil || d.user != userARN {
		return false, false
	}
	for _, s := range []int64{totpStep(now) - 1, totpStep(now), totpStep(now) + 1} {
		if s > d.lastUsed && hmac.Equal([]byte(totpCode(d.secret, s)), []byte(code)) {
			d.lastUsed = s
			return true, true
		}
	}
	return true, false
}

func (m *labMFA) enable(serial, user string, r io.Reader) error {
	if r == nil {
		r = rand.Reader
	}
	secret := make([]byte, 20)
	if _, err := io.ReadFull(r, secret); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.devices[serial] = &mfaDevice{user: user, secret: secret, lastUsed: -1}
	return nil
}

// code returns the device's code at now: current, or one it does not show
// in its window (wrong).
func (m *labMFA) code(serial, which string, now time.Time) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.devices[serial]
	if d == nil {
		return "", fmt.Errorf("lab: no MFA device %s", serial)
	}
	cur := totpCode(d.secret, totpStep(now))
	if which == TokenCodeCurrent {
		return cur, nil
	}
	window := []string{totpCode(d.secret, totpStep(now)-1), cur, totpCode(d.secret, totpStep(now)+1)}
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", (int(cur[5]-'0')+1+i)%1_000_000)
		if !slices.Contains(window, c) {
			return c, nil
		}
	}
}

func (l *Lab) fed() *fedState {
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	if l.state.fed == nil {
		l.state.fed = &fedState{saved: map[string]aws.Credentials{}}
	}
	return l.state.fed
}

func (l *Lab) adminARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:user/%s", l.Account.Partition(), l.Account.ID(), AdminUserName)
}

// mfaSerial is the ARN of the admin user's MFA device called name (an ARN is
// kept as it is).
func (l *Lab) mfaSerial(name string) string {
	if strings.HasPrefix(name, "arn:") {
		return l.Expand(name)
	}
	return fmt.Sprintf("arn:%s:iam::%s:mfa/%s", l.Account.Partition(), l.Account.ID(), name)
}

func (l *Lab) labMFA() (*labMFA, error) {
	m, ok := l.state.cfg.MFA.(*labMFA)
	if !ok {
		return nil, errors.New("lab: enable-mfa needs the lab's own MFA devices (LabConfig.MFA is set)")
	}
	return m, nil
}

// EnableMFA enables a virtual MFA device called name for the lab's admin
// user (aws iam create-virtual-mfa-device and enable-mfa-device); its
// secret stays in the lab, and TokenCode "current" reads its code.
func (l *Lab) EnableMFA(name string) error {
	m, err := l.labMFA()
	if err != nil {
		return err
	}
	return m.enable(l.mfaSerial(name), l.adminARN(), l.state.cfg.Rand)
}

// SaveCredentials keeps the credentials of the last successful login or
// assume-role under name, as caller for later steps.
func (l *Lab) SaveCredentials(name string) error {
	l.state.mu.Lock()
	last := l.state.last
	l.state.mu.Unlock()
	if last == nil {
		return errors.New("lab: no credentials yet: save-credentials needs an earlier successful login or assume-role")
	}
	l.fed().saved[name] = aws.Credentials{AccessKeyID: last.AccessKeyID, SecretAccessKey: last.SecretAccessKey, SessionToken: last.SessionToken}
	return nil
}

// credentialsOf returns the credentials of caller: admin (the default), last
// or a saved name.
func (l *Lab) credentialsOf(caller string) (aws.Credentials, error) {
	switch caller {
	case "", CallerAdmin:
		if _, err := l.awsHandler(); err != nil {
			return aws.Credentials{}, err
		}
		l.state.mu.Lock()
		k := l.state.admin
		l.state.mu.Unlock()
		return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}, nil
	case CallerLast:
		l.state.mu.Lock()
		last := l.state.last
		l.state.mu.Unlock()
		if last == nil {
			return aws.Credentials{}, errors.New("lab: no credentials yet: caller last needs an earlier successful login or assume-role")
		}
		return aws.Credentials{AccessKeyID: last.AccessKeyID, SecretAccessKey: last.SecretAccessKey, SessionToken: last.SessionToken}, nil
	}
	c, ok := l.fed().saved[caller]
	if !ok {
		return aws.Credentials{}, fmt.Errorf("lab: no credentials saved as %q", caller)
	}
	return c, nil
}

// signedCall sends a SigV4-signed AWS Query request (signed at the lab
// clock's time) to the lab's AWS endpoint and returns the body of a 200
// answer; an AWS error envelope becomes an *awsapi.Error.
func (l *Lab) signedCall(ctx context.Context, creds aws.Credentials, service string, form url.Values) ([]byte, error) {
	h, err := l.awsHandler()
	if err != nil {
		return nil, err
	}
	body := form.Encode()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "https://"+service+".amazonaws.com/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", l.Clock.Now()); err != nil {
		return nil, fmt.Errorf("lab: sign %s: %w", form.Get("Action"), err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `xml:"Error"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
			return nil, fmt.Errorf("lab: %s answered %d: %s", form.Get("Action"), rec.Code, rec.Body.String())
		}
		return nil, &awsapi.Error{Code: awsapi.Code(e.Error.Code), Status: rec.Code, Message: e.Error.Message}
	}
	return rec.Body.Bytes(), nil
}

// AssumeRoleStep is an aws sts assume-role call made by a lab caller.
type AssumeRoleStep struct {
	// Caller is admin (default), last or a name given to SaveCredentials.
	Caller string
	// RoleARN is the role's ARN.
	RoleARN string
	// SessionName defaults to the caller's kind ("admin-session" or "chained").
	SessionName string
	ExternalID  string
	// SerialNumber is an MFA device ARN; TokenCode its code (or
	// TokenCodeCurrent / TokenCodeWrong for the lab's own devices).
	SerialNumber, TokenCode string
	DurationSeconds         *int
	Policy                  string
}

// AssumeRoleAs calls AssumeRole over signed HTTP with the caller's
// credentials and keeps the new credentials as the last ones.
func (l *Lab) AssumeRoleAs(ctx context.Context, in AssumeRoleStep) (Outcome, error) {
	creds, err := l.credentialsOf(in.Caller)
	if err != nil {
		return Outcome{}, err
	}
	name := in.SessionName
	if name == "" {
		name = "lab-session"
	}
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {in.RoleARN}, "RoleSessionName": {name}}
	if in.ExternalID != "" {
		form.Set("ExternalId", in.ExternalID)
	}
	if in.SerialNumber != "" {
		form.Set("SerialNumber", in.SerialNumber)
	}
	if code := in.TokenCode; code != "" {
		if code == TokenCodeCurrent || code == TokenCodeWrong {
			m, err := l.labMFA()
			if err != nil {
				return Outcome{}, err
			}
			if code, err = m.code(in.SerialNumber, code, l.Clock.Now()); err != nil {
				return Outcome{}, err
			}
		}
		form.Set("TokenCode", code)
	}
	if in.DurationSeconds != nil {
		form.Set("DurationSeconds", fmt.Sprint(*in.DurationSeconds))
	}
	if in.Policy != "" {
		form.Set("Policy", in.Policy)
	}
	body, err := l.signedCall(ctx, creds, "sts", form)
	if err != nil {
		return Outcome{}, err
	}
	var out struct {
		Result struct {
			Credentials struct {
				AccessKeyID     string    `xml:"AccessKeyId"`
				SecretAccessKey string    `xml:"SecretAccessKey"`
				SessionToken    string    `xml:"SessionToken"`
				Expiration      time.Time `xml:"Expiration"`
			} `xml:"Credentials"`
			AssumedRoleUser struct {
				ARN string `xml:"Arn"`
			} `xml:"AssumedRoleUser"`
			SourceIdentity string `xml:"SourceIdentity"`
		} `xml:"AssumeRoleResult"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		return Outcome{}, fmt.Errorf("lab: AssumeRole response: %w", err)
	}
	c := out.Result.Credentials
	o := Outcome{AssumedRoleARN: out.Result.AssumedRoleUser.ARN, SourceIdentity: out.Result.SourceIdentity,
		DurationSeconds: int(c.Expiration.Sub(l.Clock.Now().Truncate(time.Second)).Seconds())}
	sess, err := l.stsOf(out.Result.AssumedRoleUser.ARN).Session(c.AccessKeyID, c.SessionToken)
	if err != nil {
		return Outcome{}, fmt.Errorf("lab: the issued session cannot be read: %w", err)
	}
	if len(sess.Tags) > 0 {
		o.SessionTags = sess.Tags
	}
	l.state.mu.Lock()
	l.state.last = &sess.Credentials
	l.state.mu.Unlock()
	return o, nil
}

// revokeOlderSessions is the inline policy the console writes for "Revoke
// active sessions" (IAM User Guide, "Revoking IAM role temporary security
// credentials"), denying everything to sessions issued before %s.
const revokeOlderSessions = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],` +
	`"Condition":{"DateLessThan":{"aws:TokenIssueTime":"%s"}}}]}`

// RevokeSessions writes the inline policy AWSRevokeOlderSessions on the
// role, dated at the lab clock's time, as the console's "Revoke active
// sessions" does (aws iam put-role-policy).
func (l *Lab) RevokeSessions(ctx context.Context, role string) error {
	creds, err := l.credentialsOf(CallerAdmin)
	if err != nil {
		return err
	}
	doc := fmt.Sprintf(revokeOlderSessions, l.Clock.Now().UTC().Format(time.RFC3339))
	_, err = l.signedCall(ctx, creds, "iam", url.Values{"Action": {"PutRolePolicy"}, "Version": {"2010-05-08"},
		"RoleName": {role}, "PolicyName": {"AWSRevokeOlderSessions"}, "PolicyDocument": {doc}})
	return err
}

// SignInURL is a custom identity broker: it sends the caller's temporary
// credentials to the federation endpoint's getSigninToken (with
// SessionDuration when not zero), then opens the sign-in URL
// (Action=login) and reports the console session. The endpoint's refusals
// are plain-text answers: they become outcomes with PageError.
func (l *Lab) SignInURL(ctx context.Context, caller string, sessionDuration int) (Outcome, error) {
	creds, err := l.credentialsOf(caller)
	if err != nil {
		return Outcome{}, err
	}
	session, err := json.Marshal(map[string]string{"sessionId": creds.AccessKeyID, "sessionKey": creds.SecretAccessKey,
		"sessionToken": creds.SessionToken})
	if err != nil {
		return Outcome{}, err
	}
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if sessionDuration != 0 {
		q.Set("SessionDuration", fmt.Sprint(sessionDuration))
	}
	rec := l.federationGet(ctx, q, nil)
	if rec.Code != http.StatusOK {
		return Outcome{Error: true, Status: rec.Code, PageError: strings.TrimSpace(rec.Body.String())}, nil
	}
	var tok struct{ SigninToken string }
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.SigninToken == "" {
		return Outcome{}, fmt.Errorf("lab: getSigninToken answered %q", rec.Body.String())
	}
	rec = l.federationGet(ctx, url.Values{"Action": {"login"}, "Issuer": {"https://broker.example.com/"},
		"Destination": {"https://console.aws.amazon.com/"}, "SigninToken": {tok.SigninToken}}, nil)
	if rec.Code != http.StatusFound {
		return Outcome{}, fmt.Errorf("lab: the sign-in URL answered %d: %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/console", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	sess, ok := l.SignIn.Session(req)
	if !ok {
		return Outcome{}, errors.New("lab: the sign-in URL redirected without a console session")
	}
	return Outcome{AssumedRoleARN: sess.ARN,
		DurationSeconds: int(sess.Expires.Sub(l.Clock.Now().Truncate(time.Second)).Seconds())}, nil
}

func (l *Lab) federationGet(ctx context.Context, q url.Values, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/federation?"+q.Encode(), nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	l.SignIn.ServeHTTP(rec, req)
	return rec
}

// doFederation performs the federation actions.
func (l *Lab) doFederation(ctx context.Context, st Step) (Outcome, error) {
	switch st.Action {
	case ActionEnableMFA:
		return Outcome{}, l.EnableMFA(st.SerialNumber)
	case ActionSaveCredentials:
		return Outcome{}, l.SaveCredentials(st.SaveAs)
	case ActionRevokeSessions:
		return Outcome{}, l.RevokeSessions(ctx, st.Role)
	case ActionSignInURL:
		return l.SignInURL(ctx, st.Caller, st.SessionDuration)
	case ActionAssumeRole:
		in := AssumeRoleStep{Caller: st.Caller, RoleARN: l.Expand(st.RoleARN), SessionName: st.SessionName,
			ExternalID: st.ExternalID, TokenCode: st.TokenCode, DurationSeconds: st.DurationSeconds}
		if st.Role != "" {
			in.RoleARN = l.roleARN(st.Role)
		}
		if st.SerialNumber != "" {
			in.SerialNumber = l.mfaSerial(st.SerialNumber)
		}
		if st.Policy != nil {
			in.Policy = l.Expand(st.Policy.JSON)
		}
		out, err := l.AssumeRoleAs(ctx, in)
		if err == nil && st.SaveAs != "" {
			err = l.SaveCredentials(st.SaveAs)
		}
		return out, err
	}
	return Outcome{}, fmt.Errorf("unknown action %q", st.Action)
}
