package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/scenarios/labweb"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

func TestParseAccounts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", []string{"123456789012"}, ""},
		{"1", []string{"123456789012"}, ""},
		{"3", []string{"123456789012", "111122223333", "444455556666"}, ""},
		{"999999999999,111111111111", []string{"999999999999", "111111111111"}, ""},
		{" 999999999999 , 111111111111 ", []string{"999999999999", "111111111111"}, ""},
		{"111111111111", []string{"111111111111"}, ""},
		{"0", nil, "--accounts 0: give between 1 and 20 accounts"},
		{"21", nil, "--accounts 21: give between 1 and 20 accounts"},
		{"12345678901,111111111111", nil, `--accounts: "12345678901" is not a 12-digit account ID`},
		{"111111111111,111111111111", nil, "--accounts: account 111111111111 is given twice"},
		{"111111111111,", nil, `--accounts: "" is not a 12-digit account ID`},
	} {
		got, err := parseAccounts(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("parseAccounts(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("parseAccounts(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

var peerKeyRE = regexp.MustCompile(`account\s+(\d{12})\n\s+admin access key id\s+(\S+)\n\s+admin secret access key\s+(\S+)`)

// TestUpAccountsPersist: `samlab up --accounts` prints an admin key per
// account; each account keeps its own IAM state and admin key in --state
// across a restart, and the event file names the account of each call.
func TestUpAccountsPersist(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	const dev, prod = "999999999999", "111111111111"
	up := startUp(t, "--accounts", dev+","+prod, "--state", dir, "--events", events)
	m := peerKeyRE.FindStringSubmatch(up.out.String())
	if m == nil || m[1] != prod {
		t.Fatalf("banner lacks the second account's admin key:\n%s", up.out)
	}
	prodCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(m[2], m[3], "")}
	iamOf := func(cfg aws.Config, endpoint string) *iamsdk.Client {
		return iamsdk.NewFromConfig(cfg, func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(endpoint) })
	}
	for _, tt := range []struct {
		cfg  aws.Config
		want string
	}{{up.config(), dev}, {prodCfg, prod}} {
		who, err := stssdk.NewFromConfig(tt.cfg, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) }).
			GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
		if err != nil || aws.ToString(who.Account) != tt.want {
			t.Errorf("GetCallerIdentity = %v, %v; want account %s", who, err, tt.want)
		}
	}
	// Each admin key carries its account, as AWS's key IDs do.
	for key, want := range map[string]string{m[2]: prod, up.keyID: dev} {
		info, err := stssdk.NewFromConfig(up.config(), func(o *stssdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) }).
			GetAccessKeyInfo(ctx, &stssdk.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
		if err != nil || aws.ToString(info.Account) != want {
			t.Errorf("GetAccessKeyInfo(%s) = %v, %v; want %s", key, info, err, want)
		}
	}
	if _, err := iamOf(prodCfg, up.endpoint).CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("ProdOnly")}); err != nil {
		t.Fatalf("CreateUser in %s: %v", prod, err)
	}
	// The further account has none of the demo SAML roles (their trust would
	// name a provider only the first account has); the first keeps them.
	for _, tt := range []struct {
		cfg  aws.Config
		want []string
	}{{up.config(), []string{"SAMLAdmin", "SAMLReadOnly"}}, {prodCfg, nil}} {
		roles, err := iamOf(tt.cfg, up.endpoint).ListRoles(ctx, &iamsdk.ListRolesInput{})
		if err != nil {
			t.Fatalf("ListRoles: %v", err)
		}
		var got []string
		for _, r := range roles.Roles {
			got = append(got, aws.ToString(r.RoleName))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListRoles = %v, want %v", got, tt.want)
		}
	}
	// The lab pages' IAM state shows both accounts.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, up.endpoint+labweb.IAMPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, id := range []string{dev, prod} {
		if !strings.Contains(string(page), `id="account-`+id+`"`) {
			t.Errorf("the IAM page of samlab up --accounts has no section for %s", id)
		}
	}
	if err := up.stop(); err != nil {
		t.Fatalf("samlab up did not shut down cleanly: %v\n%s", err, up.out)
	}
	out, err := run(t, "events", events, "--json")
	if err != nil {
		t.Fatalf("samlab events: %v\n%s", err, out)
	}
	var evs []awsapi.Event
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatal(err)
	}
	recipients := map[string]string{}
	for _, e := range evs {
		recipients[e.EventName+" "+e.UserIdentity.AccountID] = e.RecipientAccountID
	}
	if recipients["CreateUser "+prod] != prod || recipients["GetCallerIdentity "+dev] != dev {
		t.Errorf("recipientAccountId by call = %v", recipients)
	}
	out, err = run(t, "events", events, "--account", prod, "--json")
	if err != nil {
		t.Fatalf("samlab events --account: %v\n%s", err, out)
	}
	evs = nil
	if err := json.Unmarshal([]byte(out), &evs); err != nil || len(evs) != 3 {
		t.Fatalf("samlab events --account %s = %d events (%v), want its GetCallerIdentity, CreateUser and ListRoles:\n%s", prod, len(evs), err, out)
	}
	for _, e := range evs {
		if e.UserIdentity.AccountID != prod {
			t.Errorf("samlab events --account %s lists a call by %s", prod, e.UserIdentity.ARN)
		}
	}

	// Each account's session keys rotate on their own.
	for _, acct := range []string{prod, dev} {
		if out, err := run(t, "sp", "rotate-session-key", "--state", dir, "--account", acct); err != nil || !strings.Contains(out, "1 older key(s)") {
			t.Errorf("rotate-session-key --account %s: %v\n%s", acct, err, out)
		}
	}
	if out, err := run(t, "sp", "rotate-session-key", "--state", dir, "--account", "42"); err == nil {
		t.Errorf("rotate-session-key --account 42 succeeded:\n%s", out)
	}

	again := startUp(t, "--accounts", dev+","+prod, "--state", dir)
	m2 := peerKeyRE.FindStringSubmatch(again.out.String())
	if m2 == nil || m2[2] != m[2] || m2[3] != m[3] || again.keyID != up.keyID {
		t.Fatalf("admin keys after restart differ:\n%s", again.out)
	}
	if _, err := iamOf(prodCfg, again.endpoint).GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("ProdOnly")}); err != nil {
		t.Errorf("GetUser in %s after restart: %v", prod, err)
	}
	if _, err := iamOf(again.config(), again.endpoint).GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("ProdOnly")}); err == nil {
		t.Errorf("the user of %s is visible in %s", prod, dev)
	}
}
