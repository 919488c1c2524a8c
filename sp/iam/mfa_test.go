package iam_test

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/samlab-dev/samlab/sp/iam"
)

// TestTOTPVectors checks TOTP against RFC 6238 appendix B (SHA-1 seed), last
// six digits of each 8-digit value.
func TestTOTPVectors(t *testing.T) {
	t.Parallel()
	seed := []byte("12345678901234567890")
	for _, c := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		if got := iam.TOTP(seed, time.Unix(c.unix, 0)); got != c.want {
			t.Errorf("TOTP at %d = %s, want %s", c.unix, got, c.want)
		}
	}
}

// TestSDKVirtualMFA creates a virtual MFA device, enables it for a user with
// two consecutive codes computed from its seed, and lists, deactivates and
// deletes it, with AWS's errors along the way.
func TestSDKVirtualMFA(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var now atomic.Int64
	now.Store(time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC).Unix())
	a := iam.NewAccount(iam.Config{Now: func() time.Time { return time.Unix(now.Load(), 0) }})
	s := newIAMServer(t, a)
	c := s.sdk()
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))(t, "CreateUser")

	d := must(c.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice"),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("alice")}}}))(t, "CreateVirtualMFADevice").VirtualMFADevice
	serial := aws.ToString(d.SerialNumber)
	if serial != "arn:aws:iam::123456789012:mfa/alice" || len(d.Base32StringSeed) != 64 || len(d.Tags) != 1 {
		t.Fatalf("CreateVirtualMFADevice = %s, seed %d characters, tags %v", serial, len(d.Base32StringSeed), d.Tags)
	}
	if _, err := png.Decode(bytes.NewReader(d.QRCodePNG)); err != nil {
		t.Errorf("QRCodePNG is not a PNG: %v", err)
	}
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(d.Base32StringSeed))
	if err != nil {
		t.Fatalf("Base32StringSeed: %v", err)
	}
	_, err = c.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	wantAPIError(t, "CreateVirtualMFADevice twice", err, "EntityAlreadyExists", http.StatusConflict, "MFADevice entity at the same path and name already exists.")

	at := func(steps int64) string { return iam.TOTP(seed, time.Unix(now.Load()+steps*30, 0)) }
	enable := func(c1, c2 string) error {
		_, err := c.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		return err
	}
	const badCode = "Authentication code for device is not valid."
	wantAPIError(t, "codes in the wrong order", enable(at(0), at(-1)), "InvalidAuthenticationCode", http.StatusForbidden, badCode)
	wantAPIError(t, "the same code twice", enable(at(0), at(0)), "InvalidAuthenticationCode", http.StatusForbidden, badCode)
	wantAPIError(t, "codes of long ago", enable(at(-40), at(-39)), "InvalidAuthenticationCode", http.StatusForbidden, badCode)
	wrong := "000000"
	if at(0) == wrong {
		wrong = "000001"
	}
	wantAPIError(t, "a wrong second code", enable(at(-1), wrong), "InvalidAuthenticationCode", http.StatusForbidden, badCode)
	if err := enable(at(-1), at(0)); err != nil {
		t.Fatalf("EnableMFADevice with consecutive codes: %v", err)
	}
	wantAPIError(t, "enable again", enable(at(-1), at(0)), "EntityAlreadyExists", http.StatusConflict, "MFA Device is already in use.")

	l := must(c.ListMFADevices(ctx, &iamsdk.ListMFADevicesInput{UserName: aws.String("alice")}))(t, "ListMFADevices").MFADevices
	if len(l) != 1 || aws.ToString(l[0].SerialNumber) != serial || aws.ToString(l[0].UserName) != "alice" || l[0].EnableDate == nil {
		t.Errorf("ListMFADevices = %+v", l)
	}
	v := must(c.ListVirtualMFADevices(ctx, &iamsdk.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned}))(t, "ListVirtualMFADevices").VirtualMFADevices
	if len(v) != 1 || v[0].User == nil || aws.ToString(v[0].User.UserName) != "alice" || v[0].Base32StringSeed != nil {
		t.Errorf("ListVirtualMFADevices Assigned = %+v", v)
	}
	if v := must(c.ListVirtualMFADevices(ctx, &iamsdk.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned}))(t, "ListVirtualMFADevices").VirtualMFADevices; len(v) != 0 {
		t.Errorf("ListVirtualMFADevices Unassigned = %+v", v)
	}
	_, err = c.DeleteVirtualMFADevice(ctx, &iamsdk.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	wantAPIError(t, "DeleteVirtualMFADevice while enabled", err, "DeleteConflict", http.StatusConflict, "MFA Device is still in use.")
	_, err = c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, "DeleteUser with MFA", err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must delete MFA device first.")

	// A code is accepted once: after deactivating, the same codes fail, the
	// next ones pass.
	must(c.DeactivateMFADevice(ctx, &iamsdk.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)}))(t, "DeactivateMFADevice")
	wantAPIError(t, "replayed codes", enable(at(-1), at(0)), "InvalidAuthenticationCode", http.StatusForbidden, badCode)
	now.Add(60)
	if err := enable(at(-1), at(0)); err != nil {
		t.Fatalf("EnableMFADevice with fresh codes: %v", err)
	}
	must(c.DeactivateMFADevice(ctx, &iamsdk.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)}))(t, "DeactivateMFADevice")
	_, err = c.DeactivateMFADevice(ctx, &iamsdk.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)})
	wantAPIError(t, "DeactivateMFADevice again", err, "NoSuchEntity", http.StatusNotFound, "MFA Device with serial number "+serial+" does not exist.")
	must(c.DeleteVirtualMFADevice(ctx, &iamsdk.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))(t, "DeleteVirtualMFADevice")
	must(c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")}))(t, "DeleteUser")
}

// TestCheckMFACode: a code of the enabled device is accepted once.
func TestCheckMFACode(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	a := iam.NewAccount(iam.Config{Now: func() time.Time { return clock }})
	if _, err := a.CreateUser(iam.CreateUserInput{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	d, _, err := a.CreateVirtualMFADevice("/", "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnableMFADevice("alice", d.SerialNumber, iam.TOTP(d.Seed, clock.Add(-30*time.Second)), iam.TOTP(d.Seed, clock)); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(30 * time.Second)
	code := iam.TOTP(d.Seed, clock)
	if a.CheckMFACode("bob", d.SerialNumber, code) {
		t.Error("code accepted for another user")
	}
	if !a.CheckMFACode("alice", d.SerialNumber, code) {
		t.Error("current code refused")
	}
	if a.CheckMFACode("alice", d.SerialNumber, code) {
		t.Error("code accepted twice")
	}
}
