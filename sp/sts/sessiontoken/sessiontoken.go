// Package sessiontoken encodes an STS role session into its session token,
// so that temporary credentials carry their own state, as AWS's do.
//
// A token is the base64 of a fixed 12-byte prefix (the first 16 characters
// of every token read "IQoJb3JpZ2luX2Vj", as AWS's do), a format version, the
// ID of the key that sealed it, and the session's Claims sealed with
// XChaCha20-Poly1305 under that key. The access key ID and the account ID are
// authenticated with it, so a token only verifies together with the access key
// ID it was issued with, and only under the keyring of the account that issued
// it. The secret access key is an HMAC of the access key ID and the token under
// the same key: whoever holds the keyring can check a SigV4 signature from the
// access key ID and the token alone, with no stored session, so memory does not
// grow with the number of credentials issued, credentials survive a restart
// when the keyring is persisted, and every process holding the same keyring
// accepts them.
//
// A Keyring holds one current key, which seals new tokens, and the keys it
// replaced, which still open the tokens they sealed until those have expired
// (Rotate). Keyrings are per account and persist through a Store.
package sessiontoken

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Claims are the state of a role session, everything the token carries.
type Claims struct {
	// RoleARN is the assumed role's ARN (with its path); the account,
	// partition and role name are read from it.
	RoleARN string `json:"r"`
	// RoleID is the role's unique ID (AROA…), the first half of aws:userid.
	RoleID         string `json:"i"`
	SessionName    string `json:"n"`
	SourceIdentity string `json:"s,omitempty"`
	// Tags are the session tags; TransitiveTagKeys names those that pass on
	// to chained sessions.
	Tags              map[string]string `json:"t,omitempty"`
	TransitiveTagKeys []string          `json:"x,omitempty"`
	// MFA is aws:MultiFactorAuthPresent (false for SAML sessions).
	MFA bool `json:"m,omitempty"`
	// Chained marks a session obtained with another session's credentials
	// (role chaining).
	Chained bool `json:"c,omitempty"`
	// Kind is "" for a role session, KindFederatedUser for a
	// GetFederationToken session and KindUser for a GetSessionToken
	// session. For the last two RoleARN and RoleID are empty, UserARN names
	// the IAM user (or account root) that asked for the session and UserID
	// is its unique ID; SessionName is the federated user's name.
	Kind    string `json:"k,omitempty"`
	UserARN string `json:"u,omitempty"`
	UserID  string `json:"d,omitempty"`
	// Policy and PolicyARNs are the session policies passed when the
	// session was issued (AssumeRole*, GetFederationToken).
	Policy     string   `json:"p,omitempty"`
	PolicyARNs []string `json:"q,omitempty"`
	// IssuedAt is aws:TokenIssueTime; Expires is when the credentials stop
	// working. Both are kept to the second, as AWS reports them.
	IssuedAt time.Time `json:"-"`
	Expires  time.Time `json:"-"`
}

// Kinds of session (Claims.Kind).
const (
	KindFederatedUser = "federated-user"
	KindUser          = "user"
)

// claimsWire is Claims as sealed: times as Unix seconds, and transitive tag
// keys as indices into the sorted tag keys when they all are tag keys (as STS
// ensures), which keeps the largest session's token under 4,096 characters.
type claimsWire struct {
	Claims
	IssuedAt      int64 `json:"a"`
	Expires       int64 `json:"e"`
	TransitiveIdx []int `json:"y,omitempty"`
}

func toWire(c Claims) claimsWire {
	w := claimsWire{Claims: c, IssuedAt: c.IssuedAt.Unix(), Expires: c.Expires.Unix()}
	if len(c.TransitiveTagKeys) == 0 {
		return w
	}
	keys := slices.Sorted(maps.Keys(c.Tags))
	idx := make([]int, 0, len(c.TransitiveTagKeys))
	for _, k := range c.TransitiveTagKeys {
		i, ok := slices.BinarySearch(keys, k)
		if !ok {
			return w // a key that is no tag: keep the names
		}
		idx = append(idx, i)
	}
	w.TransitiveTagKeys, w.TransitiveIdx = nil, idx
	return w
}

func fromWire(w claimsWire) (Claims, error) {
	c := w.Claims
	c.IssuedAt, c.Expires = time.Unix(w.IssuedAt, 0).UTC(), time.Unix(w.Expires, 0).UTC()
	if len(w.TransitiveIdx) > 0 {
		keys := slices.Sorted(maps.Keys(c.Tags))
		c.TransitiveTagKeys = make([]string, 0, len(w.TransitiveIdx))
		for _, i := range w.TransitiveIdx {
			if i < 0 || i >= len(keys) {
				return Claims{}, fmt.Errorf("transitive tag index %d of %d tags", i, len(keys))
			}
			c.TransitiveTagKeys = append(c.TransitiveTagKeys, keys[i])
		}
	}
	return c, nil
}

// Errors of Open. Callers answer all three with AWS's InvalidClientTokenId.
var (
	// ErrMalformed is a token that is not one of ours: bad base64, wrong
	// prefix or version, or truncated.
	ErrMalformed = errors.New("session token is malformed")
	// ErrUnknownKey is a token sealed by a key this keyring does not hold:
	// another account's, one retired long ago, or one of another samlab
	// state.
	ErrUnknownKey = errors.New("session token was sealed by an unknown key")
	// ErrForged is a token that fails authentication: altered, or presented
	// with an access key ID other than its own.
	ErrForged = errors.New("session token does not authenticate")
)

const (
	version = 1
	// idLen is the length of a key ID.
	idLen = 4
	// prefixLen is len(prefix).
	prefixLen = 12
	// headerLen is prefix, version and key ID.
	headerLen = prefixLen + 1 + idLen
	// MaxTokenLength bounds the tokens Open reads. AWS documents no maximum
	// ("typically less than 4096 bytes"); the largest session
	// AssumeRoleWithSAML accepts seals well below this.
	MaxTokenLength = 8192
	// SecretLength is the length of a derived secret access key, AWS's 40.
	SecretLength = 40
	// RetiredKeyLifetime is how long a replaced key still opens tokens: the
	// longest role session (12 hours) plus a day during which its expired
	// tokens still get ExpiredToken rather than InvalidClientTokenId.
	RetiredKeyLifetime = 36 * time.Hour
)

// prefix is the 12 bytes behind the "IQoJb3JpZ2luX2Vj" every AWS session token
// starts with; its length is a multiple of 3, so the token's base64 starts
// with exactly those characters.
const prefix = "!\n\torigin_ec"

// Key is one key of a Keyring.
type Key struct {
	// ID names the key inside tokens.
	ID uint32 `json:"id"`
	// Secret is the 32-byte root from which the sealing and signing keys are
	// derived (HKDF-SHA256).
	Secret []byte `json:"secret"`
	// Created is when the key was made.
	Created time.Time `json:"created"`
	// Retired is when a newer key replaced it; zero for the current key.
	Retired time.Time `json:"retired,omitzero"`
}

// LogValue redacts the secret.
func (k Key) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("session key %08x", k.ID)) }

// derived is a key ready for use.
type derived struct {
	Key
	aead cipherAEAD
	mac  []byte
}

type cipherAEAD interface {
	NonceSize() int
	Overhead() int
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}

func derive(k Key) (*derived, error) {
	if len(k.Secret) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("session key %08x: secret is %d bytes, want %d", k.ID, len(k.Secret), chacha20poly1305.KeySize)
	}
	enc, err := hkdf.Key(sha256.New, k.Secret, nil, "samlab session token v1 seal", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	mac, err := hkdf.Key(sha256.New, k.Secret, nil, "samlab session token v1 secret access key", sha256.Size)
	if err != nil {
		return nil, err
	}
	// XChaCha20-Poly1305: its 192-bit random nonces stay safe however many
	// tokens a key seals, across every process sharing the key.
	aead, err := chacha20poly1305.NewX(enc)
	if err != nil {
		return nil, err
	}
	return &derived{Key: k, aead: aead, mac: mac}, nil
}

// Keyring is an account's session-token keys. It is safe for concurrent use.
type Keyring struct {
	account string
	rand    io.Reader
	store   Store

	mu   sync.RWMutex
	keys []*derived // current last
}

// New returns a keyring for account with one fresh key made at now. rand is
// the entropy for keys and nonces (crypto/rand when nil).
func New(account string, r io.Reader, now time.Time) (*Keyring, error) {
	kr := &Keyring{account: account, rand: r}
	if kr.rand == nil {
		kr.rand = rand.Reader
	}
	k, err := kr.newKey(now, nil)
	if err != nil {
		return nil, err
	}
	kr.keys = []*derived{k}
	return kr, nil
}

// Account returns the ID of the account whose tokens the keyring seals.
func (kr *Keyring) Account() string { return kr.account }

func (kr *Keyring) newKey(now time.Time, existing []*derived) (*derived, error) {
	secret := make([]byte, chacha20poly1305.KeySize)
	if _, err := io.ReadFull(kr.rand, secret); err != nil {
		return nil, fmt.Errorf("sessiontoken: new key: %w", err)
	}
	var idb [idLen]byte
	for {
		if _, err := io.ReadFull(kr.rand, idb[:]); err != nil {
			return nil, fmt.Errorf("sessiontoken: new key: %w", err)
		}
		id := binary.BigEndian.Uint32(idb[:])
		if !slices.ContainsFunc(existing, func(d *derived) bool { return d.ID == id }) {
			return derive(Key{ID: id, Secret: secret, Created: now.UTC().Truncate(time.Second)})
		}
	}
}

// Keys returns a copy of the keyring's keys, current last.
func (kr *Keyring) Keys() []Key {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	out := make([]Key, len(kr.keys))
	for i, d := range kr.keys {
		out[i] = d.Key
		out[i].Secret = bytes.Clone(d.Secret)
	}
	return out
}

// Rotate makes a fresh key current as of now. The replaced key keeps opening
// the tokens it sealed for RetiredKeyLifetime; keys retired longer ago are
// dropped. With a Store attached the new keyring is written before it is
// used, so a failed write changes nothing.
func (kr *Keyring) Rotate(now time.Time) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	k, err := kr.newKey(now, kr.keys)
	if err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Second)
	var keys []*derived
	for _, d := range kr.keys {
		if d.Retired.IsZero() {
			c := *d
			c.Retired = now
			d = &c
		}
		if now.Sub(d.Retired) < RetiredKeyLifetime {
			keys = append(keys, d)
		}
	}
	keys = append(keys, k)
	if kr.store != nil {
		if err := save(kr.store, kr.account, keys); err != nil {
			return err
		}
	}
	kr.keys = keys
	return nil
}

// aad is the data authenticated with a token: its header, the access key ID
// and the account.
func (kr *Keyring) aad(header []byte, accessKeyID string) []byte {
	b := make([]byte, 0, len(header)+len(accessKeyID)+len(kr.account)+2)
	b = append(b, header...)
	b = append(b, 0)
	b = append(b, accessKeyID...)
	b = append(b, 0)
	return append(b, kr.account...)
}

// Issue seals c into a session token for accessKeyID with the current key and
// returns the token and the secret access key that goes with it.
func (kr *Keyring) Issue(accessKeyID string, c Claims) (token, secret string, err error) {
	plain, err := json.Marshal(toWire(c))
	if err != nil {
		return "", "", fmt.Errorf("sessiontoken: encode claims: %w", err)
	}
	kr.mu.RLock()
	k := kr.keys[len(kr.keys)-1]
	kr.mu.RUnlock()
	buf := make([]byte, headerLen, headerLen+k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	copy(buf, prefix)
	buf[prefixLen] = version
	binary.BigEndian.PutUint32(buf[prefixLen+1:], k.ID)
	nonce := buf[headerLen : headerLen+k.aead.NonceSize()]
	buf = buf[:headerLen+len(nonce)]
	if _, err := io.ReadFull(kr.rand, nonce); err != nil {
		return "", "", fmt.Errorf("sessiontoken: nonce: %w", err)
	}
	buf = k.aead.Seal(buf, nonce, plain, kr.aad(buf[:headerLen], accessKeyID))
	token = base64.StdEncoding.EncodeToString(buf)
	return token, k.secret(accessKeyID, token), nil
}

// secret derives the secret access key of (accessKeyID, token).
func (d *derived) secret(accessKeyID, token string) string {
	m := hmac.New(sha256.New, d.mac)
	m.Write([]byte(accessKeyID))
	m.Write([]byte{0})
	m.Write([]byte(token))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))[:SecretLength]
}

// Open authenticates token as issued with accessKeyID by this keyring and
// returns its claims and secret access key. Expiry is not checked: an expired
// token opens, and the caller answers ExpiredToken. The errors are
// ErrMalformed, ErrUnknownKey and ErrForged, wrapped.
func (kr *Keyring) Open(accessKeyID, token string) (Claims, string, error) {
	var c Claims
	if len(token) > MaxTokenLength {
		return c, "", fmt.Errorf("%w: %d characters, limit %d", ErrMalformed, len(token), MaxTokenLength)
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return c, "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(raw) < headerLen || string(raw[:prefixLen]) != prefix {
		return c, "", fmt.Errorf("%w: no session token prefix", ErrMalformed)
	}
	if v := raw[prefixLen]; v != version {
		return c, "", fmt.Errorf("%w: version %d, want %d", ErrMalformed, v, version)
	}
	id := binary.BigEndian.Uint32(raw[prefixLen+1:])
	kr.mu.RLock()
	i := slices.IndexFunc(kr.keys, func(d *derived) bool { return d.ID == id })
	var k *derived
	if i >= 0 {
		k = kr.keys[i]
	}
	kr.mu.RUnlock()
	if k == nil {
		return c, "", fmt.Errorf("%w: key %08x (account %s)", ErrUnknownKey, id, kr.account)
	}
	body := raw[headerLen:]
	if len(body) < k.aead.NonceSize()+k.aead.Overhead() {
		return c, "", fmt.Errorf("%w: %d bytes after the header, too short", ErrMalformed, len(body))
	}
	nonce, sealed := body[:k.aead.NonceSize()], body[k.aead.NonceSize():]
	plain, err := k.aead.Open(nil, nonce, sealed, kr.aad(raw[:headerLen], accessKeyID))
	if err != nil {
		return c, "", fmt.Errorf("%w: key %08x, access key %s", ErrForged, id, accessKeyID)
	}
	var w claimsWire
	err = json.Unmarshal(plain, &w)
	if err == nil {
		c, err = fromWire(w)
	}
	if err != nil {
		// Authenticated but unreadable: only a key shared with a different
		// encoder could produce it.
		return Claims{}, "", fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	return c, k.secret(accessKeyID, token), nil
}

// Seal encrypts and authenticates plain under the keyring's current key for
// purpose (which must be given again to Open it), for opaque values other
// than session tokens, such as STS's encoded authorization messages. The
// result is URL-safe base64.
func (kr *Keyring) Seal(purpose string, plain []byte) (string, error) {
	kr.mu.RLock()
	k := kr.keys[len(kr.keys)-1]
	kr.mu.RUnlock()
	buf := make([]byte, idLen, idLen+k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	binary.BigEndian.PutUint32(buf, k.ID)
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := io.ReadFull(kr.rand, nonce); err != nil {
		return "", fmt.Errorf("sessiontoken: nonce: %w", err)
	}
	buf = append(buf, nonce...)
	buf = k.aead.Seal(buf, nonce, plain, kr.aad(buf[:idLen], "seal:"+purpose))
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Unseal reverses Seal for the same purpose, with any key the keyring still
// holds. The errors are ErrMalformed, ErrUnknownKey and ErrForged, wrapped.
func (kr *Keyring) Unseal(purpose, sealed string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(raw) < idLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(raw))
	}
	id := binary.BigEndian.Uint32(raw)
	kr.mu.RLock()
	i := slices.IndexFunc(kr.keys, func(d *derived) bool { return d.ID == id })
	var k *derived
	if i >= 0 {
		k = kr.keys[i]
	}
	kr.mu.RUnlock()
	if k == nil {
		return nil, fmt.Errorf("%w: key %08x (account %s)", ErrUnknownKey, id, kr.account)
	}
	body := raw[idLen:]
	if len(body) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, fmt.Errorf("%w: %d bytes after the key ID, too short", ErrMalformed, len(body))
	}
	plain, err := k.aead.Open(nil, body[:k.aead.NonceSize()], body[k.aead.NonceSize():], kr.aad(raw[:idLen], "seal:"+purpose))
	if err != nil {
		return nil, fmt.Errorf("%w: sealed %s, key %08x", ErrForged, purpose, id)
	}
	return plain, nil
}
