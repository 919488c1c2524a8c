package sts

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

func TestMergeSessionTags(t *testing.T) {
	t.Parallel()
	caller := &Session{Tags: map[string]string{"team": "red", "cost": "42"}, TransitiveTagKeys: []string{"team"}}
	tag := func(k, v string) awsapi.Tag { return awsapi.Tag{Key: k, Value: v} }
	tests := []struct {
		name       string
		caller     *Session
		tags       []awsapi.Tag
		transitive []string
		want       map[string]string
		wantKeys   []string
		wantMsg    string
	}{
		{name: "no tags", want: nil},
		{name: "own tags", tags: []awsapi.Tag{tag("a", "1")}, transitive: []string{"a"}, want: map[string]string{"a": "1"}, wantKeys: []string{"a"}},
		{name: "inherited transitive only", caller: caller, want: map[string]string{"team": "red"}, wantKeys: []string{"team"}},
		{name: "inherited plus own", caller: caller, tags: []awsapi.Tag{tag("cost", "7")}, want: map[string]string{"team": "red", "cost": "7"}, wantKeys: []string{"team"}},
		{name: "override of inherited, other case", caller: caller, tags: []awsapi.Tag{tag("TEAM", "blue")}, wantMsg: msgTransitiveOverride},
		{name: "duplicate keys", tags: []awsapi.Tag{tag("a", "1"), tag("A", "2")}, wantMsg: msgDuplicateTags},
		{name: "aws: prefix", tags: []awsapi.Tag{tag("AWS:x", "1")}, wantMsg: msgTagReservedPrefix},
		{name: "transitive key not a tag", tags: []awsapi.Tag{tag("a", "1")}, transitive: []string{"b"}, wantMsg: msgTransitiveNotTag},
		{name: "51 with inherited", caller: caller, tags: manyTags(50), wantMsg: msgTooManyTags},
		{name: "50 own", tags: manyTags(50), want: tagMap(manyTags(50))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, keys, err := mergeSessionTags(tc.caller, tc.tags, tc.transitive)
			if tc.wantMsg != "" {
				var ae *awsapi.Error
				if !errors.As(err, &ae) || ae.Code != awsapi.CodeValidation || ae.Status != http.StatusBadRequest || ae.Message != tc.wantMsg {
					t.Fatalf("mergeSessionTags = %v, want ValidationError %q", err, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("mergeSessionTags: %v", err)
			}
			if len(got) != len(tc.want) || strings.Join(keys, ",") != strings.Join(tc.wantKeys, ",") {
				t.Fatalf("mergeSessionTags = %v %v, want %v %v", got, keys, tc.want, tc.wantKeys)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("tag %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func manyTags(n int) []awsapi.Tag {
	out := make([]awsapi.Tag, n)
	for i := range out {
		out[i] = awsapi.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"}
	}
	return out
}

func tagMap(tags []awsapi.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func TestValidateAssumeRole(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	n := func(v int) *int { return &v }
	role := s("arn:aws:iam::123456789012:role/R")
	tests := []struct {
		name string
		in   AssumeRoleInput
		want string // "" for valid
	}{
		{"valid", AssumeRoleInput{RoleARN: role, RoleSessionName: s("ok")}, ""},
		{"all missing", AssumeRoleInput{}, "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"},
		{"duration", AssumeRoleInput{RoleARN: role, RoleSessionName: s("ok"), DurationSeconds: n(899)},
			"1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"token code", AssumeRoleInput{RoleARN: role, RoleSessionName: s("ok"), SerialNumber: s("arn:aws:iam::123456789012:mfa/x"), TokenCode: s("12a45")},
			"2 validation errors detected: Value '12a45' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*; " +
				"Value '12a45' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6"},
		{"tag value", AssumeRoleInput{RoleARN: role, RoleSessionName: s("ok"), Tags: []awsapi.Tag{{Key: "k", Value: "a;b"}}},
			"1 validation error detected: Value 'a;b' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"},
		{"external id", AssumeRoleInput{RoleARN: role, RoleSessionName: s("ok"), ExternalID: s("has space")},
			"1 validation error detected: Value 'has space' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validateAssumeRole(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("validateAssumeRole: %v", err)
				}
				return
			}
			var ae *awsapi.Error
			if !errors.As(err, &ae) || ae.Code != awsapi.CodeValidation || ae.Message != tc.want {
				t.Fatalf("validateAssumeRole = %v\nwant ValidationError %q", err, tc.want)
			}
		})
	}
}

// FuzzAssumeRoleParams checks that any parameters give no panic, and either
// pass or fail with a 400 ValidationError naming what is wrong.
func FuzzAssumeRoleParams(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/R", "sess", "ext-1", "arn:aws:iam::123456789012:mfa/d", "123456", "alice", "team", "red", 3600)
	f.Add("", "", "", "", "", "", "", "", 0)
	f.Add("arn", "a b", "x", "s", "12", "aws:x", "aws:k", "v;v", 50000)
	f.Fuzz(func(t *testing.T, role, name, ext, serial, code, source, tagKey, tagValue string, dur int) {
		in := AssumeRoleInput{RoleARN: &role, RoleSessionName: &name, ExternalID: &ext, SerialNumber: &serial, TokenCode: &code,
			SourceIdentity: &source, DurationSeconds: &dur, Tags: []awsapi.Tag{{Key: tagKey, Value: tagValue}}, TransitiveTagKeys: []string{tagKey}}
		err := validateAssumeRole(in)
		if err == nil {
			_, _, err = mergeSessionTags(nil, in.Tags, in.TransitiveTagKeys)
		}
		if err == nil {
			return
		}
		var ae *awsapi.Error
		if !errors.As(err, &ae) || ae.Code != awsapi.CodeValidation || ae.Status != http.StatusBadRequest || ae.Message == "" {
			t.Fatalf("error %v, want a ValidationError", err)
		}
	})
}

type fixedMFA struct{ device, valid bool }

func (m fixedMFA) VerifyTOTP(string, string, string, time.Time) (bool, bool) {
	return m.device, m.valid
}

// TestRootAndMFAEdges covers callers the lab cannot sign as (the root user)
// and MFA parameters given by halves.
func TestRootAndMFAEdges(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	acct := iam.NewAccount(iam.Config{ID: "123456789012", Now: func() time.Time { return now }})
	svc, err := New(Config{Account: acct, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f := svc.NewFederation(FederationConfig{MFA: fixedMFA{device: true, valid: true}})
	root := &Caller{ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012", Account: "123456789012"}
	s := func(v string) *string { return &v }
	n := func(v int) *int { return &v }
	wantDenied := func(what string, err error, msg string) {
		t.Helper()
		var ae *awsapi.Error
		if !errors.As(err, &ae) || ae.Code != awsapi.CodeAccessDenied || ae.Status != http.StatusForbidden || ae.Message != msg {
			t.Errorf("%s = %v, want AccessDenied %q", what, err, msg)
		}
	}
	_, err = f.AssumeRole(t.Context(), root, AssumeRoleInput{RoleARN: s("arn:aws:iam::123456789012:role/R"), RoleSessionName: s("rr")})
	wantDenied("AssumeRole by root", err, msgRootAssumeRole)
	sess, err := f.GetSessionToken(t.Context(), root, GetSessionTokenInput{DurationSeconds: n(7200)})
	if err != nil || !sess.Credentials.Expiration.Equal(now.Add(time.Hour)) || sess.ARN != root.ARN {
		t.Errorf("GetSessionToken by root for 2h = %+v, %v; want an hour, the root ARN", sess, err)
	}
	gft, err := f.GetFederationToken(t.Context(), root, GetFederationTokenInput{Name: s("ops")})
	if err != nil || !gft.Credentials.Expiration.Equal(now.Add(time.Hour)) || gft.FederatedUserARN != "arn:aws:sts::123456789012:federated-user/ops" {
		t.Errorf("GetFederationToken by root = %+v, %v; want an hour (the root user needs no policy)", gft, err)
	}
	user := &Caller{ARN: "arn:aws:iam::123456789012:user/u", UserID: "AIDAU", Account: "123456789012"}
	_, err = f.GetSessionToken(t.Context(), user, GetSessionTokenInput{TokenCode: s("123456")})
	wantDenied("TokenCode without SerialNumber", err, msgMFASerial)
	_, err = f.GetSessionToken(t.Context(), user, GetSessionTokenInput{SerialNumber: s("arn:aws:iam::123456789012:mfa/u")})
	wantDenied("SerialNumber without TokenCode", err, msgMFACode)
	for _, m := range []struct {
		mfa  MFA
		want string
	}{{fixedMFA{false, false}, msgMFASerial}, {fixedMFA{true, false}, msgMFACode}, {nil, msgMFASerial}} {
		g := svc.NewFederation(FederationConfig{MFA: m.mfa})
		_, err = g.GetSessionToken(t.Context(), user, GetSessionTokenInput{SerialNumber: s("arn:aws:iam::123456789012:mfa/u"), TokenCode: s("123456")})
		wantDenied(fmt.Sprintf("MFA %+v", m.mfa), err, m.want)
	}
	ok, err := f.GetSessionToken(t.Context(), user, GetSessionTokenInput{SerialNumber: s("arn:aws:iam::123456789012:mfa/u"), TokenCode: s("123456")})
	if err != nil || !ok.MFA || ok.Kind != sessiontoken.KindUser {
		t.Errorf("GetSessionToken with MFA = %+v, %v", ok, err)
	}
}

// TestEncodedMessagesNeverStartWithADash: command lines read a leading "-"
// as an option (the aws CLI refused such a message).
func TestEncodedMessagesNeverStartWithADash(t *testing.T) {
	t.Parallel()
	svc, err := New(Config{Account: iam.NewAccount(iam.Config{ID: "123456789012"})})
	if err != nil {
		t.Fatal(err)
	}
	f := svc.NewFederation(FederationConfig{})
	c := &Caller{ARN: "arn:aws:iam::123456789012:user/u", UserID: "AIDAU", Account: "123456789012"}
	for i := range 200 {
		enc, err := f.EncodeAuthorizationMessage(c, "ec2:RunInstances", fmt.Sprint(i), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(enc, "-") {
			t.Fatalf("encoded message %q starts with a dash", enc)
		}
		root := &Caller{ARN: "arn:aws:iam::123456789012:root", Account: "123456789012"}
		dec, err := f.DecodeAuthorizationMessage(t.Context(), root, &enc, "")
		if err != nil || !strings.Contains(dec, `"resource":"`+fmt.Sprint(i)+`"`) {
			t.Fatalf("round trip = %q, %v", dec, err)
		}
	}
}
