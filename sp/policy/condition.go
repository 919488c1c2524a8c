package policy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Condition is one operator/key/values test of a statement's Condition
// block. A statement's conditions all have to hold; a condition holds when
// the request matches any one of its values.
type Condition struct {
	// Operator is as written, set and IfExists qualifiers included:
	// "StringEquals", "ForAnyValue:StringLike", "DateLessThanIfExists".
	Operator string
	// Key is the condition key as written ("aws:PrincipalTag/team");
	// context keys are matched case-insensitively.
	Key    string
	Values []string
	op     operator
}

type family uint8

const (
	fString family = iota
	fNumeric
	fDate
	fBool
	fBinary
	fIP
	fARN
	fNull
)

type cmpKind uint8

const (
	cEq cmpKind = iota
	cEqFold
	cLike
	cLT
	cLE
	cGT
	cGE
)

type setQualifier uint8

const (
	setNone setQualifier = iota
	setAny
	setAll
)

// operator is a parsed condition operator.
type operator struct {
	family   family
	cmp      cmpKind
	negated  bool
	ifExists bool
	set      setQualifier
}

// operators lists every base operator of the IAM User Guide, "IAM JSON
// policy elements: Condition operators", by lower-case name. Names are looked
// up case-insensitively (unverified: AWS's documents spell them one way only).
var operators = map[string]operator{
	"stringequals":              {family: fString, cmp: cEq},
	"stringnotequals":           {family: fString, cmp: cEq, negated: true},
	"stringequalsignorecase":    {family: fString, cmp: cEqFold},
	"stringnotequalsignorecase": {family: fString, cmp: cEqFold, negated: true},
	"stringlike":                {family: fString, cmp: cLike},
	"stringnotlike":             {family: fString, cmp: cLike, negated: true},
	"numericequals":             {family: fNumeric, cmp: cEq},
	"numericnotequals":          {family: fNumeric, cmp: cEq, negated: true},
	"numericlessthan":           {family: fNumeric, cmp: cLT},
	"numericlessthanequals":     {family: fNumeric, cmp: cLE},
	"numericgreaterthan":        {family: fNumeric, cmp: cGT},
	"numericgreaterthanequals":  {family: fNumeric, cmp: cGE},
	"dateequals":                {family: fDate, cmp: cEq},
	"datenotequals":             {family: fDate, cmp: cEq, negated: true},
	"datelessthan":              {family: fDate, cmp: cLT},
	"datelessthanequals":        {family: fDate, cmp: cLE},
	"dategreaterthan":           {family: fDate, cmp: cGT},
	"dategreaterthanequals":     {family: fDate, cmp: cGE},
	"bool":                      {family: fBool, cmp: cEq},
	"binaryequals":              {family: fBinary, cmp: cEq},
	"ipaddress":                 {family: fIP, cmp: cEq},
	"notipaddress":              {family: fIP, cmp: cEq, negated: true},
	"arnequals":                 {family: fARN, cmp: cLike},
	"arnlike":                   {family: fARN, cmp: cLike},
	"arnnotequals":              {family: fARN, cmp: cLike, negated: true},
	"arnnotlike":                {family: fARN, cmp: cLike, negated: true},
	"null":                      {family: fNull},
}

// parseOperator reads "[ForAnyValue:|ForAllValues:]Name[IfExists]".
func parseOperator(s string) (operator, bool) {
	name := strings.ToLower(s)
	set := setNone
	if rest, ok := strings.CutPrefix(name, "foranyvalue:"); ok {
		set, name = setAny, rest
	} else if rest, ok := strings.CutPrefix(name, "forallvalues:"); ok {
		set, name = setAll, rest
	}
	op, ok := operators[name]
	if !ok {
		base, cut := strings.CutSuffix(name, "ifexists")
		if op, ok = operators[base]; !ok || !cut || op.family == fNull {
			// "You can add IfExists to the end of any condition operator
			// name except the Null condition".
			return operator{}, false
		}
		op.ifExists = true
	}
	if set != setNone && op.family == fNull {
		return operator{}, false // unverified: IAM may accept and ignore it
	}
	op.set = set
	return op, true
}

// parseConditions reads a Condition block; msg is IAM's message for a bad
// one. Conditions come out sorted by operator and key, so evaluation and
// explanations are deterministic.
func parseConditions(raw json.RawMessage) (conds []Condition, msg string) {
	var block map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil || block == nil {
		return nil, msgSyntax
	}
	for _, opName := range slices.Sorted(maps.Keys(block)) {
		op, ok := parseOperator(opName)
		if !ok {
			return nil, fmt.Sprintf(msgOperatorFmt, opName)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(block[opName], &keys); err != nil || keys == nil {
			return nil, msgSyntax
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			vals, err := scalarOrList(keys[k])
			if err != nil || k == "" {
				return nil, msgSyntax
			}
			conds = append(conds, Condition{Operator: opName, Key: k, Values: vals, op: op})
		}
	}
	return conds, ""
}

// holds evaluates the condition. The rules are the IAM User Guide's:
//
//   - a key missing from the request makes a condition false, and a negated
//     one (StringNotEquals, ArnNotLike, NotIpAddress…) true ("Condition
//     operators", Important box); …IfExists makes it true; Null tests
//     presence ("true": the key is absent);
//   - ForAnyValue: true if some request value matches (false for a missing or
//     empty key); ForAllValues: true if every request value matches (true for
//     a missing or empty key) ("Creating a condition with multiple keys or
//     values"); a negated operator under a set qualifier negates each value's
//     match;
//   - without a qualifier a key is matched by any of its values, and a
//     negated operator is the negation of its positive form: StringNotEquals
//     holds when no request value equals any policy value (unverified for
//     multivalued keys without a qualifier, which AWS says need one).
func (c *Condition) holds(ec *evalContext) bool {
	vals, present := ec.values(c.Key)
	present = present && len(vals) > 0
	op := c.op
	if op.family == fNull {
		for _, want := range c.Values {
			if strings.EqualFold(want, "true") == !present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case op.ifExists, op.set == setAll:
			return true
		case op.set == setAny:
			return false
		}
		return op.negated
	}
	pats := c.patterns(ec)
	match := func(v string) bool {
		for _, p := range pats {
			if op.compare(p, v) {
				return true
			}
		}
		return false
	}
	switch op.set {
	case setAll:
		for _, v := range vals {
			if match(v) == op.negated {
				return false
			}
		}
		return true
	case setAny:
		for _, v := range vals {
			if match(v) != op.negated {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if match(v) {
			return !op.negated
		}
	}
	return op.negated
}

// patterns expands the condition's values. Policy variables are read in
// string, ARN and Bool conditions only ("Condition operators": "You can use
// a policy variable with the String/ARN/Boolean condition operator"); a value
// whose variable does not resolve is dropped.
func (c *Condition) patterns(ec *evalContext) []pattern {
	vars := ec.vars && (c.op.family == fString || c.op.family == fARN || c.op.family == fBool)
	out := make([]pattern, 0, len(c.Values))
	for _, v := range c.Values {
		if p, ok := expand(v, vars, ec.single); ok {
			out = append(out, p)
		}
	}
	return out
}

// compare tests one policy value against one request value with the
// operator's positive form. Values of the wrong type never match.
func (op operator) compare(p pattern, v string) bool {
	switch op.family {
	case fString:
		switch op.cmp {
		case cEq:
			return p.literal() == v
		case cEqFold:
			return strings.EqualFold(p.literal(), v)
		default:
			return p.match(v, false)
		}
	case fNumeric:
		a, errA := parseNumber(v)
		b, errB := parseNumber(p.literal())
		return errA == nil && errB == nil && ordered(op.cmp, compareFloat(a, b))
	case fDate:
		a, errA := parseDate(v)
		b, errB := parseDate(p.literal())
		return errA == nil && errB == nil && ordered(op.cmp, a.Compare(b))
	case fBool:
		// Unverified: AWS's examples write "true"/"false" in lower case;
		// both sides are compared case-insensitively.
		pv := p.literal()
		return (strings.EqualFold(pv, "true") || strings.EqualFold(pv, "false")) && strings.EqualFold(pv, v)
	case fBinary:
		// The policy value is base64; the request value is the key's bytes,
		// which a caller also passes base64-encoded.
		a, errA := base64.StdEncoding.DecodeString(v)
		b, errB := base64.StdEncoding.DecodeString(p.literal())
		return errA == nil && errB == nil && bytes.Equal(a, b)
	case fIP:
		prefix, errP := parsePrefix(p.literal())
		addr, errA := netip.ParseAddr(strings.TrimSpace(v))
		return errP == nil && errA == nil && prefix.Contains(addr.Unmap())
	case fARN:
		return matchARN(p, v)
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ordered reports whether c (request value compared with policy value)
// satisfies the comparison.
func ordered(k cmpKind, c int) bool {
	switch k {
	case cEq:
		return c == 0
	case cLT:
		return c < 0
	case cLE:
		return c <= 0
	case cGT:
		return c > 0
	case cGE:
		return c >= 0
	}
	return false
}

// parseNumber reads an integer or decimal ("Numeric condition operators");
// hexadecimal, Inf and NaN, which strconv would accept, are refused.
func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	return strconv.ParseFloat(s, 64)
}

// dateLayouts are the W3C profile of ISO 8601 the IAM User Guide names for
// date conditions (www.w3.org/TR/NOTE-datetime). A time without a zone is
// read as UTC (unverified).
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseDate reads a W3C date/time or epoch seconds ("or in epoch (UNIX)
// time").
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s != "" && strings.Trim(s, "0123456789") == "" && len(s) > 4 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		return time.Unix(n, 0).UTC(), nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date or epoch time", s)
}

// parsePrefix reads a CIDR, or an address alone as /32 (/128 for IPv6).
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked(), nil
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
