package policy

import "strings"

// pattern is a match pattern after policy-variable substitution: a sequence
// of literal bytes and wildcards. Wildcards come only from '*' and '?' written
// in the policy; text substituted from the request context and the special
// variables ${*}, ${?} and ${$} are literal.
type pattern []pchar

type pchar struct {
	b    byte
	kind uint8 // pLit, pStar or pOne
}

const (
	pLit uint8 = iota
	pStar
	pOne
)

// wildPattern reads s with '*' and '?' as wildcards.
func wildPattern(s string) pattern {
	p := make(pattern, 0, len(s))
	return p.appendWild(s)
}

func (p pattern) appendWild(s string) pattern {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*':
			p = append(p, pchar{kind: pStar})
		case '?':
			p = append(p, pchar{kind: pOne})
		default:
			p = append(p, pchar{b: s[i]})
		}
	}
	return p
}

func (p pattern) appendLit(s string) pattern {
	for i := 0; i < len(s); i++ {
		p = append(p, pchar{b: s[i]})
	}
	return p
}

// literal returns the pattern as plain text, wildcards written as '*' and
// '?', for the equality operators (which have no wildcards).
func (p pattern) literal() string {
	var b strings.Builder
	b.Grow(len(p))
	for _, c := range p {
		switch c.kind {
		case pStar:
			b.WriteByte('*')
		case pOne:
			b.WriteByte('?')
		default:
			b.WriteByte(c.b)
		}
	}
	return b.String()
}

// match reports whether v matches p. '*' matches any run of bytes ('/' and
// ':' included), '?' exactly one byte. fold compares letters case-
// insensitively (ASCII), as IAM does for actions. The greedy two-pointer
// algorithm is linear in len(p)*len(v) at worst and needs no recursion, so a
// hostile pattern cannot make evaluation slow or deep.
func (p pattern) match(v string, fold bool) bool {
	pi, vi, star, mark := 0, 0, -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi].kind == pOne || (p[pi].kind == pLit && eqByte(p[pi].b, v[vi], fold))):
			pi++
			vi++
		case pi < len(p) && p[pi].kind == pStar:
			star, mark = pi, vi
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			vi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == pStar {
		pi++
	}
	return pi == len(p)
}

func eqByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	return lower(a) == lower(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// splitARN splits an ARN into its six colon-separated parts; the resource
// part keeps any further colons. ok is false when s has fewer than six parts.
func splitARN(s string) (parts [6]string, ok bool) {
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return parts, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	parts[5] = s
	return parts, true
}

// splitARNPattern splits p at its first five literal ':' like splitARN.
func splitARNPattern(p pattern) (parts [6]pattern, ok bool) {
	start, n := 0, 0
	for i := 0; i < len(p) && n < 5; i++ {
		if p[i].kind == pLit && p[i].b == ':' {
			parts[n] = p[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return parts, false
	}
	parts[5] = p[start:]
	return parts, true
}

// matchARN matches an ARN segment by segment: each of the six colon-
// separated parts of v must match the same part of p, so a wildcard never
// spans a colon before the resource part (UG "Condition operators", ARN
// operators: "Each of the six colon-delimited components of the ARN is checked
// separately"). A pattern that is not six parts ("*", "arn:aws:*") is matched
// against the whole value.
func matchARN(p pattern, v string) bool {
	pp, ok := splitARNPattern(p)
	if !ok {
		return p.match(v, false)
	}
	vp, ok := splitARN(v)
	if !ok {
		return false
	}
	for i := range pp {
		if !pp[i].match(vp[i], false) {
			return false
		}
	}
	return true
}
