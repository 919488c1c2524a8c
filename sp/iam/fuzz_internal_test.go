package iam

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

var validationMessageRE = regexp.MustCompile(`^(1 validation error|[2-9]\d* validation errors|1\d+ validation errors) detected: Value( null| '.*'|) at '[^']+' failed to satisfy constraint: Member must `)

// FuzzValidateInput feeds arbitrary parameters to the validation of every
// operation: it must never panic, and what it refuses it refuses with a
// ValidationError 400 in AWS's form or IAM's own message.
func FuzzValidateInput(f *testing.F) {
	f.Add(uint8(0), "RoleName=R&AssumeRolePolicyDocument=%7B%7D")
	f.Add(uint8(1), "Tags.member.1.Key=a%2Ab&Tags.member.1.Value=v&Tags.member.3.Key=")
	f.Add(uint8(2), "TagKeys.member.1=&TagKeys.member.2=k&SAMLProviderArn=arn")
	f.Add(uint8(3), "MaxItems=0&Marker=&PathPrefix=x")
	f.Add(uint8(4), "AccountAlias=a--b")
	f.Add(uint8(5), "RoleName=arn%3Aaws%3Aiam%3A%3A1%3Arole%2FR&Path=%2Fa")
	actions := make([]string, 0, len(operationInputs))
	for a := range operationInputs {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	own := []string{shRoleName.ownPattern, shRolePath.ownPattern}
	f.Fuzz(func(t *testing.T, op uint8, query string) {
		params, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		action := actions[int(op)%len(actions)]
		err = validateInput(action, params)
		if err == nil {
			return
		}
		var ae *awsapi.Error
		if !errors.As(err, &ae) || ae.Code != awsapi.CodeValidation || ae.Status != http.StatusBadRequest {
			t.Fatalf("%s(%q) = %v, want a ValidationError 400", action, query, err)
		}
		if !slices.Contains(own, ae.Message) && !validationMessageRE.MatchString(ae.Message) {
			t.Fatalf("%s(%q): message not in AWS's form: %q", action, query, ae.Message)
		}
	})
}

// FuzzParsePermissionsPolicy: any document is either accepted or refused
// with MalformedPolicyDocument 400, never a panic.
func FuzzParsePermissionsPolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	f.Add(`{"Statement":{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::x"}}`)
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
	f.Add(`{"Statement":[null,1,"x"]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		err := ParsePermissionsPolicy(doc)
		if err == nil {
			return
		}
		var ae *awsapi.Error
		if !errors.As(err, &ae) || ae.Code != awsapi.CodeMalformedPolicy || ae.Status != http.StatusBadRequest {
			t.Fatalf("ParsePermissionsPolicy(%q) = %v, want MalformedPolicyDocument 400", doc, err)
		}
	})
}
