package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/internal/capture"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/sts"
)

// explainSchema names the JSON output's format; docs/explain.md documents it.
const explainSchema = "samlab.explain/v1"

type explainOptions struct {
	metadataFile    string
	idpMetadata     string
	responseFile    string
	roleFile        string
	keyFiles        []string
	role            string
	provider        string
	at              string
	output          string
	asJSON          bool
	endpoint        string
	state           string
	region          string
	durationSeconds int
	maxSession      int
	encryptionMode  string
	writeFixes      string
}

func newExplainCommand() *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain --response CAPTURE (--metadata REGISTERED | --endpoint URL | --state DIR)",
		Short: "Explain why AWS would accept or reject a captured SAMLResponse, and how to fix it",
		Long: `Replay AssumeRoleWithSAML for a captured SAMLResponse against what IAM holds
(the registered metadata, the role's trust policy, the provider's decryption
keys) and report, in this order: AWS's verdict (code, HTTP status, exact
message); every independent finding (signature against each registered
certificate, issuer, times against --at, audience, recipient and endpoint,
Role pairs, RoleSessionName, SessionDuration, tags, SourceIdentity,
encryption, the trust policy with the condition that failed); what could
not be judged for lack of input; and the fix, most likely first, with the
exact aws commands or the IdP setting to change.

--response takes a file, "-" for stdin, in any of these forms: the base64
SAMLResponse form value, the response XML, the form body copied from the
browser (SAMLResponse=...&RelayState=...), an HTML page or saml2aws --verbose
log that contains the form, or a HAR file (every SAMLResponse posted in it
gets its own report).

What IAM holds comes from one of:
  --metadata  the registered metadata: XML, "aws iam get-saml-provider" JSON,
              the IAM API's GetSAMLProvider XML, or an http(s) URL on loopback
  --endpoint  a running samlab: provider and role are read through its IAM
              API with the credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
  --state     a samlab state directory (samlab up --state DIR, not running):
              provider, role and the provider's private keys
With --metadata, add --role-file (aws iam get-role JSON, or the trust policy)
to judge the trust policy, and --key for an encrypted assertion.

Exit status: 0 accepted, 1 rejected (any report, for a HAR), 2 unusable input.`,
		Example: `  samlab explain --response sign-in.har --metadata registered.xml --role-file role.json
  aws iam get-saml-provider --saml-provider-arn ARN > provider.json
  samlab explain --response captured.b64 --metadata provider.json --at issue-instant
  pbpaste | samlab explain --response - --endpoint http://127.0.0.1:8765 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExplain(cmd, o) },
	}
	o.inputFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "text or json (schema "+explainSchema+", see docs/explain.md)")
	f.BoolVar(&o.asJSON, "json", false, "same as --output json")
	f.StringVar(&o.writeFixes, "write-fixes", "", "write the files the fix commands read (e.g. trust-policy.json) into this directory")
	return cmd
}

// inputFlags declares the flags that say what was captured and what IAM
// holds; explain and scenario from-capture share them.
func (o *explainOptions) inputFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.responseFile, "response", "", `captured SAMLResponse: base64, XML, form body, HTML/log, or HAR ("-" for stdin; required)`)
	f.StringVar(&o.metadataFile, "metadata", "", "registered metadata: XML, get-saml-provider JSON/XML, or a loopback URL")
	f.StringVar(&o.idpMetadata, "idp-metadata", "", "the IdP's current metadata (file or loopback URL): tells a rotation from a foreign signer; fix commands name it")
	f.StringVar(&o.endpoint, "endpoint", "", "URL of a running samlab whose IAM holds the provider and role")
	f.StringVar(&o.state, "state", "", "state directory of a samlab that is not running")
	f.StringVar(&o.region, "region", "us-east-1", "region for --endpoint's IAM calls")
	f.StringVar(&o.roleFile, "role-file", "", "the role as \"aws iam get-role\" prints it, or its trust policy (judges the trust policy)")
	f.StringArrayVar(&o.keyFiles, "key", nil, "the provider's private key (PEM) for an encrypted assertion; repeatable")
	f.StringVar(&o.role, "role", "", "role ARN to assume (default: the role file's, else the response's first Role value)")
	f.StringVar(&o.provider, "provider", "", "SAML provider ARN (default: the one paired with the role in the response)")
	f.StringVar(&o.at, "at", "now", `when to judge the response: "now", "issue-instant" (when it was issued), "posted" (HAR time), or an RFC 3339 time`)
	f.IntVar(&o.durationSeconds, "duration-seconds", 0, "DurationSeconds of the failing call (default: none, i.e. 3600)")
	f.IntVar(&o.maxSession, "max-session-duration", 0, "the role's MaxSessionDuration in seconds (default: from the role file)")
	f.StringVar(&o.encryptionMode, "encryption-mode", "", "the provider's AssertionEncryptionMode, Required or Allowed (default: from the metadata input)")
	_ = cmd.MarkFlagRequired("response")
	cmd.MarkFlagsMutuallyExclusive("metadata", "endpoint", "state")
}

// explainReport is one report of the JSON output: the explanation (verdict
// first) and where the response came from.
type explainReport struct {
	*sts.Explanation
	Source     string    `json:"source"`
	PostedTo   string    `json:"posted_to,omitempty"`
	PostedAt   time.Time `json:"posted_at,omitzero"`
	Registered string    `json:"registered_from"`
}

type explainOutput struct {
	Schema  string          `json:"schema"`
	Reports []explainReport `json:"reports"`
}

func badInput(err error) error { return &exitError{code: 2, err: err} }

func collectExplanations(cmd *cobra.Command, o explainOptions) (*explainOutput, error) {
	ctx := cmd.Context()
	if o.metadataFile == "" && o.endpoint == "" && o.state == "" {
		return nil, badInput(errors.New("say what IAM holds: --metadata FILE, --endpoint URL or --state DIR"))
	}
	data, err := capture.Open(ctx, o.responseFile, cmd.InOrStdin(), 0)
	if err != nil {
		return nil, badInput(fmt.Errorf("--response %w", err))
	}
	name := o.responseFile
	if name == "-" {
		name = "stdin"
	}
	responses, err := capture.Responses(name, data)
	if err != nil {
		return nil, badInput(err)
	}
	var keys []string
	for _, k := range o.keyFiles {
		data, err := capture.ReadFile(k, 1<<20)
		if err != nil {
			return nil, badInput(fmt.Errorf("--key %w", err))
		}
		ks, err := capture.PrivateKeys(k, data)
		if err != nil {
			return nil, badInput(fmt.Errorf("--key %w", err))
		}
		keys = append(keys, ks...)
	}
	var role *capture.Role
	if o.roleFile != "" {
		data, err := capture.Open(ctx, o.roleFile, cmd.InOrStdin(), 1<<20)
		if err != nil {
			return nil, badInput(fmt.Errorf("--role-file %w", err))
		}
		if role, err = capture.RoleOrPolicy(o.roleFile, data); err != nil {
			return nil, badInput(fmt.Errorf("--role-file %w", err))
		}
	}
	var idpMD []byte
	if o.idpMetadata != "" {
		data, err := capture.Open(ctx, o.idpMetadata, cmd.InOrStdin(), 0)
		if err != nil {
			return nil, badInput(fmt.Errorf("--idp-metadata %w", err))
		}
		p, err := capture.ProviderMetadata(o.idpMetadata, data)
		if err != nil {
			return nil, badInput(fmt.Errorf("--idp-metadata %w", err))
		}
		idpMD = p.Metadata
	}
	var src iamSource
	switch {
	case o.endpoint != "":
		src, err = newEndpointSource(o.endpoint, o.region)
	case o.state != "":
		src, err = openStateSource(o.state)
	default:
		src, err = newMetadataSource(ctx, o.metadataFile, cmd.InOrStdin())
	}
	if err != nil {
		return nil, badInput(err)
	}
	defer src.Close()

	out := explainOutput{Schema: explainSchema}
	for _, r := range responses {
		in := sts.ExplainInput{SAMLResponse: r.Base64, RoleARN: o.role, ProviderARN: o.provider, PrivateKeys: keys, IDPMetadata: idpMD}
		if o.idpMetadata != "" && !strings.Contains(o.idpMetadata, "://") {
			in.MetadataFile = o.idpMetadata
		}
		if o.metadataFile != "" && o.metadataFile != "-" && !strings.Contains(o.metadataFile, "://") {
			in.RegisteredFile = o.metadataFile
		}
		if role != nil {
			in.TrustPolicy, in.MaxSessionDuration = role.TrustPolicy, role.MaxSessionDuration
			if in.RoleARN == "" {
				in.RoleARN = role.ARN
			}
		}
		if err := pickRolePair(&in, append(slices.Clone(keys), src.Keys()...)); err != nil {
			return nil, badInput(fmt.Errorf("%s: %w", r.Source, err))
		}
		reg, err := src.Lookup(ctx, in.ProviderARN, in.RoleARN)
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: %w", r.Source, err))
		}
		in.NoProvider = reg.noProvider
		if _, err := metadata.Parse(reg.metadata); err != nil && !reg.noProvider {
			return nil, badInput(fmt.Errorf("%s: not usable as registered SAML metadata: %w", reg.source, err))
		}
		in.Metadata, in.AssertionEncryptionMode = reg.metadata, reg.encryptionMode
		in.PrivateKeys = append(in.PrivateKeys, reg.privateKeys...)
		if reg.trustPolicy != "" && role == nil {
			in.TrustPolicy, in.MaxSessionDuration = reg.trustPolicy, reg.maxSession
		}
		in.NoRole = reg.noRole && role == nil
		if o.encryptionMode != "" {
			in.AssertionEncryptionMode = o.encryptionMode
		}
		if o.maxSession != 0 {
			in.MaxSessionDuration = o.maxSession
		}
		if o.durationSeconds != 0 {
			d := o.durationSeconds
			in.DurationSeconds = &d
		}
		if in.At, err = judgeAt(o.at, r); err != nil {
			return nil, badInput(err)
		}
		ex, err := sts.Explain(ctx, in)
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: %w", r.Source, err))
		}
		out.Reports = append(out.Reports, explainReport{Explanation: ex, Source: r.Source, PostedTo: r.PostedTo, PostedAt: r.PostedAt, Registered: reg.source})
	}
	return &out, nil
}

func runExplain(cmd *cobra.Command, o explainOptions) error {
	if o.asJSON {
		o.output = "json"
	}
	if o.output != "text" && o.output != "json" {
		return badInput(fmt.Errorf("--output %q: want text or json", o.output))
	}
	out, err := collectExplanations(cmd, o)
	if err != nil {
		return err
	}
	if o.writeFixes != "" {
		if err := writeFixFiles(o.writeFixes, out.Reports); err != nil {
			return err
		}
	}
	w := cmd.OutOrStdout()
	if o.output == "json" {
		if err := writeJSON(w, out); err != nil {
			return err
		}
	} else {
		for i, rep := range out.Reports {
			if i > 0 {
				fmt.Fprintln(w)
			}
			printExplanation(w, rep, len(out.Reports) > 1)
		}
	}
	rejected := 0
	for _, rep := range out.Reports {
		if !rep.Accepted {
			rejected++
		}
	}
	if rejected > 0 {
		return &exitError{code: 1, silent: true, err: fmt.Errorf("%d of %d responses rejected", rejected, len(out.Reports))}
	}
	return nil
}

// pickRolePair completes the role and provider ARNs from the response's Role
// attribute: the provider paired with the given role, else the first pair.
func pickRolePair(in *sts.ExplainInput, keys []string) error {
	if in.RoleARN != "" && in.ProviderARN != "" {
		return nil
	}
	pairs := sts.ClaimedRolePairs(in.SAMLResponse, keys)
	for _, p := range pairs {
		if in.RoleARN == "" || p.RoleARN == in.RoleARN {
			if in.RoleARN == "" {
				in.RoleARN = p.RoleARN
			}
			if in.ProviderARN == "" {
				in.ProviderARN = p.ProviderARN
			}
			return nil
		}
	}
	if in.RoleARN != "" && in.ProviderARN == "" && len(pairs) > 0 {
		in.ProviderARN = pairs[0].ProviderARN
		return nil
	}
	if in.RoleARN == "" || in.ProviderARN == "" {
		return errors.New("no role to try: the response has no readable Role attribute; give --role and --provider (and --key for an encrypted assertion)")
	}
	return nil
}

func judgeAt(at string, r capture.Response) (time.Time, error) {
	switch at {
	case "", "now":
		return time.Time{}, nil
	case "issue-instant":
		t, err := sts.IssueInstant(r.Base64)
		if err != nil {
			return time.Time{}, fmt.Errorf("--at issue-instant: %s: %w", r.Source, err)
		}
		return t.Add(time.Second), nil
	case "posted":
		if r.PostedAt.IsZero() {
			return time.Time{}, fmt.Errorf("--at posted: %s has no posting time (only HAR entries do)", r.Source)
		}
		return r.PostedAt, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: want now, issue-instant, posted or an RFC 3339 time such as 2026-01-02T15:04:05Z", at)
	}
	return t, nil
}

func printExplanation(w io.Writer, rep explainReport, several bool) {
	ex := rep.Explanation
	if several || rep.PostedTo != "" {
		fmt.Fprintf(w, "== %s\n", rep.Source)
	}
	switch {
	case ex.Accepted && len(ex.NotJudged) > 0:
		fmt.Fprintf(w, "ACCEPTED as far as judged (see NOT JUDGED): AssumeRoleWithSAML succeeds as %s\n", ex.AssumedRoleARN)
	case ex.Accepted:
		fmt.Fprintf(w, "ACCEPTED: AssumeRoleWithSAML succeeds as %s\n", ex.AssumedRoleARN)
	default:
		fmt.Fprintf(w, "REJECTED: %s (HTTP %d): %s\n", ex.Code, ex.Status, ex.Message)
		if ex.Cause != "" {
			fmt.Fprintf(w, "  cause: %s\n", ex.Cause)
		}
	}
	fmt.Fprintf(w, "  role %s via %s, judged at %s; registered copy from %s\n", ex.RoleARN, ex.ProviderARN, ex.At, rep.Registered)
	fmt.Fprintln(w, "\nFINDINGS")
	for _, f := range ex.Findings {
		mark := "ok  "
		switch {
		case f.NotJudged:
			mark = "n/a "
		case !f.OK:
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %-23s %s\n", mark, f.Check, f.Detail)
	}
	if len(ex.NotJudged) > 0 {
		fmt.Fprintln(w, "\nNOT JUDGED (give the input to judge it)")
		for _, n := range ex.NotJudged {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	if len(ex.Fixes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nTHE FIX (most likely first)")
	for _, f := range ex.Fixes {
		fmt.Fprintf(w, "%2d. [%s] %s\n", f.Rank, f.Where, f.Title)
		if f.Why != "" {
			fmt.Fprintf(w, "    why: %s\n", f.Why)
		}
		if f.IDPSetting != "" {
			fmt.Fprintf(w, "    IdP setting: %s\n", f.IDPSetting)
		}
		for _, c := range f.Commands {
			fmt.Fprintf(w, "    $ %s\n", c)
		}
		names := make([]string, 0, len(f.Files))
		for n := range f.Files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "    %s (written by --write-fixes DIR):\n", n)
			for _, line := range strings.Split(strings.TrimRight(f.Files[n], "\n"), "\n") {
				fmt.Fprintf(w, "      %s\n", line)
			}
		}
	}
}

// writeFixFiles writes each fix's files into dir; with several reports the
// files of report N go to dir/N/.
func writeFixFiles(dir string, reports []explainReport) error {
	for i, rep := range reports {
		d := dir
		if len(reports) > 1 {
			d = filepath.Join(dir, fmt.Sprint(i+1))
		}
		for _, f := range rep.Fixes {
			for name, content := range f.Files {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(d, filepath.Base(name)), []byte(content), 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
