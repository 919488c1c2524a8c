package iam

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// DefaultAccountID is the demo account of samlab's default lab.
const DefaultAccountID = "123456789012"

// Limits from the IAM API reference and IAM quotas (docs/aws-behavior.md §8).
const (
	MinMetadataSize   = 1000
	MaxMetadataSize   = 10_000_000
	MaxProviders      = 100
	DefaultMaxSession = 3600
)

// Config configures an Account.
type Config struct {
	// ID is the 12-digit account ID (default DefaultAccountID).
	ID string
	// Partition is the ARN partition (default "aws").
	Partition string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand supplies unique IDs (default crypto/rand).
	Rand io.Reader
	// Store persists providers and roles (default: none, memory only). Use
	// OpenAccount to load what a store already holds.
	Store Store
}

// Account is an in-memory IAM account. It is safe for concurrent use.
type Account struct {
	id, partition string
	now           func() time.Time
	rand          io.Reader
	store         Store

	mu        sync.RWMutex
	providers map[string]*SAMLProvider  // by ARN
	roles     map[string]*Role          // by name
	policies  map[string]*ManagedPolicy // customer managed, by ARN
	alias     string                    // the account alias, "" when none
	ids       identities                // users, groups, MFA devices (user.go)

	oidc oidcProviders // oidcprovider.go

	sessions Sessions // sessions.go; nil: no session policies known
}

// NewAccount returns an empty account.
func NewAccount(cfg Config) *Account {
	a := &Account{id: cfg.ID, partition: cfg.Partition, now: cfg.Now, rand: cfg.Rand, store: cfg.Store,
		providers: map[string]*SAMLProvider{}, roles: map[string]*Role{}, policies: map[string]*ManagedPolicy{},
		ids: newIdentities()}
	if a.id == "" {
		a.id = DefaultAccountID
	}
	if a.partition == "" {
		a.partition = "aws"
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	return a
}

// ID returns the account ID.
func (a *Account) ID() string { return a.id }

// Partition returns the ARN partition.
func (a *Account) Partition() string { return a.partition }

// SAMLProvider is an IAM SAML identity provider. Values returned by Account
// are snapshots: changing them does not change the account.
type SAMLProvider struct {
	ARN  string
	Name string
	UUID string
	// MetadataDocument is the registered metadata, byte for byte.
	MetadataDocument []byte
	// Metadata is MetadataDocument parsed.
	Metadata   *metadata.EntityDescriptor `json:"-"`
	CreateDate time.Time
	ValidUntil time.Time
	// Tags are sorted by key.
	Tags []awsapi.Tag
	// AssertionEncryptionMode is "Required", "Allowed", or "" when never set.
	AssertionEncryptionMode string
	// PrivateKeys are the assertion-decryption keys (at most MaxPrivateKeys).
	PrivateKeys []PrivateKey
}

// PrivateKey is a private key uploaded to a SAML provider for decrypting
// assertions.
type PrivateKey struct {
	KeyID     string
	Timestamp time.Time
	// PEM is the key as uploaded. It is never rendered by GetSAMLProvider.
	PEM string
}

// LogValue redacts the key material.
func (k PrivateKey) LogValue() slog.Value { return slog.StringValue(k.KeyID) }

// ProviderARN returns the ARN of the SAML provider called name.
func (a *Account) ProviderARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:saml-provider/%s", a.partition, a.id, name)
}

// CreateSAMLProvider registers metadata under name and returns the provider.
func (a *Account) CreateSAMLProvider(name string, doc []byte) (*SAMLProvider, error) {
	return a.CreateProvider(CreateSAMLProviderInput{Name: name, MetadataDocument: doc})
}

// CreateSAMLProviderInput is the input of CreateProvider (IAM
// CreateSAMLProvider).
type CreateSAMLProviderInput struct {
	Name             string
	MetadataDocument []byte
	Tags             []awsapi.Tag
	// AssertionEncryptionMode is "Required", "Allowed" or "" (unset).
	AssertionEncryptionMode string
	// AddPrivateKey is a PEM private key for decrypting assertions.
	AddPrivateKey string
}

// CreateProvider implements IAM CreateSAMLProvider: it validates the name,
// metadata, tags and encryption settings, and registers the provider. Errors
// are *awsapi.Error with IAM's codes (docs/aws-behavior.md §8).
func (a *Account) CreateProvider(in CreateSAMLProviderInput) (*SAMLProvider, error) {
	if err := checkOne("Name", shProviderName, in.Name); err != nil {
		return nil, err
	}
	md, err := parseProviderMetadata(in.MetadataDocument)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	if err := checkEncryptionMode(in.AssertionEncryptionMode); err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	var keys []PrivateKey
	if in.AddPrivateKey != "" {
		k, err := a.newPrivateKey(in.AddPrivateKey, now)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if in.AssertionEncryptionMode == EncryptionRequired && len(keys) == 0 {
		return nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, msgRequiredNeedsKey)
	}
	arn := a.ProviderARN(in.Name)
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.providers[arn]; ok {
		return nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "SAMLProvider %s already exists.", in.Name)
	}
	if len(a.providers) >= MaxProviders {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for SAMLProvidersPerAccount: %d", MaxProviders)
	}
	// Real provider IDs start with SAMLSP (docs/aws-behavior.md §15.1 row 12).
	p := &SAMLProvider{ARN: arn, Name: in.Name, UUID: "SAMLSP" + a.newUUID()[:26], MetadataDocument: append([]byte(nil), in.MetadataDocument...),
		Metadata: md, CreateDate: now, ValidUntil: validUntil(md, now), Tags: tags,
		AssertionEncryptionMode: in.AssertionEncryptionMode, PrivateKeys: keys}
	if err := a.putProvider(p); err != nil {
		return nil, err
	}
	return p.clone(), nil
}

// UpdateSAMLProvider replaces the provider's registered metadata.
func (a *Account) UpdateSAMLProvider(arn string, doc []byte) (*SAMLProvider, error) {
	return a.UpdateProvider(UpdateSAMLProviderInput{ARN: arn, MetadataDocument: doc})
}

// UpdateSAMLProviderInput is the input of UpdateProvider (IAM
// UpdateSAMLProvider). Empty fields leave the provider's value unchanged.
type UpdateSAMLProviderInput struct {
	ARN                     string
	MetadataDocument        []byte
	AssertionEncryptionMode string
	AddPrivateKey           string
	// RemovePrivateKey is the KeyId of a private key to remove.
	RemovePrivateKey string
}

// UpdateProvider implements IAM UpdateSAMLProvider: new metadata, encryption
// mode, or one private key added or removed. The rules and their messages
// are those of IAM's troubleshooting guide (codes unverified, docs/aws-behavior.md §8).
func (a *Account) UpdateProvider(in UpdateSAMLProviderInput) (*SAMLProvider, error) {
	if in.MetadataDocument == nil && in.AssertionEncryptionMode == "" && in.AddPrivateKey == "" && in.RemovePrivateKey == "" {
		return nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest,
			"Unable to update identity provider. No updates are defined for metadata or encryption assertion.")
	}
	if in.AddPrivateKey != "" && in.RemovePrivateKey != "" {
		return nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest,
			"Unable to add and remove private keys in the same request. Set a value for only one of the two parameters.")
	}
	var md *metadata.EntityDescriptor
	if in.MetadataDocument != nil {
		var err error
		if md, err = parseProviderMetadata(in.MetadataDocument); err != nil {
			return nil, err
		}
	}
	if err := checkEncryptionMode(in.AssertionEncryptionMode); err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	var added *PrivateKey
	if in.AddPrivateKey != "" {
		k, err := a.newPrivateKey(in.AddPrivateKey, now)
		if err != nil {
			return nil, err
		}
		added = &k
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.providers[in.ARN]
	if !ok {
		return nil, noSuchProvider(in.ARN)
	}
	p := cur.clone()
	if md != nil {
		p.MetadataDocument = append([]byte(nil), in.MetadataDocument...)
		p.Metadata = md
		p.ValidUntil = validUntil(md, p.CreateDate)
	}
	if added != nil {
		if len(p.PrivateKeys) >= MaxPrivateKeys {
			return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Private key limit of %d is reached.", MaxPrivateKeys)
		}
		p.PrivateKeys = append(p.PrivateKeys, *added)
	}
	if in.RemovePrivateKey != "" {
		i := slices.IndexFunc(p.PrivateKeys, func(k PrivateKey) bool { return k.KeyID == in.RemovePrivateKey })
		if i < 0 {
			return nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest,
				"Failed to remove private key because the Key ID does not match a private key.")
		}
		p.PrivateKeys = slices.Delete(p.PrivateKeys, i, i+1)
	}
	if in.AssertionEncryptionMode != "" {
		p.AssertionEncryptionMode = in.AssertionEncryptionMode
	}
	if p.AssertionEncryptionMode == EncryptionRequired && len(p.PrivateKeys) == 0 {
		return nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, msgRequiredNeedsKey)
	}
	if err := a.putProvider(p); err != nil {
		return nil, err
	}
	return p.clone(), nil
}

// TagSAMLProvider adds tags to a provider, replacing values of existing keys.
func (a *Account) TagSAMLProvider(arn string, tags []awsapi.Tag) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.providers[arn]
	if !ok {
		return noSuchProvider(arn)
	}
	merged, err := checkTags(cur.Tags, tags)
	if err != nil {
		return err
	}
	p := cur.clone()
	p.Tags = merged
	return a.putProvider(p)
}

// UntagSAMLProvider removes the tags with the given keys from a provider.
func (a *Account) UntagSAMLProvider(arn string, keys []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.providers[arn]
	if !ok {
		return noSuchProvider(arn)
	}
	p := cur.clone()
	p.Tags = slices.DeleteFunc(p.Tags, func(t awsapi.Tag) bool { return slices.Contains(keys, t.Key) })
	return a.putProvider(p)
}

// putProvider persists p and then installs it. The caller holds a.mu.
func (a *Account) putProvider(p *SAMLProvider) error {
	if a.store != nil {
		if err := a.store.PutProvider(p); err != nil {
			return storeFailure(err)
		}
	}
	a.providers[p.ARN] = p
	return nil
}

// SAMLProvider returns the provider with the given ARN.
func (a *Account) SAMLProvider(arn string) (*SAMLProvider, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	p, ok := a.providers[arn]
	if !ok {
		return nil, noSuchProvider(arn)
	}
	return p.clone(), nil
}

// SAMLProviders lists the providers, sorted by ARN.
func (a *Account) SAMLProviders() []*SAMLProvider {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]*SAMLProvider, 0, len(a.providers))
	for _, p := range a.providers {
		out = append(out, p.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// DeleteSAMLProvider removes a provider. Roles that name it are left alone, as
// on AWS; assuming them through it then fails.
func (a *Account) DeleteSAMLProvider(arn string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.providers[arn]; !ok {
		return noSuchProvider(arn)
	}
	if a.store != nil {
		if err := a.store.DeleteProvider(arn); err != nil {
			return storeFailure(err)
		}
	}
	delete(a.providers, arn)
	return nil
}

// storeFailure is IAM's ServiceFailure for a store that failed to persist a
// change; the in-memory state is left as it was.
func storeFailure(err error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeServiceFailure, Status: http.StatusInternalServerError,
		Message: "The request processing has failed because of an unknown error, exception or failure.", Err: err}
}

func noSuchProvider(arn string) *awsapi.Error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "Manifest not found for arn %s", arn)
}

func (p *SAMLProvider) clone() *SAMLProvider {
	c := *p
	c.MetadataDocument = append([]byte(nil), p.MetadataDocument...)
	c.Tags = slices.Clone(p.Tags)
	c.PrivateKeys = slices.Clone(p.PrivateKeys)
	return &c
}

// msgCouldNotParseMetadata is IAM's message for metadata it rejects (IAM
// troubleshooting guide; the InvalidInput code is presumed, docs/aws-behavior.md §8).
const msgCouldNotParseMetadata = "Could not parse metadata."

func parseProviderMetadata(doc []byte) (*metadata.EntityDescriptor, error) {
	if err := checkOne("SAMLMetadataDocument", shMetadata, string(doc)); err != nil {
		return nil, err
	}
	md, err := metadata.Parse(doc)
	if err != nil {
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidInput, Status: http.StatusBadRequest,
			Message: msgCouldNotParseMetadata, Err: err}
	}
	if len(md.SigningCerts) == 0 {
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidInput, Status: http.StatusBadRequest,
			Message: msgCouldNotParseMetadata, Err: metadata.ErrNoSigningCert}
	}
	return md, nil
}

// validUntil is the provider's ValidUntil: the metadata's validUntil when
// present, else CreateDate + 100 years (docs/aws-behavior.md §8, unverified derivation
// chosen from the CLI example's +100 y).
func validUntil(md *metadata.EntityDescriptor, created time.Time) time.Time {
	if !md.ValidUntil.IsZero() {
		return md.ValidUntil.UTC()
	}
	return created.AddDate(100, 0, 0)
}

func (a *Account) newUUID() string {
	b := make([]byte, 16)
	if _, err := io.ReadFull(a.rand, b); err != nil {
		// crypto/rand does not fail on supported platforms; a custom reader that
		// does gets a deterministic fallback rather than a panic.
		return strings.ToUpper(hex.EncodeToString([]byte(a.now().String())))[:32]
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// ErrNoSuchRole is wrapped by the error Role returns for an unknown role.
var ErrNoSuchRole = errors.New("no such role")
