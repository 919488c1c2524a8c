package scenarios

import (
	"strings"
	"testing"
	"time"
)

// TestTOTPMatchesRFC6238 checks the lab's TOTP against the SHA-1 test
// vectors of RFC 6238, appendix B (the last six of the eight digits).
func TestTOTPMatchesRFC6238(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890")
	for _, tt := range []struct {
		unix int64
		want string // RFC 6238's 8-digit value
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		if got := totpCode(secret, totpStep(time.Unix(tt.unix, 0))); got != tt.want[2:] {
			t.Errorf("TOTP at %d = %s, want %s", tt.unix, got, tt.want[2:])
		}
	}
}

// TestLabMFA: a device accepts its code one step either side, once; refuses
// other users, unknown serials and the "wrong" code it hands out.
func TestLabMFA(t *testing.T) {
	t.Parallel()
	const user, serial = "arn:aws:iam::123456789012:user/u", "arn:aws:iam::123456789012:mfa/phone"
	m := newLabMFA()
	if err := m.enable(serial, user, strings.NewReader(strings.Repeat("k", 20))); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	wrong, err := m.code(serial, TokenCodeWrong, now)
	if err != nil {
		t.Fatal(err)
	}
	if device, valid := m.VerifyTOTP(user, serial, wrong, now); !device || valid {
		t.Errorf("wrong code %s: device %v valid %v, want true false", wrong, device, valid)
	}
	if device, _ := m.VerifyTOTP("arn:aws:iam::123456789012:user/other", serial, wrong, now); device {
		t.Error("another user's call found the device")
	}
	if device, _ := m.VerifyTOTP(user, serial+"x", wrong, now); device {
		t.Error("an unknown serial found the device")
	}
	prev := totpCode(m.devices[serial].secret, totpStep(now)-1)
	if _, valid := m.VerifyTOTP(user, serial, prev, now); !valid {
		t.Error("the previous step's code was refused")
	}
	cur, err := m.code(serial, TokenCodeCurrent, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, valid := m.VerifyTOTP(user, serial, cur, now); !valid {
		t.Error("the current code was refused")
	}
	if _, valid := m.VerifyTOTP(user, serial, cur, now); valid {
		t.Error("the current code was accepted twice")
	}
	if _, valid := m.VerifyTOTP(user, serial, prev, now); valid {
		t.Error("an older code was accepted after a newer one")
	}
	if _, valid := m.VerifyTOTP(user, serial, totpCode(m.devices[serial].secret, totpStep(now)+2), now); valid {
		t.Error("a code two steps ahead was accepted")
	}
}
