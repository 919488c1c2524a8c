package main

import (
	"bufio"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
)

func newIDPCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "idp",
		Short: "The SAML IdP: users, keys, signed responses",
	}
	cmd.AddCommand(newIDPUsersCommand(), newIDPHashPasswordCommand(), newIDPKeysCommand(),
		newIDPRotateCommand(), newIDPAssertCommand(), newIDPFaultsCommand(), newIDPServeCommand(),
		newIDPTokenCommand(), newIDPStatusCommand(), newIDPSetUserCommand(), newIDPSetFaultCommand())
	return cmd
}

// idpOptions are the flags that build an IdP from files: its users and its
// key directory.
type idpOptions struct {
	users       string
	keys        string
	fixtureKeys bool
	entityID    string
	baseURL     string
	bits        int
}

func (o *idpOptions) userFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.users, "users", "", "users file (YAML, see docs/users.md; default: the built-in demo users)")
}

func (o *idpOptions) keyFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.keys, "keys", "", "key directory (see \"samlab idp rotate\"); default: a fresh key that lives only for this command")
	f.BoolVar(&o.fixtureKeys, "fixture-keys", false, "use samlab's built-in test keys when no --keys is given (the keys are public)")
	f.StringVar(&o.entityID, "entity-id", scenarios.DefaultEntityID, "the IdP's entityID (Issuer)")
	f.IntVar(&o.bits, "bits", certs.DefaultBits, "RSA key size for new keys (2048, 3072 or 4096)")
}

// loadUsers reads the users file, or returns the demo users.
func (o *idpOptions) loadUsers() (*idp.Directory, error) {
	if o.users == "" {
		return idp.DemoUsers(), nil
	}
	data, err := os.ReadFile(o.users)
	if err != nil {
		return nil, err
	}
	return idp.LoadUsers(o.users, data)
}

// config builds an idp.Config from the flags; keyring is nil when no key
// directory was given.
func (o *idpOptions) config() (idp.Config, error) {
	cfg := idp.Config{EntityID: o.entityID, BaseURL: o.baseURL, KeyBits: o.bits}
	if o.fixtureKeys {
		cfg.Keys = certstest.New()
	}
	if o.keys != "" {
		ring, err := idp.LoadKeyring(os.DirFS(o.keys))
		if err != nil {
			return cfg, fmt.Errorf("key directory %s: %w", o.keys, err)
		}
		cfg.Keyring = ring
	}
	return cfg, nil
}

func newIDPUsersCommand() *cobra.Command {
	var o idpOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Check a users file and show its users with their AWS roles",
		Long: `Load a users file (or the built-in demo users), report every problem as
FILE:LINE: reason, and list each user with the groups, roles and AWS
attributes their assertions will carry.`,
		Example: `  samlab idp users
  samlab idp users --users ./users.yaml
  samlab idp users --users ./users.yaml --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := o.loadUsers()
			if err != nil {
				return err
			}
			var users []idp.User
			for _, n := range d.Names() {
				u, _ := d.User(n)
				users = append(users, u)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if users == nil {
					users = []idp.User{}
				}
				return writeJSON(out, users)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tEMAIL\tGROUPS\tROLE\tPROVIDER")
			for _, u := range users {
				if len(u.Roles) == 0 {
					fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\n", u.Name, u.Email, strings.Join(u.Groups, ","))
				}
				for i, r := range u.Roles {
					name, email, groups := u.Name, u.Email, strings.Join(u.Groups, ",")
					if i > 0 {
						name, email, groups = "", "", ""
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, email, groups, r.RoleARN, r.ProviderARN)
				}
			}
			return tw.Flush()
		},
	}
	o.userFlags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newIDPHashPasswordCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "hash-password",
		Short: "Read a password on standard input and print its bcrypt hash for a users file",
		Example: `  echo -n 's3cret' | samlab idp hash-password
  samlab idp hash-password < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := readLine(cmd.InOrStdin())
			if err != nil {
				return err
			}
			if pw == "" {
				return errors.New("empty password on standard input")
			}
			h, err := idp.HashPassword(pw)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), h)
			return err
		},
	}
}

// readLine reads one line (without its line ending) from r.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newIDPFaultsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "faults",
		Short: "List the faults that \"samlab idp assert --fault\" and scenario files can inject",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			all := idp.Faults()
			for _, n := range idp.FaultNames() {
				fmt.Fprintf(tw, "%s\t%s\n", n, all[idp.Fault(n)])
			}
			return tw.Flush()
		},
	}
}

func newIDPKeysCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Show the signing keys of a key directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ring, err := idp.LoadKeyring(os.DirFS(dir))
			if err != nil {
				return fmt.Errorf("key directory %s: %w", dir, err)
			}
			return printKeyring(cmd.OutOrStdout(), ring, time.Now())
		},
	}
	cmd.Flags().StringVar(&dir, "keys", "", "key directory (required)")
	_ = cmd.MarkFlagRequired("keys")
	return cmd
}

func printKeyring(w io.Writer, ring *idp.Keyring, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tPUBLISHED\tBITS\tSHA-1 FINGERPRINT\tNOT AFTER\t")
	row := func(slot string, published bool, kp *certs.KeyPair) {
		pub := "no"
		if published {
			pub = "yes"
		}
		note := ""
		if !certs.ValidAt(kp.Cert, now) {
			note = "EXPIRED or not yet valid"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", slot, pub, kp.Key.N.BitLen(), certs.FingerprintSHA1(kp.Cert),
			kp.Cert.NotAfter.UTC().Format(time.RFC3339), note)
	}
	row("current (signing)", true, ring.Current)
	if ring.Next != nil {
		row("next", true, ring.Next)
	}
	for i, kp := range ring.Previous {
		row(fmt.Sprintf("previous-%d", i+1), false, kp)
	}
	return tw.Flush()
}

type rotateOptions struct {
	idpOptions
	rollover  bool
	oidc      bool
	revert    bool
	kid       string
	validFor  time.Duration
	notBefore string
	notAfter  string
	remote    remoteIDPFlags
}

func newIDPRotateCommand() *cobra.Command {
	var o rotateOptions
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate the IdP's signing key in a key directory",
		Long: `Rotate the signing key kept in a key directory (PEM files: current.key/.crt,
next.key/.crt during a rollover, previous-N.key/.crt for retired keys). The
directory is created with a first key when it holds none.

Without --rollover the switch is immediate: a new key signs at once and the old
certificate leaves the metadata, which breaks every SP (such as an AWS SAML
provider) that still holds only the old certificate.

With --rollover the new key is only staged: the metadata publishes the old and
new certificates, so the SPs can be updated first. A later "samlab idp rotate"
(without --rollover) switches to the staged key.

--not-before/--not-after make certificates with a chosen validity window, for
example an already-expired one for expiry scenarios.

With --endpoint instead of --keys, the IdP of a running lab (samlab up,
samlab lab start) rotates its own keys, by the same rules; the lab's admin
key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY authenticates the call.

With --endpoint and --oidc, a lab's OpenID Connect provider rotates the keys
of its JWKS instead: at once, or with --rollover by publishing the next key
beside the current one first. --revert undoes a switch: the previous key (or
the retired key --kid names) signs again, and the current key stays in the
JWKS as the next key, for a later "samlab idp rotate --oidc" to switch to.`,
		Example: `  samlab idp rotate --keys ./idp-keys --rollover   # publish old + new
  samlab metadata export --keys ./idp-keys -o idp.xml
  aws iam update-saml-provider --saml-provider-arn ARN --saml-metadata-document file://idp.xml
  samlab idp rotate --keys ./idp-keys              # switch to the new key
  samlab idp rotate --keys ./idp-keys --not-before 2020-01-01T00:00:00Z --not-after 2021-01-01T00:00:00Z
  samlab idp rotate --endpoint http://127.0.0.1:8765 --rollover   # a running lab's IdP
  samlab idp rotate --endpoint http://127.0.0.1:8765 --oidc --rollover   # publish the next OIDC key
  samlab idp rotate --endpoint http://127.0.0.1:8765 --oidc --revert     # sign with the previous OIDC key again`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRotate(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.keys, "keys", "", "key directory (created when missing); or --endpoint")
	f.StringVar(&o.entityID, "entity-id", scenarios.DefaultEntityID, "subject of new certificates")
	f.IntVar(&o.bits, "bits", certs.DefaultBits, "RSA key size of the new key (2048, 3072 or 4096)")
	f.BoolVar(&o.rollover, "rollover", false, "stage the new key beside the current one instead of switching")
	f.BoolVar(&o.oidc, "oidc", false, "with --endpoint: rotate the lab's OpenID Connect signing keys (its JWKS)")
	f.BoolVar(&o.revert, "revert", false, "with --oidc: sign with the previous key again and keep the current one published as the next key")
	f.StringVar(&o.kid, "kid", "", "with --revert: the kid of the retired key to sign with again (default: the previous key)")
	f.DurationVar(&o.validFor, "valid-for", certs.DefaultValidity, "validity of the new certificate")
	f.StringVar(&o.notBefore, "not-before", "", "certificate validity start (RFC 3339), with --not-after")
	f.StringVar(&o.notAfter, "not-after", "", "certificate validity end (RFC 3339), with --not-before")
	cmd.MarkFlagsRequiredTogether("not-before", "not-after")
	o.remote.flags(cmd, false)
	cmd.MarkFlagsOneRequired("keys", "endpoint")
	cmd.MarkFlagsMutuallyExclusive("keys", "endpoint")
	cmd.MarkFlagsMutuallyExclusive("keys", "oidc")
	cmd.MarkFlagsMutuallyExclusive("rollover", "revert")
	return cmd
}

func runRotate(cmd *cobra.Command, o rotateOptions) error {
	if o.remote.endpoint != "" {
		return runRemoteRotate(cmd, o)
	}
	certOpts := []certs.Option{certs.WithBits(o.bits), certs.WithSubject(o.entityID)}
	now := time.Now().UTC().Truncate(time.Second)
	if o.notBefore != "" {
		nb, err := time.Parse(time.RFC3339, o.notBefore)
		if err != nil {
			return fmt.Errorf("--not-before: %w", err)
		}
		na, err := time.Parse(time.RFC3339, o.notAfter)
		if err != nil {
			return fmt.Errorf("--not-after: %w", err)
		}
		certOpts = append(certOpts, certs.WithValidity(nb, na))
	} else {
		certOpts = append(certOpts, certs.WithValidity(now.Add(-time.Hour), now.Add(o.validFor)))
	}
	newKey := func() (*certs.KeyPair, error) { return certs.New(certOpts...) }
	out := cmd.OutOrStdout()
	ring, change, err := idp.RotateKeyDir(o.keys, o.rollover, newKey)
	if err != nil {
		return err
	}
	switch change {
	case idp.KeysCreated:
		fmt.Fprintf(out, "created key directory %s with a first signing key\n", o.keys)
	case idp.KeyStaged:
		fmt.Fprintln(out, "staged a next key: the metadata now publishes the current and the next certificate.\n"+
			"Update every SP with it (samlab metadata export), then run \"samlab idp rotate\" to switch.")
	case idp.KeyAlreadyStaged:
		fmt.Fprintln(out, "a next key is already staged; run without --rollover to switch to it")
	default:
		fmt.Fprintf(out, "%s.\n", change)
	}
	return printKeyring(out, ring, time.Now())
}

type assertOptions struct {
	idpOptions
	user, role, sign, sigMethod, digest, nameID string
	recipient, audience, fault, encryptCert     string
	cipher                                      string
	lifetime, sessionLifetime                   time.Duration
	asXML                                       bool
	remote                                      remoteAssertOptions
}

func newIDPAssertCommand() *cobra.Command {
	var o assertOptions
	cmd := &cobra.Command{
		Use:   "assert",
		Short: "Print a signed SAMLResponse (base64) for aws sts assume-role-with-saml",
		Long: `Build and sign a SAML Response for AWS for one user, and print it base64-encoded:
the form of the SAMLResponse field and of AssumeRoleWithSAML's SAMLAssertion.
Without --keys the response is signed with a key that exists only for this
command; give the key directory whose metadata the SAML provider holds.

With --endpoint, the response comes from a running IdP instead (samlab up, a
lab, or samlab idp serve), signed with its key and carrying the faults it
injects: the command logs in through the IdP's login form as --user (password
from --password-file, --password-stdin, $SAMLAB_PASSWORD or a prompt) and asks
its GET /assertion endpoint. --output json adds the role and provider ARNs and
a ready-to-paste aws sts assume-role-with-saml command.`,
		Example: `  samlab idp assert --user alice --keys ./idp-keys
  aws sts assume-role-with-saml --endpoint-url http://127.0.0.1:8765 \
    --role-arn arn:aws:iam::123456789012:role/SAMLAdmin \
    --principal-arn arn:aws:iam::123456789012:saml-provider/samlab \
    --saml-assertion "$(samlab idp assert --user alice --keys ./idp-keys)"
  samlab idp assert --user alice --keys ./idp-keys --fault tamper
  samlab idp assert --user bob --users ./users.yaml --sign both --signature-method rsa-sha1 --xml

  # from a running samlab up
  samlab idp assert --endpoint http://127.0.0.1:8765 --user alice > samlresponse.b64
  samlab idp assert --endpoint http://127.0.0.1:8765 --user bob --role arn:aws:iam::123456789012:role/SAMLReadOnly \
    --output json --saml-file samlresponse.b64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAssert(cmd, o) },
	}
	o.userFlags(cmd)
	o.keyFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.user, "user", "", "user name (required)")
	f.StringVar(&o.role, "role", "", "send only this role ARN (one of the user's roles)")
	f.StringVar(&o.sign, "sign", "assertion", "what to sign: assertion, response, both or none")
	f.StringVar(&o.sigMethod, "signature-method", "rsa-sha256", "rsa-sha256 or rsa-sha1")
	f.StringVar(&o.digest, "digest", "sha256", "digest method: sha256 or sha1")
	f.StringVar(&o.nameID, "name-id-format", "persistent", "persistent, transient, email or unspecified")
	f.StringVar(&o.recipient, "recipient", "", "SubjectConfirmationData Recipient and Destination (default "+idp.AWSSignInURL+")")
	f.StringVar(&o.audience, "audience", "", "AudienceRestriction value (default "+idp.AWSAudience+")")
	f.DurationVar(&o.lifetime, "lifetime", 5*time.Minute, "assertion validity")
	f.DurationVar(&o.sessionLifetime, "session-lifetime", 0, "set AuthnStatement SessionNotOnOrAfter this far ahead (AWS caps sessions at it)")
	f.StringVar(&o.fault, "fault", "", "inject a fault (see \"samlab idp faults\")")
	f.StringVar(&o.encryptCert, "encrypt-cert", "", "encrypt the assertion for this certificate (PEM file)")
	f.StringVar(&o.cipher, "cipher", idp.CipherAES128GCM, "block cipher with --encrypt-cert: "+strings.Join(idp.Ciphers(), ", "))
	f.BoolVar(&o.asXML, "xml", false, "print the XML instead of base64")
	o.remote.flags(cmd)
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

// signingOptions and nameIDFormat parse the flags with idp's parsers and
// name the flag in errors.
func signingOptions(sign, sigMethod, digest string) (idp.SigningOptions, error) {
	so, err := idp.ParseSigning(sign, sigMethod, digest)
	if err != nil {
		return so, fmt.Errorf("--sign/--signature-method/--digest: %w", err)
	}
	return so, nil
}

func nameIDFormat(s string) (string, error) {
	f, err := idp.ParseNameIDFormat(s)
	if err != nil {
		return "", fmt.Errorf("--name-id-format: %w", err)
	}
	return f, nil
}

func runAssert(cmd *cobra.Command, o assertOptions) error {
	if o.remote.endpoint != "" {
		return runRemoteAssert(cmd, o)
	}
	if err := o.remote.onlyWithEndpoint(cmd); err != nil {
		return err
	}
	users, err := o.loadUsers()
	if err != nil {
		return err
	}
	u, ok := users.User(o.user)
	if !ok {
		return fmt.Errorf("unknown user %q (users: %s)", o.user, strings.Join(users.Names(), ", "))
	}
	fault, err := idp.ParseFault(o.fault)
	if err != nil {
		return err
	}
	signing, err := signingOptions(o.sign, o.sigMethod, o.digest)
	if err != nil {
		return err
	}
	format, err := nameIDFormat(o.nameID)
	if err != nil {
		return err
	}
	ropts := idp.ResponseOptions{Signing: &signing, NameIDFormat: format, Recipient: o.recipient,
		Audience: o.audience, Lifetime: o.lifetime, SessionLifetime: o.sessionLifetime}
	if o.role != "" {
		i := slices.IndexFunc(u.Roles, func(r idp.Role) bool { return r.RoleARN == o.role })
		if i < 0 {
			return fmt.Errorf("user %q is not mapped to role %q (roles: %s)", u.Name, o.role, roleList(u.Roles))
		}
		ropts.Roles = []idp.Role{u.Roles[i]}
	}
	if o.encryptCert != "" {
		c, err := readCert(o.encryptCert)
		if err != nil {
			return err
		}
		ropts.Encryption = &idp.EncryptionOptions{Cert: c, Cipher: o.cipher}
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	if cfg.Keyring == nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "samlab: note: no --keys directory; signing with a key no SAML provider knows")
	}
	s, err := idp.New(cfg)
	if err != nil {
		return err
	}
	resp, err := s.FaultyResponse(u, ropts, fault)
	if err != nil {
		return err
	}
	if o.asXML {
		_, err = fmt.Fprintln(cmd.OutOrStdout(), string(resp.XML))
		return err
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), resp.Base64())
	return err
}

func roleList(rs []idp.Role) string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.RoleARN)
	}
	return strings.Join(out, ", ")
}

func readCert(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	cs, err := certs.ParseCertsPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cs[0], nil
}
