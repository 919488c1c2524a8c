package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/samlab-dev/samlab/scenarios/labweb"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// Paths of the lab's HTTP server. The mock AWS APIs live at "/", as IAM's and
// STS's do on their own hosts, so clients only need an endpoint override. The
// console sign-in endpoint keeps AWS's paths (/saml, /console, /federation,
// /logout), as on signin.aws.amazon.com.
const (
	IDPPrefix  = "/idp"
	SignInPath = "/saml"
)

// signInRoutes are the sign-in endpoint's patterns on the lab server.
var signInRoutes = []string{"POST /saml", "GET /console", "/logout", "/federation"}

// AdminUserName is the IAM user the lab's admin access key belongs to.
const AdminUserName = "samlab-admin"

// AdminKey is a long-term access key (AKIA…) of the lab account's admin user:
// what a trainee puts in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY to call IAM
// and GetCallerIdentity.
type AdminKey struct {
	AccessKeyID     string
	SecretAccessKey string
}

// LogValue redacts the secret.
func (k AdminKey) LogValue() slog.Value { return slog.StringValue(k.AccessKeyID) }

// NewAdminKey returns a random admin key with AWS's shapes: a 20-character
// AKIA key ID and a 40-character secret.
func NewAdminKey(r io.Reader) (AdminKey, error) { return newAdminKey(r, "") }

// NewAdminKeyFor is NewAdminKey for the admin of accountID: the key ID
// carries the account, as AWS's key IDs do, so STS GetAccessKeyInfo answers
// it.
func NewAdminKeyFor(r io.Reader, accountID string) (AdminKey, error) {
	return newAdminKey(r, accountID)
}

func newAdminKey(r io.Reader, accountID string) (AdminKey, error) {
	if r == nil {
		r = rand.Reader
	}
	var id string
	var err error
	if accountID == "" {
		id, err = awsapi.NewAccessKeyID(r, "AKIA")
	} else {
		id, err = awsapi.NewAccessKeyIDFor(r, "AKIA", accountID)
	}
	if err != nil {
		return AdminKey{}, fmt.Errorf("admin key: %w", err)
	}
	secret := make([]byte, 30)
	if _, err := io.ReadFull(r, secret); err != nil {
		return AdminKey{}, fmt.Errorf("admin key: %w", err)
	}
	return AdminKey{AccessKeyID: id, SecretAccessKey: base64.StdEncoding.EncodeToString(secret)}, nil
}

// ServerConfig configures Lab.Handler.
type ServerConfig struct {
	// Admin is the account's admin access key. Required: IAM calls and
	// GetCallerIdentity are SigV4-signed with it.
	Admin AdminKey
	// Events receives a CloudTrail-like record of every AWS call (default:
	// none).
	Events awsapi.EventSink
	// MaxBodyBytes bounds AWS request bodies (default
	// awsapi.DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Logger receives failed calls (default: discard).
	Logger *slog.Logger
	// EventLog reads back the recorded events for the event log page
	// (default: none; the page then says the log is off).
	EventLog func() ([]awsapi.Event, error)
	// Task returns the lab task for the index page (default: "no lab
	// running").
	Task func() *labweb.Task
	// Accounts are more accounts served on the same endpoint, each with its
	// own admin key (default: none, the lab's account alone). An access
	// key belongs to one account, which serves the calls it signs.
	Accounts []Account
}

// Handler returns the lab's HTTP server: IAM and STS over the AWS Query
// protocol at "/" (POST form bodies and GET query strings; dispatched on
// Action and Version), the IdP under IDPPrefix and the console sign-in
// endpoint at AWS's paths (SignInPath and the rest of signInRoutes). The mock AWS runs on the lab clock, and
// credentials are the admin key plus every session STS issued, read from their session tokens.
func (l *Lab) Handler(cfg ServerConfig) (http.Handler, error) {
	if cfg.Admin.AccessKeyID == "" || cfg.Admin.SecretAccessKey == "" {
		return nil, errors.New("lab server: an admin access key is required")
	}
	aws, err := l.AWSHandler(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// Everything outside the prefixes is the AWS API (POST or GET query on
	// any path, as AWS accepts); the router answers other methods with an
	// AWS error envelope. A browser asking for "/" gets the lab's index
	// instead.
	pages := labweb.New(labweb.Config{Account: l.Account, More: iamAccounts(cfg.Accounts), Events: cfg.EventLog, Task: cfg.Task, Now: l.Clock.Now,
		Logger: cfg.Logger, Links: []labweb.Link{
			{Title: "Identity provider", URL: IDPPrefix + "/", Note: "log in as alice or bob (password samlab) and open AWS"},
			{Title: "IdP metadata", URL: IDPPrefix + "/metadata", Note: "what IAM's SAML provider must hold"},
			{Title: "AWS console", URL: "/console", Note: "the console session after a sign-in"},
		}})
	mux.Handle("/", pages.Index(aws))
	pages.Register(mux)
	mux.Handle(IDPPrefix+"/", http.StripPrefix(IDPPrefix, l.IDP))
	if l.SignIn != nil {
		l.SignIn.SetEvents(cfg.Events)
		for _, p := range signInRoutes {
			mux.Handle(p, l.SignIn)
		}
	}
	return mux, nil
}

// AWSHandler returns the mock AWS alone (IAM and STS at "/"), as
// `samlab sp serve` runs it: the lab's account and, with cfg.Accounts, the
// other accounts served on the same endpoint (accounts.go).
func (l *Lab) AWSHandler(cfg ServerConfig) (http.Handler, error) {
	if cfg.Admin.AccessKeyID == "" || cfg.Admin.SecretAccessKey == "" {
		return nil, errors.New("lab server: an admin access key is required")
	}
	members := append([]Account{{Lab: l, Admin: cfg.Admin}}, cfg.Accounts...)
	ops, creds, err := serveAccounts(members)
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	events := cfg.Events
	if len(members) > 1 && events != nil {
		events = crossAccountEvents{events}
	}
	return awsapi.NewRouter(awsapi.RouterConfig{Operations: ops, JSONOperations: l.Cognito.Operations(), Credentials: creds, Now: l.Clock.Now,
		MaxBodyBytes: cfg.MaxBodyBytes, Events: events, Logger: logger.With("component", "awsapi")})
}

// accountOperations are the Query operations of one account and the access
// keys it knows: its admin key, its IAM users' keys and the sessions its STS
// issued.
func (l *Lab) accountOperations(admin AdminKey, fed *sts.Federation) ([]awsapi.Operation, awsapi.CredentialSource, error) {
	if admin.AccessKeyID == "" || admin.SecretAccessKey == "" {
		return nil, nil, fmt.Errorf("lab server: account %s: an admin access key is required", l.Account.ID())
	}
	cred := awsapi.Credential{AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey,
		Caller: awsapi.Caller{Type: "IAMUser", PrincipalID: adminUserID(admin),
			ARN:       fmt.Sprintf("arn:%s:iam::%s:user/%s", l.Account.Partition(), l.Account.ID(), AdminUserName),
			AccountID: l.Account.ID()}}
	// The admin key is the lab's administrator: no IAM policy restricts it.
	l.Account.SetAdministrators(cred.Caller.ARN)
	// IAM calls made with temporary credentials are limited by their
	// session's policies, which STS knows.
	l.Account.SetSessions(fed)
	creds := func(ctx context.Context, id, token string) (awsapi.Credential, bool) {
		if id == admin.AccessKeyID {
			return cred, true
		}
		if c, ok := l.Account.Credential(ctx, id); ok {
			return c, true // an IAM user's access key
		}
		return l.STS.Credential(ctx, id, token)
	}
	ops := append(l.Account.Operations(), l.STS.Operations()...)
	ops = append(append(ops, l.Account.OIDCProviderOperations()...), l.WebIdentity.Operations()...)
	// STS calls signed with a user's access key update its last use too.
	ops = l.Account.RecordKeyUse(append(fed.GuardIAM(ops), fed.Operations()...))
	return ops, creds, nil
}

// adminUserID derives a stable AIDA… user ID from the admin key ID.
func adminUserID(k AdminKey) string {
	id := k.AccessKeyID
	if len(id) > 4 {
		id = id[4:]
	}
	return "AIDA" + id
}
