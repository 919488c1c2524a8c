package policy

import "strings"

// Policy variables (IAM User Guide, "IAM policy elements: Variables and
// tags"):
//
//   - ${key} is replaced by the request's value for the condition key; key
//     names are case-insensitive. A key that is missing, or multivalued (a
//     multivalued key cannot be a variable), leaves the variable unresolved.
//   - ${key, 'default'} uses default when key does not resolve; inside the
//     quotes '' stands for one quote.
//   - ${*}, ${?} and ${$} are a literal '*', '?' and '$'.
//   - Variables are read only in documents whose Version is "2012-10-17";
//     elsewhere "${aws:username}" is literal text.
//   - Substituted text is literal: a '*' in a user name is not a wildcard.
//
// An unresolved variable makes the value it sits in match nothing ("any
// attempt to match it fails"): a Resource entry then matches no resource and a
// condition value no request value. Whether AWS instead drops the whole
// statement is unverified; for an Allow both readings give the same answer.
// A malformed reference ("${", "${}", an unterminated default) is kept as
// literal text (unverified).

// lookup returns the single value of a context key.
type lookup func(key string) (string, bool)

// expand substitutes the variables of s into a pattern. When vars is false,
// s is read with wildcards only. ok is false when a variable did not resolve.
func expand(s string, vars bool, get lookup) (p pattern, ok bool) {
	if !vars || !strings.Contains(s, "${") {
		return wildPattern(s), true
	}
	p = make(pattern, 0, len(s))
	ok = true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return p.appendWild(s), ok
		}
		p = p.appendWild(s[:i])
		body, rest, found := variableBody(s[i+2:])
		if !found {
			return p.appendWild(s[i:]), ok
		}
		s = rest
		switch body {
		case "*", "?", "$":
			p = p.appendLit(body)
			continue
		}
		name, def, hasDef, valid := splitDefault(body)
		if !valid {
			p = p.appendWild("${" + body + "}")
			continue
		}
		if v, found := get(name); found {
			p = p.appendLit(v)
		} else if hasDef {
			p = p.appendLit(def)
		} else {
			ok = false
		}
	}
}

// variableBody returns the text up to the closing brace of a variable,
// skipping braces inside a quoted default.
func variableBody(s string) (body, rest string, ok bool) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			quoted = !quoted
		case '}':
			if !quoted {
				return s[:i], s[i+1:], true
			}
		}
	}
	return "", "", false
}

// splitDefault parses "key" or "key, 'default'" (spaces around either part
// are ignored).
func splitDefault(body string) (name, def string, hasDef, ok bool) {
	name, rest, found := strings.Cut(body, ",")
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " '") {
		return "", "", false, false
	}
	if !found {
		return name, "", false, true
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		return "", "", false, false
	}
	inner := rest[1 : len(rest)-1]
	// Inside the quotes, quotes come in pairs ('' is one quote).
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\'' {
			if i+1 >= len(inner) || inner[i+1] != '\'' {
				return "", "", false, false
			}
			i++
		}
		b.WriteByte(inner[i])
	}
	return name, b.String(), true, true
}
