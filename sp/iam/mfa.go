package iam

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 6238 TOTP as authenticator apps compute it uses HMAC-SHA1.
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"time"

	"rsc.io/qr"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// MFADevice is a virtual MFA device: a TOTP secret (RFC 6238: HMAC-SHA1,
// 30-second steps, 6 digits, as authenticator apps use) that a user proves
// by codes.
type MFADevice struct {
	SerialNumber string // arn:aws:iam::ACCOUNT:mfa/PATHNAME
	Path         string
	Name         string
	// Seed is the shared secret; Base32Seed renders it as apps take it.
	Seed       []byte
	CreateDate time.Time
	// UserName is the user the device is enabled for, "" when unassigned.
	UserName   string    `json:",omitempty"`
	EnableDate time.Time `json:",omitzero"`
	Tags       []awsapi.Tag
	// LastStep is the last TOTP time step a code was accepted for; a code
	// is never accepted twice.
	LastStep int64 `json:",omitempty"`
}

func (d *MFADevice) clone() *MFADevice {
	c := *d
	c.Seed = slices.Clone(d.Seed)
	c.Tags = slices.Clone(d.Tags)
	return &c
}

// Base32Seed is the seed as authenticator apps and IAM's Base32StringSeed
// give it.
func (d *MFADevice) Base32Seed() string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(d.Seed)
}

// TOTPStep is the RFC 6238 time step length.
const TOTPStep = 30 * time.Second

// TOTP returns the 6-digit RFC 6238 code of seed for the time step holding t.
// It is written here rather than imported: it is a dozen lines over the
// standard library's HMAC, and RFC 6238's test vectors check it.
func TOTP(seed []byte, t time.Time) string { return totpAt(seed, t.Unix()/int64(TOTPStep/time.Second)) }

func totpAt(seed []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, seed)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1_000_000)
}

// mfaWindow is how many time steps back EnableMFADevice looks for the first
// of two consecutive codes: someone reading codes off an app and typing them
// takes a minute or two. AWS's window is not documented.
const mfaWindow = 10

func noSuchMFA(serial string) *awsapi.Error {
	// Wording unverified.
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "MFA Device with serial number %s does not exist.", serial)
}

// codeInvalidAuthenticationCode is IAM's error for MFA codes that do not
// match (403).
const codeInvalidAuthenticationCode awsapi.Code = "InvalidAuthenticationCode"

// MFASerial returns the serial number (ARN) of a virtual MFA device.
func (a *Account) MFASerial(path, name string) string {
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:mfa%s%s", a.partition, a.id, path, name)
}

// CreateVirtualMFADevice creates an unassigned virtual MFA device with a new
// 40-byte seed (64 base32 characters, as AWS's are) and returns it with the
// PNG of the QR code apps scan: otpauth://totp/NAME@ACCOUNT?secret=SEED, the
// form IAM documents, ACCOUNT being the alias or else the account ID.
func (a *Account) CreateVirtualMFADevice(path, name string, tags []awsapi.Tag) (*MFADevice, []byte, error) {
	if path == "" {
		path = "/"
	}
	if err := checkOne("Path", shRolePath, path); err != nil {
		return nil, nil, err
	}
	if err := checkOne("VirtualMFADeviceName", shMFAName, name); err != nil {
		return nil, nil, err
	}
	tags, err := checkTags(nil, tags)
	if err != nil {
		return nil, nil, err
	}
	seed := make([]byte, 40)
	if _, err := io.ReadFull(a.rand, seed); err != nil {
		return nil, nil, storeFailure(err)
	}
	d := &MFADevice{SerialNumber: a.MFASerial(path, name), Path: path, Name: name, Seed: seed,
		CreateDate: a.now().UTC().Truncate(time.Second), Tags: tags}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.ids.mfa[d.SerialNumber]; ok {
		return nil, nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict,
			"MFADevice entity at the same path and name already exists.")
	}
	account := a.alias
	if account == "" {
		account = a.id
	}
	code, err := qr.Encode(fmt.Sprintf("otpauth://totp/%s@%s?secret=%s", name, account, d.Base32Seed()), qr.M)
	if err != nil {
		return nil, nil, storeFailure(err)
	}
	if err := a.putMFA(d); err != nil {
		return nil, nil, err
	}
	return d.clone(), code.PNG(), nil
}

func (a *Account) putMFA(d *MFADevice) error {
	if is, ok := a.store.(IdentityStore); ok {
		if err := is.PutMFADevice(d); err != nil {
			return storeFailure(err)
		}
	}
	a.ids.mfa[d.SerialNumber] = d
	return nil
}

func (a *Account) userHasMFALocked(name string) bool {
	for _, d := range a.ids.mfa {
		if d.UserName == name {
			return true
		}
	}
	return false
}

// matchCodes finds the step s in the window before now at which code1 and
// code2 are the codes of s and s+1, later than after.
func matchCodes(seed []byte, code1, code2 string, now time.Time, after int64) (int64, bool) {
	cur := now.Unix() / int64(TOTPStep/time.Second)
	for s := cur; s >= cur-mfaWindow; s-- {
		if s > after && hmac.Equal([]byte(totpAt(seed, s)), []byte(code1)) && hmac.Equal([]byte(totpAt(seed, s+1)), []byte(code2)) {
			return s + 1, true
		}
	}
	return 0, false
}

// EnableMFADevice assigns a virtual MFA device to a user once the user has
// proven it with two consecutive codes.
func (a *Account) EnableMFADevice(userName, serial, code1, code2 string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.ids.users[userName]
	if !ok {
		return noSuchUser(userName)
	}
	cur, ok := a.ids.mfa[serial]
	if !ok {
		return noSuchMFA(serial)
	}
	if cur.UserName != "" {
		// Wording unverified.
		return awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "MFA Device is already in use.")
	}
	n := 0
	for _, d := range a.ids.mfa {
		if d.UserName == u.Name {
			n++
		}
	}
	if n >= MaxMFADevicesPerUser {
		return awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for MFADevicesPerUser: %d", MaxMFADevicesPerUser)
	}
	now := a.now()
	step, ok := matchCodes(cur.Seed, code1, code2, now, cur.LastStep)
	if !ok {
		return awsapi.Errorf(codeInvalidAuthenticationCode, http.StatusForbidden, "Authentication code for device is not valid.")
	}
	d := cur.clone()
	d.UserName, d.EnableDate, d.LastStep = u.Name, now.UTC().Truncate(time.Second), step
	return a.putMFA(d)
}

// DeactivateMFADevice unassigns an MFA device from a user. The virtual device
// itself remains, unassigned.
func (a *Account) DeactivateMFADevice(userName, serial string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.ids.users[userName]; !ok {
		return noSuchUser(userName)
	}
	cur, ok := a.ids.mfa[serial]
	if !ok || cur.UserName != userName {
		return noSuchMFA(serial)
	}
	d := cur.clone()
	d.UserName, d.EnableDate = "", time.Time{}
	return a.putMFA(d)
}

// DeleteVirtualMFADevice deletes an unassigned virtual MFA device.
func (a *Account) DeleteVirtualMFADevice(serial string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	d, ok := a.ids.mfa[serial]
	if !ok {
		return noSuchMFA(serial)
	}
	if d.UserName != "" {
		// Wording unverified.
		return deleteConflict("MFA Device is still in use.")
	}
	if is, ok := a.store.(IdentityStore); ok {
		if err := is.DeleteMFADevice(serial); err != nil {
			return storeFailure(err)
		}
	}
	delete(a.ids.mfa, serial)
	return nil
}

// MFADevices lists the devices enabled for a user, by serial number.
func (a *Account) MFADevices(userName string) ([]*MFADevice, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if _, ok := a.ids.users[userName]; !ok {
		return nil, noSuchUser(userName)
	}
	var out []*MFADevice
	for _, d := range a.ids.mfa {
		if d.UserName == userName {
			out = append(out, d.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SerialNumber < out[j].SerialNumber })
	return out, nil
}

// VirtualMFADevices lists the virtual MFA devices by assignment status
// ("Assigned", "Unassigned", or "Any"/""), by serial number.
func (a *Account) VirtualMFADevices(status string) []*MFADevice {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []*MFADevice
	for _, d := range a.ids.mfa {
		if (status == "Assigned" && d.UserName == "") || (status == "Unassigned" && d.UserName != "") {
			continue
		}
		out = append(out, d.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SerialNumber < out[j].SerialNumber })
	return out
}

// CheckMFACode reports whether code is the current code of the MFA device
// enabled for userName with the given serial number (for STS calls that take
// SerialNumber and TokenCode). A code is accepted once.
func (a *Account) CheckMFACode(userName, serial, code string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	d, ok := a.ids.mfa[serial]
	if !ok || d.UserName != userName {
		return false
	}
	return a.useCodeLocked(d, code, a.now())
}
