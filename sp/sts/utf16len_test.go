package sts

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16LenRef is the plain definition utf16Len must agree with.
func utf16LenRef(v string) int {
	n := 0
	for _, r := range v {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++
		}
	}
	return n
}

func TestUTF16Len(t *testing.T) {
	b64 := strings.Repeat("PHNhbWxwOlJlc3BvbnNl+/=", 400)
	for _, v := range []string{"", "a", "abcdefg", "abcdefgh", "abcdefghi", b64, b64 + "é", "é" + b64,
		b64[:13] + "\U0001F600" + b64[:20], "\xff\xfe" + b64, b64 + "\xe2\x82", "日本語テキスト", strings.Repeat("x", 7) + "\U0001F600"} {
		if got, want := utf16Len(v), utf16LenRef(v); got != want {
			t.Errorf("utf16Len(%.30q…, %d bytes) = %d, want %d", v, len(v), got, want)
		}
	}
}

func FuzzUTF16Len(f *testing.F) {
	f.Add("PHNhbWxwOlJlc3BvbnNl+/=")
	f.Add("abcdefgh\U0001F600\xff")
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := utf16Len(v), utf16LenRef(v); got != want {
			t.Fatalf("utf16Len(%q) = %d, want %d", v, got, want)
		}
	})
}

// BenchmarkUTF16Len measures the length check of an 8 KB base64 assertion,
// which every AssumeRoleWithSAML call makes; utf16LenRef is the baseline.
func BenchmarkUTF16Len(b *testing.B) {
	v := strings.Repeat("PHNhbWxwOlJlc3BvbnNl+/=", 360)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if utf16Len(v) != len(v) {
				b.Fatal("wrong length")
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if utf16LenRef(v) != len(v) {
				b.Fatal("wrong length")
			}
		}
	})
}

// TestPlainTextMatchesPatterns checks the shortcut validateParams takes
// before the member patterns: whatever plainText accepts, both patterns
// accept.
func TestPlainTextMatchesPatterns(t *testing.T) {
	for _, v := range []string{"", "arn:aws:iam::123456789012:role/Admin", "\t\n\r ~", "a\x00", "a\x7f", "é", "\x1f", "{}\"'<>&"} {
		if !plainText(v) {
			continue
		}
		if !arnValueRE.MatchString(v) || !policyValueRE.MatchString(v) {
			t.Errorf("plainText(%q) but a member pattern refuses it", v)
		}
	}
	if plainText("") || plainText("a\x00") || plainText("é") || !plainText("arn:aws:iam::1:role/A") {
		t.Error("plainText accepts an empty string or a control/non-ASCII character, or refuses an ARN")
	}
}

func FuzzPlainText(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/Admin")
	f.Add("\t\x7f\x00é")
	f.Fuzz(func(t *testing.T, v string) {
		if plainText(v) && (!arnValueRE.MatchString(v) || !policyValueRE.MatchString(v)) {
			t.Fatalf("plainText(%q) but a member pattern refuses it", v)
		}
	})
}
