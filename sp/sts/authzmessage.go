package sts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// AuthorizationFailure is what an encoded authorization message carries,
// in the JSON shape DecodeAuthorizationMessage returns.
type AuthorizationFailure struct {
	Allowed           bool                 `json:"allowed"`
	ExplicitDeny      bool                 `json:"explicitDeny"`
	MatchedStatements authzItems[any]      `json:"matchedStatements"`
	Failures          authzItems[any]      `json:"failures"`
	Context           AuthorizationContext `json:"context"`
}

type authzItems[T any] struct {
	Items []T `json:"items"`
}

// AuthorizationContext is the "context" of a decoded message: who asked for
// what, and the request's condition keys.
type AuthorizationContext struct {
	Principal struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
		ARN  string `json:"arn"`
	} `json:"principal"`
	Action     string                     `json:"action"`
	Resource   string                     `json:"resource"`
	Conditions authzItems[authzCondition] `json:"conditions"`
}

type authzCondition struct {
	Key    string                     `json:"key"`
	Values authzItems[authzCondValue] `json:"values"`
}

type authzCondValue struct {
	Value string `json:"value"`
}

// sealPurpose binds sealed messages to this use of the session keyring.
const sealPurpose = "authorization-message"

// messagePrefix starts every encoded message, so that none starts with "-"
// (URL-safe base64 can), which command lines would read as an option.
const messagePrefix = "E"

// EncodeAuthorizationMessage returns the encoded form of a refused request,
// as services that return one put it in their error message ("Encoded
// authorization failure message: …"). AWS's STS and IAM do not return
// encoded messages for their own AccessDenied errors (only certain
// operations do, says the DecodeAuthorizationMessage reference), so no
// operation samlab serves issues one; labs that model such a service use
// this. The message is sealed with the account's session keys: only this
// account's STS decodes it.
func (f *Federation) EncodeAuthorizationMessage(c *Caller, action, resource string, explicitDeny bool, keys map[string][]string) (string, error) {
	m := AuthorizationFailure{ExplicitDeny: explicitDeny}
	m.MatchedStatements.Items, m.Failures.Items = []any{}, []any{}
	m.Context.Principal.ID, m.Context.Principal.ARN = c.UserID, c.ARN
	m.Context.Action, m.Context.Resource = action, resource
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	slices.Sort(names)
	m.Context.Conditions.Items = []authzCondition{}
	for _, k := range names {
		cond := authzCondition{Key: k}
		for _, v := range keys[k] {
			cond.Values.Items = append(cond.Values.Items, authzCondValue{Value: v})
		}
		m.Context.Conditions.Items = append(m.Context.Conditions.Items, cond)
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	sealed, err := f.svc.keys.Seal(sealPurpose, plain)
	if err != nil {
		return "", err
	}
	return messagePrefix + sealed, nil
}

// DecodeAuthorizationMessage decodes a message EncodeAuthorizationMessage
// encoded for this account. The caller needs sts:DecodeAuthorizationMessage;
// anything this account did not encode is InvalidAuthorizationMessageException.
func (f *Federation) DecodeAuthorizationMessage(_ context.Context, caller *Caller, encoded *string, sourceIP string) (string, error) {
	var c checks
	if c.required("encodedMessage", encoded != nil) {
		c.str("encodedMessage", *encoded, false, 1, 10240, nil, "")
	}
	if err := c.err(); err != nil {
		return "", err
	}
	if err := f.denyFederatedUser(caller, "DecodeAuthorizationMessage"); err != nil {
		return "", err
	}
	if err := f.authorize(caller, "sts:DecodeAuthorizationMessage", "", nil, f.conditionKeys(caller, f.svc.now(), sourceIP)); err != nil {
		return "", err
	}
	sealed, ok := strings.CutPrefix(*encoded, messagePrefix)
	plain, err := f.svc.keys.Unseal(sealPurpose, sealed)
	if err == nil && !ok {
		err = errors.New("no message prefix")
	}
	if err != nil {
		return "", &awsapi.Error{Code: codeInvalidAuthorizationMessage, Status: http.StatusBadRequest,
			Message: msgInvalidAuthorizationMessage, Err: fmt.Errorf("encoded message: %w", err)}
	}
	return string(plain), nil
}

func (f *Federation) handleDecodeAuthorizationMessage(ctx context.Context, r *awsapi.Request) (any, error) {
	caller, err := f.CallerOf(r.Caller)
	if err != nil {
		return nil, err
	}
	msg, err := f.DecodeAuthorizationMessage(ctx, caller, optional(r, "EncodedMessage"), r.SourceIP)
	if err != nil {
		return nil, err
	}
	return struct {
		DecodedMessage string `xml:"DecodedMessage"`
	}{msg}, nil
}
