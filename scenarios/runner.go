package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Outcome is what a step produced: success, or an AWS error.
type Outcome struct {
	Error   bool   `json:"error"`
	Code    string `json:"code,omitempty"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	// Cause is the internal reason behind an AWS error (never sent by AWS;
	// shown to explain the failure).
	Cause string `json:"cause,omitempty"`
	// AssumedRoleARN is set on a successful login.
	AssumedRoleARN string `json:"assumed_role_arn,omitempty"`
}

// String renders the outcome for people.
func (o Outcome) String() string {
	if !o.Error {
		if o.AssumedRoleARN != "" {
			return "success (" + o.AssumedRoleARN + ")"
		}
		return "success"
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

// Matches reports whether the outcome is what e expects.
func (o Outcome) Matches(e Expect) bool {
	if o.Error != e.Error {
		return false
	}
	if !e.Error {
		return true
	}
	return o.Code == e.Code &&
		(e.Status == 0 || o.Status == e.Status) &&
		(e.Message == "" || o.Message == e.Message) &&
		(e.MessageContains == "" || strings.Contains(o.Message, e.MessageContains))
}

// StepResult is the result of one step.
type StepResult struct {
	Index    int           `json:"index"`
	Name     string        `json:"name"`
	Action   string        `json:"action"`
	Expected string        `json:"expected"`
	Actual   Outcome       `json:"actual"`
	Pass     bool          `json:"pass"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// Report is the result of a scenario run.
type Report struct {
	Scenario string        `json:"scenario"`
	Steps    []StepResult  `json:"steps"`
	Pass     bool          `json:"pass"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	// SetupElapsed is the time spent building the lab (mostly key generation).
	SetupElapsed time.Duration `json:"setup_elapsed_ns"`
}

// Run builds a lab from cfg and runs every step of sc in order, calling
// observe (if non-nil) after each step. A step whose outcome differs from its
// expectation fails the report but does not stop the run, so the whole story is
// shown. Run returns an error only when the lab cannot be built.
func Run(ctx context.Context, sc *Scenario, cfg LabConfig, observe func(StepResult)) (*Report, error) {
	start := time.Now()
	lab, err := NewLab(cfg)
	if err != nil {
		return nil, err
	}
	rep := &Report{Scenario: sc.Name, Pass: true, SetupElapsed: time.Since(start)}
	for i, st := range sc.Steps {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		t0 := time.Now()
		out := lab.Do(ctx, st)
		res := StepResult{Index: i + 1, Name: st.Name, Action: st.Action, Expected: st.Expect.String(),
			Actual: out, Pass: out.Matches(st.Expect), Elapsed: time.Since(t0)}
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

// Do performs one step against the lab and returns its outcome.
func (l *Lab) Do(ctx context.Context, st Step) Outcome {
	var err error
	var roleARN string
	switch st.Action {
	case ActionRegisterProvider:
		err = l.RegisterProvider()
	case ActionUpdateProvider:
		err = l.UpdateProvider()
	case ActionRotateKey:
		_, err = l.IDP.Rotate()
	case ActionStageRollover:
		_, err = l.IDP.StageRollover()
	case ActionAdvanceClock:
		var d time.Duration
		if d, err = time.ParseDuration(st.Duration); err == nil {
			l.Clock.Advance(d)
		}
	case ActionLogin:
		var f idp.Fault
		if f, err = idp.ParseFault(st.Fault); err == nil {
			var wait time.Duration
			if st.RedeemAfter != "" {
				wait, _ = time.ParseDuration(st.RedeemAfter) // checked by Validate
			}
			out, lerr := l.Login(ctx, LoginInput{User: st.User, RoleARN: st.Role, Fault: f, RedeemAfter: wait})
			err = lerr
			if out != nil {
				roleARN = out.AssumedRoleUser.ARN
			}
		}
	default:
		err = fmt.Errorf("unknown action %q", st.Action)
	}
	return outcomeOf(err, roleARN)
}

func outcomeOf(err error, roleARN string) Outcome {
	if err == nil {
		return Outcome{AssumedRoleARN: roleARN}
	}
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		o := Outcome{Error: true, Code: string(ae.Code), Status: ae.Status, Message: ae.Message}
		if ae.Err != nil {
			o.Cause = ae.Err.Error()
		}
		return o
	}
	return Outcome{Error: true, Code: "samlab.Error", Message: err.Error()}
}
