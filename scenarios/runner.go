package scenarios

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Outcome is what a step produced: success (with the session's properties),
// an AWS error, a console error page, or a failure of samlab itself.
type Outcome struct {
	Error bool `json:"error"`
	// Harness is set when samlab itself failed (a harness error, not an AWS
	// answer). Such an outcome never satisfies an expectation.
	Harness bool   `json:"harness,omitempty"`
	Code    string `json:"code,omitempty"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	// Cause is the internal reason behind an AWS error (never sent by AWS;
	// shown to explain the failure).
	Cause string `json:"cause,omitempty"`
	// PageError is a console error page's message.
	PageError string `json:"page_error,omitempty"`
	// ChooserRoles are the roles the console's chooser offered when the
	// browser stopped there.
	ChooserRoles []string `json:"chooser_roles,omitempty"`

	// Session properties on success.
	AssumedRoleARN  string            `json:"assumed_role_arn,omitempty"`
	SourceIdentity  string            `json:"source_identity,omitempty"`
	SessionTags     map[string]string `json:"session_tags,omitempty"`
	DurationSeconds int               `json:"duration_seconds,omitempty"`
	SubjectType     string            `json:"subject_type,omitempty"`
	Audience        string            `json:"audience,omitempty"`
	// Subject and Provider of a web identity session.
	Subject  string `json:"subject,omitempty"`
	Provider string `json:"provider,omitempty"`
}

// String renders the outcome for people.
func (o Outcome) String() string {
	switch {
	case o.Harness:
		return "samlab failed: " + o.Message
	case o.PageError != "":
		return fmt.Sprintf("console error page (%d): %s", o.Status, o.PageError)
	case !o.Error:
		s := "success"
		if o.AssumedRoleARN != "" {
			s += " as " + o.AssumedRoleARN
		}
		if len(o.ChooserRoles) > 0 {
			s += " (the role chooser offers " + strings.Join(o.ChooserRoles, ", ") + ")"
		}
		return s
	}
	s := o.Code
	if o.Status != 0 {
		s += fmt.Sprintf(" (%d)", o.Status)
	}
	if o.Message != "" {
		s += ": " + o.Message
	}
	return s
}

// Mismatch is one field where an outcome differs from its expectation.
type Mismatch struct {
	Field string `json:"field"`
	Want  string `json:"want"`
	Got   string `json:"got"`
}

// Mismatches compares the outcome with e field by field; none means the
// outcome satisfies e. A failure of samlab itself always mismatches.
func (o Outcome) Mismatches(e Expect) []Mismatch {
	if o.Harness {
		return []Mismatch{{Field: "outcome", Want: e.String(), Got: o.String()}}
	}
	if o.Error != e.Error {
		return []Mismatch{{Field: "outcome", Want: e.String(), Got: o.String()}}
	}
	var out []Mismatch
	str := func(field, want, got string) {
		if want != "" && want != got {
			out = append(out, Mismatch{field, want, got})
		}
	}
	contains := func(field, want, got string) {
		if want != "" && !strings.Contains(got, want) {
			out = append(out, Mismatch{field, "contains " + fmt.Sprintf("%q", want), got})
		}
	}
	if e.Error {
		str("code", e.Code, o.Code)
		if e.Status != 0 && e.Status != o.Status {
			out = append(out, Mismatch{"status", fmt.Sprint(e.Status), fmt.Sprint(o.Status)})
		}
		str("message", e.Message, o.Message)
		contains("message", e.MessageContains, o.Message)
		str("page_error", e.PageError, o.PageError)
		contains("page_error", e.PageErrorContains, o.PageError)
		return out
	}
	str("assumed_role_arn", e.AssumedRoleARN, o.AssumedRoleARN)
	str("source_identity", e.SourceIdentity, o.SourceIdentity)
	str("subject_type", e.SubjectType, o.SubjectType)
	str("audience", e.Audience, o.Audience)
	str("subject", e.Subject, o.Subject)
	str("provider", e.Provider, o.Provider)
	if e.DurationSeconds != 0 && e.DurationSeconds != o.DurationSeconds {
		out = append(out, Mismatch{"duration_seconds", fmt.Sprint(e.DurationSeconds), fmt.Sprint(o.DurationSeconds)})
	}
	if e.SessionTags != nil && !maps.Equal(e.SessionTags, o.SessionTags) {
		out = append(out, Mismatch{"session_tags", fmt.Sprint(e.SessionTags), fmt.Sprint(o.SessionTags)})
	}
	return out
}

// Matches reports whether the outcome is what e expects.
func (o Outcome) Matches(e Expect) bool { return len(o.Mismatches(e)) == 0 }

// StepResult is the result of one step.
type StepResult struct {
	Index      int           `json:"index"`
	Name       string        `json:"name"`
	Action     string        `json:"action"`
	Line       int           `json:"line,omitempty"`
	Expected   Expect        `json:"expected"`
	Actual     Outcome       `json:"actual"`
	Pass       bool          `json:"pass"`
	Mismatches []Mismatch    `json:"mismatches,omitempty"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// Report is the result of a scenario run.
type Report struct {
	Scenario   string        `json:"scenario"`
	Title      string        `json:"title"`
	File       string        `json:"file,omitempty"`
	Labels     []string      `json:"labels,omitempty"`
	Difficulty int           `json:"difficulty,omitempty"`
	Steps      []StepResult  `json:"steps"`
	Pass       bool          `json:"pass"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	// SetupElapsed is the time spent building the lab (mostly key generation).
	SetupElapsed time.Duration `json:"setup_elapsed_ns"`
}

// Run builds a lab from cfg and the scenario's setup and runs every step of
// sc in order, calling observe (if non-nil) after each step. A step whose
// outcome differs from its expectation fails the report but does not stop
// the run, so the whole story is shown. Run returns an error only when the
// lab cannot be built or ctx ends.
func Run(ctx context.Context, sc *Scenario, cfg LabConfig, observe func(StepResult)) (*Report, error) {
	start := time.Now()
	lab, err := NewLabFor(ctx, cfg, sc.Setup)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: set up the lab: %w", sc.Name, err)
	}
	defer lab.Close()
	rep := &Report{Scenario: sc.Name, Title: sc.Title, File: sc.File, Labels: sc.Labels, Difficulty: sc.Difficulty,
		Pass: true, SetupElapsed: time.Since(start)}
	for i, st := range sc.Steps {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		t0 := time.Now()
		out := lab.Do(ctx, st)
		want := lab.ExpandExpect(st.Expect)
		res := StepResult{Index: i + 1, Name: st.Name, Action: st.Action, Line: st.Line, Expected: want,
			Actual: out, Mismatches: out.Mismatches(want), Elapsed: time.Since(t0)}
		res.Pass = len(res.Mismatches) == 0
		if res.Name == "" {
			res.Name = st.Action
		}
		rep.Pass = rep.Pass && res.Pass
		rep.Steps = append(rep.Steps, res)
		if observe != nil {
			observe(res)
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// ExpandExpect replaces ${...} variables in the expectation's ARN.
func (l *Lab) ExpandExpect(e Expect) Expect {
	e.AssumedRoleARN = l.Expand(e.AssumedRoleARN)
	e.Message, e.MessageContains = l.Expand(e.Message), l.Expand(e.MessageContains)
	e.Provider = l.Expand(e.Provider)
	return e
}

// Do performs one step against the lab and returns its outcome.
func (l *Lab) Do(ctx context.Context, st Step) Outcome {
	if out, ok, err := l.doInAccount(ctx, st); ok {
		if err != nil {
			return OutcomeOf(err)
		}
		return out
	}
	if out, ok, err := l.doWebIdentity(ctx, st); ok {
		if err != nil {
			return OutcomeOf(err)
		}
		return out
	}
	var err error
	var out Outcome
	switch st.Action {
	case ActionSaveMetadata:
		err = l.SaveMetadata(st.Snapshot, st.Edit)
	case ActionCreateProvider, ActionRegisterProvider:
		err = l.CreateSAMLProvider(ProviderInput{Name: st.Provider, Snapshot: st.Snapshot, EncryptionMode: st.EncryptionMode,
			AddPrivateKey: st.AddPrivateKey})
	case ActionUpdateProvider:
		keep := st.Metadata == "none" ||
			(st.Snapshot == "" && (st.EncryptionMode != "" || st.AddPrivateKey != "" || st.RemovePrivateKey != ""))
		err = l.UpdateSAMLProvider(ProviderInput{Name: st.Provider, Snapshot: st.Snapshot, EncryptionMode: st.EncryptionMode,
			AddPrivateKey: st.AddPrivateKey, RemovePrivateKey: st.RemovePrivateKey, KeepMetadata: keep})
	case ActionDeleteProvider:
		err = l.DeleteSAMLProvider(st.Provider)
	case ActionCreateRole:
		in := RoleInput{Name: st.Role, MaxSessionDuration: st.MaxSessionDuration, Path: st.Path, Tags: st.Tags}
		if st.Trust != nil {
			in.Trust = st.Trust.JSON
		}
		err = l.CreateRole(in)
	case ActionUpdateRole:
		err = l.UpdateRoleMaxSession(st.Role, st.MaxSessionDuration)
	case ActionUpdateTrust:
		if st.Trust == nil {
			err = errors.New("update-trust needs a trust policy")
			break
		}
		err = l.UpdateTrust(st.Role, st.Trust.JSON)
	case ActionDeleteRole:
		err = l.DeleteRole(st.Role)
	case ActionRotateKey:
		err = l.RotateKey()
	case ActionStageRollover:
		err = l.StageRollover()
	case ActionSetEntityID:
		err = l.SetEntityID(st.EntityID)
	case ActionSetSigning:
		if st.Signing == nil {
			err = errors.New("set-signing needs signing options")
			break
		}
		err = l.SetSigning(*st.Signing)
	case ActionSetUser:
		if st.With == nil {
			err = errors.New("set-user needs the user's definition (with)")
			break
		}
		err = l.SetUser(st.User, *st.With)
	case ActionAdvanceClock:
		l.Clock.Advance(st.Duration)
	case ActionLogin:
		out, err = l.doLogin(ctx, st)
	case ActionConsoleSignIn:
		out, err = l.doConsole(ctx, st)
	case ActionEnableMFA, ActionAssumeRole, ActionSaveCredentials, ActionRevokeSessions, ActionSignInURL:
		out, err = l.doFederation(ctx, st)
	case ActionGetCallerIdentity:
		id, cerr := l.CallerIdentity(ctx)
		if err = cerr; id != nil {
			out.AssumedRoleARN = id.ARN
		}
	default:
		err = fmt.Errorf("unknown action %q", st.Action)
	}
	if err != nil {
		return OutcomeOf(err)
	}
	return out
}

func (l *Lab) doLogin(ctx context.Context, st Step) (Outcome, error) {
	f, err := idp.ParseFault(st.Fault)
	if err != nil {
		return Outcome{}, err
	}
	in := LoginInput{User: st.User, RoleARN: l.Expand(st.RoleARN), PrincipalARN: l.Expand(st.PrincipalARN), Fault: f, RedeemAfter: st.RedeemAfter,
		DurationSeconds: st.DurationSeconds, PolicyARNs: st.PolicyARNs, Recipient: st.Recipient, Audience: st.Audience,
		Assertion: st.Assertion, EmptyRoleARN: slices.Contains(st.Empty, "role_arn"),
		EmptyPrincipalARN: slices.Contains(st.Empty, "principal_arn")}
	if st.Role != "" {
		in.RoleARN = l.roleARN(st.Role)
	}
	if st.Provider != "" {
		in.PrincipalARN = l.providerARN(st.Provider)
	}
	if st.Policy != nil {
		in.Policy = l.Expand(st.Policy.JSON)
	}
	res, err := l.Login(ctx, in)
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{AssumedRoleARN: res.AssumedRoleUser.ARN, SourceIdentity: res.SourceIdentity,
		DurationSeconds: int(res.Credentials.Expiration.Sub(l.Clock.Now().Truncate(time.Second)).Seconds()),
		SubjectType:     res.SubjectType, Audience: res.Audience}
	if res.Session != nil {
		o.SessionTags = res.Session.Tags
	}
	return o, nil
}

func (l *Lab) doConsole(ctx context.Context, st Step) (Outcome, error) {
	f, err := idp.ParseFault(st.Fault)
	if err != nil {
		return Outcome{}, err
	}
	in := ConsoleInput{User: st.User, Fault: f, Recipient: st.Recipient, Audience: st.Audience, RedeemAfter: st.RedeemAfter}
	if st.Choose != "" {
		in.Choose = l.roleARN(st.Choose)
	}
	res, err := l.ConsoleSignIn(ctx, in)
	if err != nil {
		return Outcome{}, err
	}
	if res.PageError != "" {
		return Outcome{Error: true, Status: res.Status, PageError: res.PageError}, nil
	}
	o := Outcome{AssumedRoleARN: res.SignedInAs, ChooserRoles: res.Roles}
	if !res.expires.IsZero() {
		o.DurationSeconds = int(res.expires.Sub(l.Clock.Now().Truncate(time.Second)).Seconds())
	}
	return o, nil
}

// OutcomeOf turns an error into an outcome: nil is success, an AWS error is
// what AWS sent, and anything else is a failure of samlab itself.
func OutcomeOf(err error) Outcome {
	if err == nil {
		return Outcome{}
	}
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		o := Outcome{Error: true, Code: string(ae.Code), Status: ae.Status, Message: ae.Message}
		if ae.Err != nil {
			o.Cause = ae.Err.Error()
		}
		return o
	}
	return Outcome{Error: true, Harness: true, Message: err.Error()}
}
