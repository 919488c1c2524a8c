package iam

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Access key statuses.
const (
	KeyActive   = "Active"
	KeyInactive = "Inactive"
)

// AccessKey is a long-term (AKIA…) access key of an IAM user.
type AccessKey struct {
	AccessKeyID     string
	SecretAccessKey string
	Status          string
	CreateDate      time.Time
	// LastUsed is when the key last signed a call that was served, zero
	// when never; LastUsedService and LastUsedRegion say where.
	LastUsed        time.Time `json:",omitzero"`
	LastUsedService string    `json:",omitempty"`
	LastUsedRegion  string    `json:",omitempty"`
}

// lastUsedGranularity is how stale a key's recorded last use may be: AWS
// documents last-used data as current to within four hours, so recording
// every call (a durable write each) is not needed.
const lastUsedGranularity = time.Hour

func noSuchAccessKey(id string) *awsapi.Error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "The Access Key with id %s cannot be found.", id)
}

// CreateAccessKey creates an access key for a user. The secret is only ever
// returned here, as on AWS. The key ID carries the account, as AWS's do
// (STS GetAccessKeyInfo reads it back).
func (a *Account) CreateAccessKey(userName string) (AccessKey, error) {
	id, err := awsapi.NewAccessKeyIDFor(a.rand, "AKIA", a.id)
	if err != nil {
		// An account ID that is not 12 digits (a Go caller's choice) cannot
		// be carried.
		id, err = awsapi.NewAccessKeyID(a.rand, "AKIA")
	}
	if err != nil {
		return AccessKey{}, storeFailure(err)
	}
	secret := make([]byte, 30)
	if _, err := io.ReadFull(a.rand, secret); err != nil {
		return AccessKey{}, storeFailure(err)
	}
	k := AccessKey{AccessKeyID: id, SecretAccessKey: base64.StdEncoding.EncodeToString(secret), Status: KeyActive,
		CreateDate: a.now().UTC().Truncate(time.Second)}
	_, err = a.updateUser(userName, func(u *User) error {
		if len(u.AccessKeys) >= MaxAccessKeysPerUser {
			return awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict,
				"Cannot exceed quota for AccessKeysPerUser: %d", MaxAccessKeysPerUser)
		}
		u.AccessKeys = append(u.AccessKeys, k)
		return nil
	})
	if err != nil {
		return AccessKey{}, err
	}
	return k, nil
}

// AccessKeys lists a user's access keys, oldest first.
func (a *Account) AccessKeys(userName string) ([]AccessKey, error) {
	u, err := a.User(userName)
	if err != nil {
		return nil, err
	}
	return u.AccessKeys, nil
}

// UpdateAccessKey sets a key's status to Active or Inactive. An inactive key
// is refused on every call (InvalidClientTokenId) until made active again.
func (a *Account) UpdateAccessKey(userName, keyID, status string) error {
	if status != KeyActive && status != KeyInactive {
		// The model also lists Expired, which a client cannot set; AWS's
		// answer is unverified.
		return awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, "Status %s cannot be set on an access key.", status)
	}
	_, err := a.updateUser(userName, func(u *User) error {
		i := slices.IndexFunc(u.AccessKeys, func(k AccessKey) bool { return k.AccessKeyID == keyID })
		if i < 0 {
			return noSuchAccessKey(keyID)
		}
		u.AccessKeys[i].Status = status
		return nil
	})
	return err
}

// DeleteAccessKey deletes a user's access key.
func (a *Account) DeleteAccessKey(userName, keyID string) error {
	_, err := a.updateUser(userName, func(u *User) error {
		i := slices.IndexFunc(u.AccessKeys, func(k AccessKey) bool { return k.AccessKeyID == keyID })
		if i < 0 {
			return noSuchAccessKey(keyID)
		}
		u.AccessKeys = slices.Delete(u.AccessKeys, i, i+1)
		return nil
	})
	return err
}

// keyOwnerLocked returns the user holding the access key and the key's
// index. The caller holds a.mu.
func (a *Account) keyOwnerLocked(keyID string) (*User, int) {
	for _, u := range a.ids.users {
		for i, k := range u.AccessKeys {
			if k.AccessKeyID == keyID {
				return u, i
			}
		}
	}
	return nil, -1
}

// AccessKeyLastUsed returns the user an access key belongs to and the key.
func (a *Account) AccessKeyLastUsed(keyID string) (string, AccessKey, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	u, i := a.keyOwnerLocked(keyID)
	if u == nil {
		// AWS's answer for a key it does not know is unverified.
		return "", AccessKey{}, noSuchAccessKey(keyID)
	}
	return u.Name, u.AccessKeys[i], nil
}

// noteKeyUse records that keyID signed a call to service in region at t.
// Within lastUsedGranularity of the recorded use at the same place nothing is
// written.
func (a *Account) noteKeyUse(keyID, service, region string, t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, i := a.keyOwnerLocked(keyID)
	if cur == nil {
		return
	}
	k := cur.AccessKeys[i]
	if k.LastUsedService == service && k.LastUsedRegion == region && t.Sub(k.LastUsed) < lastUsedGranularity {
		return
	}
	u := cur.clone()
	u.AccessKeys[i].LastUsed = t.UTC().Truncate(time.Minute)
	u.AccessKeys[i].LastUsedService, u.AccessKeys[i].LastUsedRegion = service, region
	// A failed write of usage data leaves the old record; the call itself
	// was served.
	_ = a.putUser(u)
}

// Credential looks up an active access key of one of the account's users,
// for SigV4 verification (an awsapi.CredentialSource). Inactive and deleted
// keys are not found, which the router answers with InvalidClientTokenId, as
// AWS does.
func (a *Account) Credential(_ context.Context, accessKeyID string) (awsapi.Credential, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	u, i := a.keyOwnerLocked(accessKeyID)
	if u == nil || u.AccessKeys[i].Status != KeyActive {
		return awsapi.Credential{}, false
	}
	k := u.AccessKeys[i]
	return awsapi.Credential{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey,
		Caller: awsapi.Caller{Type: "IAMUser", PrincipalID: u.UserID, ARN: u.ARN, AccountID: a.id,
			AccessKeyID: k.AccessKeyID, UserName: u.Name}}, true
}
