package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/samlab-dev/samlab/internal/capture"
	"github.com/samlab-dev/samlab/sp/iam"
)

// registeredState is what IAM holds for one provider and role.
type registeredState struct {
	source         string
	metadata       []byte
	encryptionMode string
	privateKeys    []string // PEM; only a state directory has them
	trustPolicy    string   // "" when not known
	maxSession     int
	noRole         bool // the source is authoritative and has no such role
	noProvider     bool // the source is authoritative and has no such provider
}

// iamSource answers what IAM holds for a provider and role.
type iamSource interface {
	Lookup(ctx context.Context, providerARN, roleARN string) (*registeredState, error)
	// Keys returns every decryption key the source holds (PEM), to read an
	// encrypted response's Role attribute before the provider is known.
	Keys() []string
	Close() error
}

// metadataSource is a metadata input: the same document for every provider.
type metadataSource struct{ p *capture.Provider }

func newMetadataSource(ctx context.Context, name string, stdin io.Reader) (*metadataSource, error) {
	data, err := capture.Open(ctx, name, stdin, 0)
	if err != nil {
		return nil, fmt.Errorf("--metadata %w", err)
	}
	p, err := capture.ProviderMetadata(name, data)
	if err != nil {
		return nil, fmt.Errorf("--metadata %w", err)
	}
	return &metadataSource{p: p}, nil
}

func (s *metadataSource) Lookup(context.Context, string, string) (*registeredState, error) {
	return &registeredState{source: s.p.Source + " (" + s.p.Form + ")", metadata: s.p.Metadata, encryptionMode: s.p.AssertionEncryptionMode}, nil
}

func (s *metadataSource) Close() error { return nil }

func (s *metadataSource) Keys() []string { return nil }

// endpointSource reads a running samlab (or any IAM endpoint) through the
// IAM API with the credentials of the environment.
type endpointSource struct {
	endpoint string
	client   *iamsdk.Client
}

func newEndpointSource(endpoint, region string) (*endpointSource, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--endpoint %q: want the URL of a running samlab, such as http://127.0.0.1:8765", endpoint)
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return nil, errors.New("--endpoint needs the admin credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (samlab up prints them)")
	}
	client := iamsdk.New(iamsdk.Options{Region: region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))})
	return &endpointSource{endpoint: endpoint, client: client}, nil
}

func (s *endpointSource) Lookup(ctx context.Context, providerARN, roleARN string) (*registeredState, error) {
	p, err := s.client.GetSAMLProvider(ctx, &iamsdk.GetSAMLProviderInput{SAMLProviderArn: aws.String(providerARN)})
	if err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			return &registeredState{source: s.endpoint + " GetSAMLProvider (NoSuchEntity)", noProvider: true}, nil
		}
		return nil, fmt.Errorf("--endpoint %s: GetSAMLProvider: %w", s.endpoint, err)
	}
	reg := &registeredState{source: s.endpoint + " GetSAMLProvider", metadata: []byte(aws.ToString(p.SAMLMetadataDocument)),
		encryptionMode: string(p.AssertionEncryptionMode)}
	name, _ := splitRoleName(roleARN)
	r, err := s.client.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			reg.noRole = true
			return reg, nil
		}
		return nil, fmt.Errorf("--endpoint %s: GetRole: %w", s.endpoint, err)
	}
	doc := aws.ToString(r.Role.AssumeRolePolicyDocument)
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	reg.trustPolicy, reg.maxSession = doc, int(aws.ToInt32(r.Role.MaxSessionDuration))
	reg.source += " and GetRole"
	return reg, nil
}

func (s *endpointSource) Close() error { return nil }

// Keys returns nothing: IAM never returns a provider's private keys.
func (s *endpointSource) Keys() []string { return nil }

// stateSource reads a samlab state directory.
type stateSource struct {
	dir       string
	providers []*iam.SAMLProvider
	roles     []*iam.Role
}

func openStateSource(dir string) (*stateSource, error) {
	if _, err := os.Stat(filepath.Join(dir, iam.StateFile)); err != nil {
		return nil, fmt.Errorf("--state %s: no samlab state here (%s missing)", dir, iam.StateFile)
	}
	store, err := iam.OpenBoltStore(dir)
	if err != nil {
		return nil, fmt.Errorf("--state %s: %w (a running samlab holds the state: use --endpoint instead)", dir, err)
	}
	defer store.Close()
	providers, roles, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("--state %s: %w", dir, err)
	}
	return &stateSource{dir: dir, providers: providers, roles: roles}, nil
}

func (s *stateSource) Lookup(_ context.Context, providerARN, roleARN string) (*registeredState, error) {
	for _, p := range s.providers {
		if p.ARN != providerARN {
			continue
		}
		reg := &registeredState{source: "state " + s.dir, metadata: p.MetadataDocument, encryptionMode: p.AssertionEncryptionMode, noRole: true}
		for _, k := range p.PrivateKeys {
			reg.privateKeys = append(reg.privateKeys, k.PEM)
		}
		for _, r := range s.roles {
			if r.ARN == roleARN {
				reg.noRole, reg.trustPolicy, reg.maxSession = false, r.AssumeRolePolicyDocument, r.MaxSessionDuration
			}
		}
		return reg, nil
	}
	return &registeredState{source: "state " + s.dir + " (no such provider)", noProvider: true}, nil
}

func (s *stateSource) Close() error { return nil }

func (s *stateSource) Keys() []string {
	var out []string
	for _, p := range s.providers {
		for _, k := range p.PrivateKeys {
			out = append(out, k.PEM)
		}
	}
	return out
}

// splitRoleName returns a role ARN's name and path.
func splitRoleName(arn string) (name, path string) {
	i := strings.LastIndex(arn, "/")
	name, path = arn[i+1:], "/"
	if j := strings.Index(arn, ":role/"); j >= 0 && i > j+5 {
		path = arn[j+5 : i+1]
	}
	return name, path
}
