package iam

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// DefaultAccountID is the demo account of samlab's default lab.
const DefaultAccountID = "123456789012"

// Limits from the IAM API reference and IAM quotas (shared/spec §8).
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
}

// Account is an in-memory IAM account. It is safe for concurrent use.
type Account struct {
	id, partition string
	now           func() time.Time
	rand          io.Reader

	mu        sync.RWMutex
	providers map[string]*SAMLProvider // by ARN
	roles     map[string]*Role         // by name
}

// NewAccount returns an empty account.
func NewAccount(cfg Config) *Account {
	a := &Account{id: cfg.ID, partition: cfg.Partition, now: cfg.Now, rand: cfg.Rand,
		providers: map[string]*SAMLProvider{}, roles: map[string]*Role{}}
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
	Metadata   *metadata.EntityDescriptor
	CreateDate time.Time
	ValidUntil time.Time
}

var providerNameRE = regexp.MustCompile(`^[\w._-]{1,128}$`)

// ProviderARN returns the ARN of the SAML provider called name.
func (a *Account) ProviderARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:saml-provider/%s", a.partition, a.id, name)
}

// CreateSAMLProvider registers metadata under name and returns the provider.
func (a *Account) CreateSAMLProvider(name string, doc []byte) (*SAMLProvider, error) {
	if !providerNameRE.MatchString(name) {
		return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
			"1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w._-]+", name)
	}
	md, err := parseProviderMetadata(doc)
	if err != nil {
		return nil, err
	}
	arn := a.ProviderARN(name)
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.providers[arn]; ok {
		return nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "SAMLProvider %s already exists.", name)
	}
	if len(a.providers) >= MaxProviders {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for SAMLProvidersPerAccount: %d", MaxProviders)
	}
	now := a.now().UTC().Truncate(time.Second)
	p := &SAMLProvider{ARN: arn, Name: name, UUID: a.newUUID(), MetadataDocument: append([]byte(nil), doc...),
		Metadata: md, CreateDate: now, ValidUntil: validUntil(md, now)}
	a.providers[arn] = p
	return p.clone(), nil
}

// UpdateSAMLProvider replaces the provider's registered metadata.
func (a *Account) UpdateSAMLProvider(arn string, doc []byte) (*SAMLProvider, error) {
	md, err := parseProviderMetadata(doc)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.providers[arn]
	if !ok {
		return nil, noSuchProvider(arn)
	}
	p.MetadataDocument = append([]byte(nil), doc...)
	p.Metadata = md
	p.ValidUntil = validUntil(md, p.CreateDate)
	return p.clone(), nil
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
	delete(a.providers, arn)
	return nil
}

func noSuchProvider(arn string) *awsapi.Error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "Manifest not found for arn %s", arn)
}

func (p *SAMLProvider) clone() *SAMLProvider {
	c := *p
	c.MetadataDocument = append([]byte(nil), p.MetadataDocument...)
	return &c
}

func parseProviderMetadata(doc []byte) (*metadata.EntityDescriptor, error) {
	if len(doc) < MinMetadataSize || len(doc) > MaxMetadataSize {
		return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
			"1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length between %d and %d", MinMetadataSize, MaxMetadataSize)
	}
	md, err := metadata.Parse(doc)
	if err != nil {
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidInput, Status: http.StatusBadRequest,
			Message: "Could not parse metadata", Err: err}
	}
	if len(md.SigningCerts) == 0 {
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidInput, Status: http.StatusBadRequest,
			Message: "Could not parse metadata", Err: metadata.ErrNoSigningCert}
	}
	return md, nil
}

// validUntil is the provider's ValidUntil: the metadata's validUntil when
// present, else CreateDate + 100 years (shared/spec §8, unverified derivation
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
