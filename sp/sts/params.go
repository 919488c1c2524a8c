package sts

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

func invalidToken(msg string, cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: http.StatusBadRequest, Message: msg, Err: cause}
}

func notAuthorized(cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden, Message: msgNotAuthorized, Err: cause}
}

func expired(msg string, cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeExpiredTokenException, Status: http.StatusBadRequest, Message: msg, Err: cause}
}

func validationError(msg string, cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeValidation, Status: http.StatusBadRequest, Message: msg, Err: cause}
}

// constraints collects AWS's per-member constraint violations (row 1).
type constraints []string

// quoted renders a member value as AWS does in validation messages.
func quoted(v string) string { return "'" + v + "'" }

// str checks a string member: pattern first, then length, as AWS lists them.
// A sensitive member's value is never echoed.
func (c *constraints) str(member, v string, sensitive bool, minLen, maxLen int, re *regexp.Regexp, pattern string) {
	n := utf16Len(v)
	badPattern := re != nil && !(plainText(v) && (re == arnValueRE || re == policyValueRE)) && !re.MatchString(v)
	if !badPattern && n >= minLen && n <= maxLen {
		return
	}
	shown := quoted(v)
	if sensitive {
		shown = ""
	}
	if badPattern {
		c.addValue(shown, member, "satisfy regular expression pattern: %s", pattern)
	}
	if n < minLen {
		c.addValue(shown, member, "have length greater than or equal to %d", minLen)
	}
	if n > maxLen {
		c.addValue(shown, member, "have length less than or equal to %d", maxLen)
	}
}

// plainText reports whether v is non-empty and only tab, LF, CR and
// printable ASCII: characters both arnValueRE and policyValueRE accept, so
// the common ARN is checked without running the regular expression.
func plainText(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 || c > 0x7e) && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return v != ""
}

// utf16Len is v's length in UTF-16 code units, as AWS's (Java) front end
// counts lengths.
func utf16Len(v string) int {
	// An ASCII byte is one unit. Assertions are kilobytes of base64, so
	// count ASCII runs eight bytes at a time before decoding runes.
	i := 0
	for ; i+8 <= len(v); i += 8 {
		if (v[i]|v[i+1]|v[i+2]|v[i+3]|v[i+4]|v[i+5]|v[i+6]|v[i+7])&0x80 != 0 {
			break
		}
	}
	for ; i < len(v) && v[i] < utf8.RuneSelf; i++ {
	}
	n := i
	for _, r := range v[i:] {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++ // an invalid byte decodes to U+FFFD, one unit
		}
	}
	return n
}

// null records a required member that was not sent (AWS's "Value null" form).
func (c *constraints) null(member string) {
	*c = append(*c, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
}

// addValue records one violation, with the value shown or not: "Value 'x' at" or "Value at".
func (c *constraints) addValue(value, member, constraint string, args ...any) {
	v := "Value"
	if value != "" {
		v += " " + value
	}
	*c = append(*c, fmt.Sprintf("%s at '%s' failed to satisfy constraint: Member must %s",
		v, member, fmt.Sprintf(constraint, args...)))
}

// validateParams implements row 1: AWS's length, pattern and range
// constraints of the service model, reported all at once in AWS's "N
// validation error(s) detected: …; …" form, members in the model's order.
// Observed from the Go SDK with both ARNs empty:
//
//	4 validation errors detected: Value '' at 'roleArn' failed to satisfy
//	constraint: Member must satisfy regular expression pattern: […]+; Value ''
//	at 'roleArn' failed to satisfy constraint: Member must have length greater
//	than or equal to 20; …
func validateParams(in AssumeRoleWithSAMLInput) error {
	var c constraints
	required := func(member, v string, sensitive bool, minLen, maxLen int, re *regexp.Regexp, pattern string) {
		if slices.Contains(in.Missing, member) {
			c.null(member)
			return
		}
		c.str(member, v, sensitive, minLen, maxLen, re, pattern)
	}
	required("roleArn", in.RoleARN, false, 20, 2048, arnValueRE, arnPattern)
	required("principalArn", in.PrincipalARN, false, 20, 2048, arnValueRE, arnPattern)
	required("sAMLAssertion", in.SAMLAssertion, true, MinAssertionLength, MaxAssertionLength, nil, "")
	for i, arn := range in.PolicyARNs {
		c.str(fmt.Sprintf("policyArns.%d.member.arn", i+1), arn, false, 20, 2048, arnValueRE, arnPattern)
	}
	if n := len(in.PolicyARNs); n > maxPolicyARNs {
		c.addValue("", "policyArns", "have length less than or equal to %d", maxPolicyARNs)
	}
	if in.Policy != "" || in.PolicySet {
		c.str("policy", in.Policy, false, 1, maxPolicyLen, policyValueRE, policyPattern)
	}
	if d := in.DurationSeconds; d != nil {
		if *d < MinDuration {
			c.addValue(quoted(strconv.Itoa(*d)), "durationSeconds", "have value greater than or equal to %d", MinDuration)
		}
		if *d > MaxDuration {
			c.addValue(quoted(strconv.Itoa(*d)), "durationSeconds", "have value less than or equal to %d", MaxDuration)
		}
	}
	if len(c) == 0 {
		return nil
	}
	noun := "error"
	if len(c) > 1 {
		noun = "errors"
	}
	return validationError(fmt.Sprintf("%d validation %s detected: %s", len(c), noun, strings.Join(c, "; ")), nil)
}

// checkRequest implements rows 1 and 2: the parameters' constraints, then
// the ARNs' syntax.
func (s *Service) checkRequest(in AssumeRoleWithSAMLInput) error {
	// Row 1: parameters.
	if err := validateParams(in); err != nil {
		return err
	}
	// Row 2: ARN syntax, PrincipalArn first (Behavior).
	if !awssaml.ValidProviderARN(in.PrincipalARN) {
		return validationError(msgPrincipalARN, fmt.Errorf("%q is not a SAML provider ARN", in.PrincipalARN))
	}
	if !awssaml.ValidRoleARN(in.RoleARN) {
		return validationError(msgRoleARN, fmt.Errorf("%q is not a role ARN", in.RoleARN))
	}
	return nil
}
