package webidentity

import (
	"strings"
	"testing"
)

// TestCheckDepth pins the nesting bound on a token's JSON: brackets count
// outside strings only, so nesting after a string is counted and brackets
// inside one (escaped quotes included) are not.
func TestCheckDepth(t *testing.T) {
	t.Parallel()
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		json string
		ok   bool
	}{
		{`{"a":` + nest(maxDepth-1) + `}`, true},
		{`{"a":` + nest(maxDepth) + `}`, false},
		{`{"ab":"c","d":` + nest(maxDepth) + `}`, false},
		{`{"a\"b":` + nest(maxDepth) + `}`, false},
		{`{"a\\":` + nest(maxDepth) + `}`, false},
		{`{"a":"` + nest(maxDepth+5) + `"}`, true},
		{`{"a":"\"` + nest(maxDepth+5) + `"}`, true},
	}
	for _, tt := range tests {
		if err := checkDepth([]byte(tt.json)); (err == nil) != tt.ok {
			t.Errorf("checkDepth(%.50q…) = %v, want ok %v", tt.json, err, tt.ok)
		}
	}
}
