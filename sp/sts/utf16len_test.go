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
