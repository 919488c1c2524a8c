package iam

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Request validation as AWS's front end does it for IAM, before an operation
// runs (docs/aws-behavior.md §1.3). The constraints are those of the input
// shapes in IAM's service model (iam-2010-05-08, as botocore publishes it),
// written out here by hand: the model is not vendored, and the table is small.
//
// The wording rules, from real AWS output:
//   - "N validation error(s) detected: " then one clause per broken
//     constraint, joined by "; ", members in the model's order;
//   - a clause is "Value 'v' at 'member' failed to satisfy constraint: Member
//     must …", with "Value null" for a missing required member and no value at
//     all for members the model marks sensitive;
//   - only the bound that was broken is named ("have length less than or
//     equal to 64"; AWS never says "between");
//   - a string breaking its pattern and its length (an empty string) gets
//     both clauses, pattern first;
//   - members of a list of structures are indexed ('tags.1.member.key'); a
//     list of strings is reported whole, its broken element constraints in
//     brackets ("Member must satisfy constraint: [Member must …]").
//
// Where IAM replaces a constraint clause with its own message (role names,
// role paths), the own message is used, and only once the model's checks pass.

// shape is a string or integer shape of the model.
type shape struct {
	min, max    int // string length in UTF-16 units, or integer value; noBound when absent
	pattern     string
	match       func(string) bool
	enum        []string
	sensitive   bool
	ownPattern  string // IAM's own message for a value that breaks the pattern
	isInteger   bool
	isBoolean   bool
	listMax     int    // for list members: the list's maximum length
	elem        *shape // for lists of strings: the element shape
	tagElements bool   // for lists of Tag structures
}

const noBound = -1

// javaRE compiles a pattern of the model (Java syntax, matched whole) for Go's
// regexp: \uXXXX escapes become \x{XXXX}.
func javaRE(p string) func(string) bool {
	re := regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`).ReplaceAllString(p, `\x{$1}`)
	c := regexp.MustCompile(`^(?:` + re + `)$`)
	return c.MatchString
}

func str(lo, hi int, pattern string) *shape {
	s := &shape{min: lo, max: hi, pattern: pattern}
	if pattern != "" {
		s.match = javaRE(pattern)
	}
	return s
}

// Shapes of IAM's model used by the operations served.
var (
	shARN          = str(20, 2048, "")
	shRoleName     = withOwn(str(1, 64, `[\w+=,.@-]+`), "The specified value for roleName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
	shProviderName = str(1, 128, `[\w._-]+`)
	shMetadata     = str(1000, 10_000_000, "")
	shPolicyDoc    = str(1, 131072, `[\u0009\u000A\u000D\u0020-\u00FF]+`)
	shRolePath     = withOwn(str(1, 512, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`), "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	shPathPrefix   = str(1, 512, `\u002F[\u0021-\u007F]*`)
	shPolicyPath   = str(1, 512, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`)
	shRoleDesc     = str(noBound, 1000, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	shPolicyDesc   = str(noBound, 1000, "")
	shPolicyName   = str(1, 128, `[\w+=,.@-]+`)
	shVersionID    = str(noBound, noBound, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	shMarker       = str(1, 320, `[\u0020-\u00FF]+`)
	shMaxItems     = &shape{min: 1, max: 1000, isInteger: true}
	shMaxSession   = &shape{min: 3600, max: 43200, isInteger: true}
	shTagKey       = str(1, 128, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
	shTagValue     = str(0, 256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
	shTags         = &shape{min: noBound, max: noBound, listMax: 50, tagElements: true}
	shTagKeys      = &shape{min: noBound, max: noBound, listMax: 50, elem: shTagKey}
	shPrivateKey   = &shape{min: 1, max: MaxPrivateKeyLen, pattern: `[\u0009\u000A\u000D\u0020-\u00FF]+`,
		match: javaRE(`[\u0009\u000A\u000D\u0020-\u00FF]+`), sensitive: true}
	shKeyID       = str(22, 64, `[A-Z0-9]+`)
	shEncryption  = &shape{min: noBound, max: noBound, enum: []string{EncryptionRequired, EncryptionAllowed}}
	shScope       = &shape{min: noBound, max: noBound, enum: []string{"All", "AWS", "Local"}}
	shUsageFilter = &shape{min: noBound, max: noBound, enum: []string{"PermissionsPolicy", "PermissionsBoundary"}}
	shBoolean     = &shape{min: noBound, max: noBound, isBoolean: true}
	// The alias pattern ^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$ uses a
	// lookahead, which Go's regexp lacks: lowercase letters and digits, with
	// single hyphens inside.
	shAlias = &shape{min: 3, max: 63, pattern: `^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$`, match: aliasMatch}
)

func withOwn(s *shape, msg string) *shape { s.ownPattern = msg; return s }

func aliasMatch(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0 && i < len(s)-1 && s[i+1] != '-':
		default:
			return false
		}
	}
	return true
}

// member is one input member of an operation.
type member struct {
	param    string // Query parameter name
	required bool
	shape    *shape
}

func req(param string, s *shape) member { return member{param, true, s} }
func opt(param string, s *shape) member { return member{param, false, s} }

// Input members of every operation served, in the model's order.
var operationInputs = map[string][]member{
	"CreateSAMLProvider": {req("SAMLMetadataDocument", shMetadata), req("Name", shProviderName), opt("Tags", shTags),
		opt("AssertionEncryptionMode", shEncryption), opt("AddPrivateKey", shPrivateKey)},
	"UpdateSAMLProvider": {opt("SAMLMetadataDocument", shMetadata), req("SAMLProviderArn", shARN),
		opt("AssertionEncryptionMode", shEncryption), opt("AddPrivateKey", shPrivateKey), opt("RemovePrivateKey", shKeyID)},
	"GetSAMLProvider":      {req("SAMLProviderArn", shARN)},
	"ListSAMLProviders":    {},
	"DeleteSAMLProvider":   {req("SAMLProviderArn", shARN)},
	"TagSAMLProvider":      {req("SAMLProviderArn", shARN), req("Tags", shTags)},
	"UntagSAMLProvider":    {req("SAMLProviderArn", shARN), req("TagKeys", shTagKeys)},
	"ListSAMLProviderTags": {req("SAMLProviderArn", shARN), opt("Marker", shMarker), opt("MaxItems", shMaxItems)},
	"CreateRole": {opt("Path", shRolePath), req("RoleName", shRoleName), req("AssumeRolePolicyDocument", shPolicyDoc),
		opt("Description", shRoleDesc), opt("MaxSessionDuration", shMaxSession), opt("PermissionsBoundary", shARN), opt("Tags", shTags)},
	"GetRole":                {req("RoleName", shRoleName)},
	"UpdateRole":             {req("RoleName", shRoleName), opt("Description", shRoleDesc), opt("MaxSessionDuration", shMaxSession)},
	"UpdateRoleDescription":  {req("RoleName", shRoleName), req("Description", shRoleDesc)},
	"UpdateAssumeRolePolicy": {req("RoleName", shRoleName), req("PolicyDocument", shPolicyDoc)},
	"DeleteRole":             {req("RoleName", shRoleName)},
	"ListRoles":              {opt("PathPrefix", shPathPrefix), opt("Marker", shMarker), opt("MaxItems", shMaxItems)},
	"TagRole":                {req("RoleName", shRoleName), req("Tags", shTags)},
	"UntagRole":              {req("RoleName", shRoleName), req("TagKeys", shTagKeys)},
	"ListRoleTags":           {req("RoleName", shRoleName), opt("Marker", shMarker), opt("MaxItems", shMaxItems)},
	"PutRolePolicy":          {req("RoleName", shRoleName), req("PolicyName", shPolicyName), req("PolicyDocument", shPolicyDoc)},
	"GetRolePolicy":          {req("RoleName", shRoleName), req("PolicyName", shPolicyName)},
	"DeleteRolePolicy":       {req("RoleName", shRoleName), req("PolicyName", shPolicyName)},
	"ListRolePolicies":       {req("RoleName", shRoleName), opt("Marker", shMarker), opt("MaxItems", shMaxItems)},
	"AttachRolePolicy":       {req("RoleName", shRoleName), req("PolicyArn", shARN)},
	"DetachRolePolicy":       {req("RoleName", shRoleName), req("PolicyArn", shARN)},
	"ListAttachedRolePolicies": {req("RoleName", shRoleName), opt("PathPrefix", shPolicyPath), opt("Marker", shMarker),
		opt("MaxItems", shMaxItems)},
	"PutRolePermissionsBoundary":    {req("RoleName", shRoleName), req("PermissionsBoundary", shARN)},
	"DeleteRolePermissionsBoundary": {req("RoleName", shRoleName)},
	"CreatePolicy": {req("PolicyName", shPolicyName), opt("Path", shPolicyPath), req("PolicyDocument", shPolicyDoc),
		opt("Description", shPolicyDesc), opt("Tags", shTags)},
	"GetPolicy":        {req("PolicyArn", shARN)},
	"GetPolicyVersion": {req("PolicyArn", shARN), req("VersionId", shVersionID)},
	"ListPolicies": {opt("Scope", shScope), opt("OnlyAttached", shBoolean), opt("PathPrefix", shPolicyPath),
		opt("PolicyUsageFilter", shUsageFilter), opt("Marker", shMarker), opt("MaxItems", shMaxItems)},
	"CreateAccountAlias": {req("AccountAlias", shAlias)},
	"DeleteAccountAlias": {req("AccountAlias", shAlias)},
	"ListAccountAliases": {opt("Marker", shMarker), opt("MaxItems", shMaxItems)},
}

// validateInput checks the parameters of action against its model
// constraints and returns AWS's ValidationError for every broken one, or nil.
func validateInput(action string, p url.Values) error {
	members, ok := operationInputs[action]
	if !ok {
		return nil
	}
	var clauses []string
	var own []string
	for _, m := range members {
		c, o := checkMember(m, p)
		clauses = append(clauses, c...)
		own = append(own, o...)
	}
	if len(clauses) > 0 {
		return validationError(clauses)
	}
	if len(own) > 0 {
		return awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest, "%s", own[0])
	}
	return nil
}

// validationError joins clauses into AWS's message.
func validationError(clauses []string) *awsapi.Error {
	s := "s"
	if len(clauses) == 1 {
		s = ""
	}
	return awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest, "%d validation error%s detected: %s",
		len(clauses), s, strings.Join(clauses, "; "))
}

// checkValue checks one present scalar value against its shape and returns
// the broken constraints as "Member must …" phrases, and IAM's own message
// when the shape has one and its pattern is broken.
func checkValue(s *shape, v string) (musts []string, own string) {
	switch {
	case s.isInteger:
		n, err := strconv.Atoi(v)
		if err != nil {
			// Not a number at all: the Query protocol's deserializer refuses it
			// before the constraints are looked at (wording unverified).
			return []string{"Member must be an integer"}, ""
		}
		if s.min != noBound && n < s.min {
			musts = append(musts, fmt.Sprintf("Member must have value greater than or equal to %d", s.min))
		}
		if s.max != noBound && n > s.max {
			musts = append(musts, fmt.Sprintf("Member must have value less than or equal to %d", s.max))
		}
		return musts, ""
	case s.isBoolean:
		// No constraint: like Java's Boolean.parseBoolean, anything but
		// "true" (any case) reads as false. What AWS answers for "maybe" is
		// unverified.
		return nil, ""
	case len(s.enum) > 0:
		if !slices.Contains(s.enum, v) {
			return []string{fmt.Sprintf("Member must satisfy enum value set: [%s]", strings.Join(s.enum, ", "))}, ""
		}
		return nil, ""
	}
	if s.match != nil && !s.match(v) {
		if s.ownPattern != "" {
			own = s.ownPattern
		} else {
			musts = append(musts, "Member must satisfy regular expression pattern: "+s.pattern)
		}
	}
	// Java measures strings in UTF-16 code units.
	n := utf16Len(v)
	if s.min != noBound && n < s.min {
		musts = append(musts, fmt.Sprintf("Member must have length greater than or equal to %d", s.min))
	}
	if s.max != noBound && n > s.max {
		musts = append(musts, fmt.Sprintf("Member must have length less than or equal to %d", s.max))
	}
	return musts, own
}

func clause(value, at, must string, sensitive bool) string {
	if sensitive {
		return fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", at, must)
	}
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, at, must)
}

func nullClause(at string) string {
	return fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", at)
}

// checkMember returns the clauses for one member of a request, and IAM's own
// messages for it.
func checkMember(m member, p url.Values) (clauses, own []string) {
	at := lowerFirst(m.param)
	s := m.shape
	switch {
	case s.tagElements:
		return checkTagList(m, p), nil
	case s.elem != nil:
		return checkStringList(m, p), nil
	}
	vs, ok := p[m.param]
	if !ok || len(vs) == 0 {
		if m.required {
			return []string{nullClause(at)}, nil
		}
		return nil, nil
	}
	musts, o := checkValue(s, vs[0])
	for _, must := range musts {
		clauses = append(clauses, clause(vs[0], at, must, s.sensitive))
	}
	if o != "" {
		own = append(own, o)
	}
	return clauses, own
}

func checkTagList(m member, p url.Values) []string {
	at := lowerFirst(m.param)
	idx := memberIndexes(p, m.param)
	if len(idx) == 0 {
		if m.required {
			return []string{nullClause(at)}
		}
		return nil
	}
	var out []string
	if len(idx) > m.shape.listMax {
		// How AWS renders the structures of an over-long list is unverified;
		// this is the AWS SDK for Java's rendering of a Tag.
		items := make([]string, len(idx))
		for i, n := range idx {
			base := fmt.Sprintf("%s.member.%d.", m.param, n)
			items[i] = fmt.Sprintf("{Key: %s,Value: %s}", p.Get(base+"Key"), p.Get(base+"Value"))
		}
		out = append(out, clause("["+strings.Join(items, ", ")+"]", at,
			fmt.Sprintf("Member must have length less than or equal to %d", m.shape.listMax), false))
	}
	for _, n := range idx {
		base := fmt.Sprintf("%s.member.%d.", m.param, n)
		for _, f := range []struct {
			param, name string
			s           *shape
		}{{"Key", "key", shTagKey}, {"Value", "value", shTagValue}} {
			fat := fmt.Sprintf("%s.%d.member.%s", at, n, f.name)
			vs, ok := p[base+f.param]
			if !ok || len(vs) == 0 {
				out = append(out, nullClause(fat))
				continue
			}
			musts, _ := checkValue(f.s, vs[0])
			for _, must := range musts {
				out = append(out, clause(vs[0], fat, must, false))
			}
		}
	}
	return out
}

func checkStringList(m member, p url.Values) []string {
	at := lowerFirst(m.param)
	idx := memberIndexes(p, m.param)
	if len(idx) == 0 {
		if m.required {
			return []string{nullClause(at)}
		}
		return nil
	}
	vals := make([]string, len(idx))
	var broken []string
	for i, n := range idx {
		vals[i] = p.Get(fmt.Sprintf("%s.member.%d", m.param, n))
		musts, _ := checkValue(m.shape.elem, vals[i])
		for _, must := range musts {
			if !slices.Contains(broken, must) {
				broken = append(broken, must)
			}
		}
	}
	value := "[" + strings.Join(vals, ", ") + "]"
	var out []string
	if len(idx) > m.shape.listMax {
		out = append(out, clause(value, at, fmt.Sprintf("Member must have length less than or equal to %d", m.shape.listMax), false))
	}
	if len(broken) > 0 {
		out = append(out, clause(value, at, "Member must satisfy constraint: ["+strings.Join(broken, ", ")+"]", false))
	}
	return out
}

// memberIndexes returns the sorted distinct N of parameters prefix.member.N[.…].
func memberIndexes(p url.Values, prefix string) []int {
	var out []int
	pre := prefix + ".member."
	for k := range p {
		rest, ok := strings.CutPrefix(k, pre)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || slices.Contains(out, n) {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// checkOne validates a single value the Go API was given, as the HTTP path
// would: the same clauses for the same value.
func checkOne(param string, s *shape, v string) error {
	musts, own := checkValue(s, v)
	if len(musts) > 0 {
		cl := make([]string, len(musts))
		for i, m := range musts {
			cl[i] = clause(v, lowerFirst(param), m, s.sensitive)
		}
		return validationError(cl)
	}
	if own != "" {
		return awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest, "%s", own)
	}
	return nil
}

// utf16Len is the length of s in UTF-16 code units, as Java's String.length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
