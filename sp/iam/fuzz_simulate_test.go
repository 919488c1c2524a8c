package iam

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// FuzzSimulate feeds arbitrary policy documents to the policy simulator: it
// must never panic; a document it refuses is MalformedPolicyDocument (400);
// and every matched statement's positions lie inside the document, the end
// after the start.
func FuzzSimulate(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "s3:PutObject", "arn:aws:s3:::b/k")
	f.Add("{\n \"Statement\": [\n  {\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"},\n  {\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}\n ]\n}", "iam:ListUsers", "*")
	f.Add(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, "s3:GetObject", "*")
	f.Add(`{"Statement":[`, "s3:GetObject", "*")
	f.Fuzz(func(t *testing.T, doc, action, resource string) {
		res, err := Simulate(SimulationInput{Policies: []SimulationPolicy{{ID: "PolicyInputList.1", Document: doc}},
			Actions: []string{action}, Resources: []string{resource}, Caller: "arn:aws:iam::123456789012:user/alice"})
		if err != nil {
			var ae *awsapi.Error
			if !errors.As(err, &ae) || ae.Code != awsapi.CodeMalformedPolicy || ae.Status != http.StatusBadRequest || ae.Message == "" {
				t.Fatalf("Simulate error = %v, want a MalformedPolicyDocument", err)
			}
			return
		}
		lines := strings.Count(doc, "\n") + 1
		for _, r := range res {
			switch r.EvalDecision {
			case EvalAllowed, EvalExplicitDeny, EvalImplicitDeny:
			default:
				t.Fatalf("EvalDecision %q", r.EvalDecision)
			}
			for _, m := range r.MatchedStatements {
				s, e := m.StartPosition, m.EndPosition
				if s.Line < 1 || e.Line > lines || s.Column < 1 || e.Column < 1 || e.Line < s.Line || (e.Line == s.Line && e.Column <= s.Column) {
					t.Fatalf("matched statement at %d:%d-%d:%d in a %d-line document", s.Line, s.Column, e.Line, e.Column, lines)
				}
			}
		}
	})
}
