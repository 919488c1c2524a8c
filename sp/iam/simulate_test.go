package iam_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// codecommitPolicy is the policy of the aws CLI's simulate-principal-policy
// example, laid out so that its statement spans line 3 column 19 to line 9
// column 10, the positions the example shows.
const codecommitPolicy = `{
    "Version": "2012-10-17",
    "Statement": {
        "Sid": "GrantAccessToCodeCommitListRepo",
        "Effect": "Allow",
        "Action": "codecommit:ListRepositories",
        "Resource": "*"

        }
}`

// dynamoPolicy is the policy of the CLI's simulate-custom-policy example,
// whose statement the example shows at 1:38 to 1:167.
const dynamoPolicy = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`

// TestSDKSimulatePrincipalPolicy asks what a user may do, from the user's and
// its groups' policies and its boundary, and checks decisions, matched
// statements and missing context keys.
func TestSDKSimulatePrincipalPolicy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := authzServer(t)
	c := s.sdk()
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alejandro")}))(t, "CreateUser")
	must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alejandro"), PolicyName: aws.String("Grant-Access-To-CodeCommit-ListRepo"),
		PolicyDocument: aws.String(codecommitPolicy)}))(t, "PutUserPolicy")
	must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Uploaders")}))(t, "CreateGroup")
	must(c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Uploaders"), UserName: aws.String("alejandro")}))(t, "AddUserToGroup")
	must(c.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("Uploaders"), PolicyName: aws.String("put"),
		PolicyDocument: policyDoc(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::reports/*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},` +
			`{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::reports/secret/*"}`)}))(t, "PutGroupPolicy")
	user := aws.String("arn:aws:iam::123456789012:user/alejandro")

	out := must(c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: user,
		ActionNames: []string{"codecommit:ListRepositories"}}))(t, "SimulatePrincipalPolicy")
	if len(out.EvaluationResults) != 1 {
		t.Fatalf("EvaluationResults = %+v", out.EvaluationResults)
	}
	r := out.EvaluationResults[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || aws.ToString(r.EvalResourceName) != "*" || len(r.MatchedStatements) != 1 {
		t.Fatalf("codecommit:ListRepositories = %s on %s, matched %+v", r.EvalDecision, aws.ToString(r.EvalResourceName), r.MatchedStatements)
	}
	m := r.MatchedStatements[0]
	if aws.ToString(m.SourcePolicyId) != "Grant-Access-To-CodeCommit-ListRepo" || m.SourcePolicyType != types.PolicySourceTypeUser ||
		m.StartPosition.Line != 3 || m.StartPosition.Column != 19 || m.EndPosition.Line != 9 || m.EndPosition.Column != 10 {
		t.Errorf("MatchedStatements[0] = %s %s %d:%d-%d:%d, want the CLI example's 3:19-9:10", aws.ToString(m.SourcePolicyId), m.SourcePolicyType,
			m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column)
	}

	// s3:PutObject on three keys: allowed only with MFA, denied under
	// secret/, and not allowed at all elsewhere.
	sim := func(ctxEntries ...types.ContextEntry) []types.EvaluationResult {
		t.Helper()
		return must(c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: user, ActionNames: []string{"s3:PutObject"},
			ResourceArns:   []string{"arn:aws:s3:::reports/q1.csv", "arn:aws:s3:::reports/secret/plan.txt", "arn:aws:s3:::other/x"},
			ContextEntries: ctxEntries}))(t, "SimulatePrincipalPolicy s3").EvaluationResults
	}
	res := sim()
	if res[0].EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || !slices.Equal(res[0].MissingContextValues, []string{"aws:MultiFactorAuthPresent"}) {
		t.Errorf("without MFA: %s, missing %v; want implicitDeny missing aws:MultiFactorAuthPresent", res[0].EvalDecision, res[0].MissingContextValues)
	}
	if res[1].EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny || len(res[1].MatchedStatements) != 1 || aws.ToString(res[1].MatchedStatements[0].SourcePolicyId) != "put" ||
		res[1].MatchedStatements[0].SourcePolicyType != types.PolicySourceTypeGroup {
		t.Errorf("secret/: %s matched %+v, want explicitDeny by group policy put", res[1].EvalDecision, res[1].MatchedStatements)
	}
	if res[2].EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || len(res[2].MissingContextValues) != 0 {
		t.Errorf("other bucket: %s missing %v", res[2].EvalDecision, res[2].MissingContextValues)
	}
	res = sim(types.ContextEntry{ContextKeyName: aws.String("aws:MultiFactorAuthPresent"), ContextKeyType: types.ContextKeyTypeEnumBoolean, ContextKeyValues: []string{"true"}})
	if res[0].EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || len(res[0].MissingContextValues) != 0 {
		t.Errorf("with MFA: %s missing %v, want allowed", res[0].EvalDecision, res[0].MissingContextValues)
	}

	// A boundary given with the request bounds the user.
	b := must(c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: user, ActionNames: []string{"codecommit:ListRepositories"},
		PermissionsBoundaryPolicyInputList: []string{*policyDoc(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)}}))(t, "with a boundary").EvaluationResults[0]
	if b.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || b.PermissionsBoundaryDecisionDetail == nil || b.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("outside the boundary: %s, detail %+v", b.EvalDecision, b.PermissionsBoundaryDecisionDetail)
	}

	// Paging over results.
	page := must(c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: user, ActionNames: []string{"s3:PutObject", "s3:GetObject", "iam:ListUsers"},
		MaxItems: aws.Int32(2)}))(t, "paged")
	if len(page.EvaluationResults) != 2 || !page.IsTruncated {
		t.Errorf("MaxItems 2 of 3: %d results, truncated %v", len(page.EvaluationResults), page.IsTruncated)
	}
	rest := must(c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: user, ActionNames: []string{"s3:PutObject", "s3:GetObject", "iam:ListUsers"},
		Marker: page.Marker}))(t, "second page")
	if len(rest.EvaluationResults) != 1 || aws.ToString(rest.EvaluationResults[0].EvalActionName) != "iam:ListUsers" {
		t.Errorf("second page = %+v", rest.EvaluationResults)
	}

	_, err := c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/nobody"), ActionNames: []string{"s3:PutObject"}})
	wantAPIError(t, "unknown user", err, "NoSuchEntity", http.StatusNotFound, "The user with name nobody cannot be found.")

	// A role's policies, and a group's.
	must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Uploader"), AssumeRolePolicyDocument: aws.String(trust)}))(t, "CreateRole")
	must(c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Uploader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))(t, "AttachRolePolicy")
	rr := must(c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/Uploader"),
		ActionNames: []string{"s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::reports/q1.csv"}}))(t, "role").EvaluationResults[0]
	if rr.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || len(rr.MatchedStatements) != 1 || aws.ToString(rr.MatchedStatements[0].SourcePolicyId) != "AdministratorAccess" ||
		rr.MatchedStatements[0].SourcePolicyType != types.PolicySourceTypeAwsManaged {
		t.Errorf("role Uploader = %s %+v", rr.EvalDecision, rr.MatchedStatements)
	}
	gr := must(c.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:group/Uploaders"),
		ActionNames: []string{"codecommit:ListRepositories"}}))(t, "group").EvaluationResults[0]
	if gr.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("group Uploaders has no codecommit policy, got %s", gr.EvalDecision)
	}
}

// TestSDKSimulateCustomPolicy simulates policies given with the request.
func TestSDKSimulateCustomPolicy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := authzServer(t)
	c := s.sdk()
	res := must(c.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{
		PolicyInputList: []string{*policyDoc(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), *policyDoc(`{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}`)},
		ActionNames:     []string{"s3:PutObject", "s3:DeleteObject", "ec2:RunInstances"}, ResourceArns: []string{"arn:aws:s3:::bucket/key"}}))(t, "SimulateCustomPolicy").EvaluationResults
	want := []types.PolicyEvaluationDecisionType{types.PolicyEvaluationDecisionTypeAllowed, types.PolicyEvaluationDecisionTypeExplicitDeny, types.PolicyEvaluationDecisionTypeImplicitDeny}
	for i, r := range res {
		if r.EvalDecision != want[i] {
			t.Errorf("%s = %s, want %s", aws.ToString(r.EvalActionName), r.EvalDecision, want[i])
		}
	}
	if m := res[1].MatchedStatements; len(m) != 1 || aws.ToString(m[0].SourcePolicyId) != "PolicyInputList.2" {
		t.Errorf("explicit deny matched %+v, want PolicyInputList.2", m)
	}
	// The CLI's example, with its positions.
	ex := must(c.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{dynamoPolicy}, ActionNames: []string{"dynamodb:CreateBackup"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:CurrentTime"), ContextKeyValues: []string{"2019-04-25T11:00:00Z"}, ContextKeyType: types.ContextKeyTypeEnumDate}}}))(t, "example").EvaluationResults
	if len(ex) != 1 || ex[0].EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || len(ex[0].MatchedStatements) != 1 {
		t.Fatalf("the CLI's example = %+v", ex)
	}
	if m := ex[0].MatchedStatements[0]; m.StartPosition.Line != 1 || m.StartPosition.Column != 38 || m.EndPosition.Line != 1 || m.EndPosition.Column != 167 {
		t.Errorf("example positions %d:%d-%d:%d, want 1:38-1:167", m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column)
	}
	early := must(c.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{dynamoPolicy}, ActionNames: []string{"dynamodb:CreateBackup"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:CurrentTime"), ContextKeyValues: []string{"2018-04-25T11:00:00Z"}, ContextKeyType: types.ContextKeyTypeEnumDate}}}))(t, "example before the date").EvaluationResults
	if early[0].EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || len(early[0].MatchedStatements) != 0 {
		t.Errorf("before the date = %s %+v, want implicitDeny and no statements", early[0].EvalDecision, early[0].MatchedStatements)
	}
	_, err := c.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}`},
		ActionNames: []string{"s3:PutObject"}})
	wantAPIError(t, "a policy with a principal", err, "MalformedPolicyDocument", http.StatusBadRequest, "Policy document should not specify a principal.")

	// Calling the simulator is itself authorized.
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))(t, "CreateUser")
	k := must(c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))(t, "CreateAccessKey").AccessKey
	alice := s.sdkAs(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey))
	in := &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/alice"), ActionNames: []string{"s3:PutObject"}}
	_, err = alice.SimulatePrincipalPolicy(ctx, in)
	wantAPIError(t, "SimulatePrincipalPolicy without permission", err, "AccessDenied", http.StatusForbidden,
		denied("iam:SimulatePrincipalPolicy", "arn:aws:iam::123456789012:user/alice", "because no identity-based policy allows the iam:SimulatePrincipalPolicy action"))
	must(c.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t, "AttachUserPolicy")
	must(alice.SimulatePrincipalPolicy(ctx, in))(t, "SimulatePrincipalPolicy with IAMReadOnlyAccess")
}
