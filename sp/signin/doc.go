// Package signin is the mock of AWS's console sign-in endpoint
// (https://signin.aws.amazon.com/saml): the IdP's browser form POSTs a
// SAMLResponse here, the endpoint calls AssumeRoleWithSAML on the user's
// behalf and opens a console session.
//
// With one role in the assertion it signs in straight away; with several it
// shows AWS's role chooser, with the same structure that CLI tools such as
// saml2aws scrape (form#saml_form, div.saml-account, div.saml-role,
// input.saml-radio with the role ARN as value and id, label[for=<role ARN>]).
// Errors render as AWS's sign-in page words them; with Config.Why the page
// adds a "why" panel with the cause and the fix, from the same replay as
// `samlab explain`. Every sign-in is recorded as a ConsoleLogin event under
// the request ID its page shows (SetEvents). The console page shows the
// session's SAML details and CLI credentials. It also serves the custom
// broker federation endpoint (/federation, Action=getSigninToken and
// Action=login).
package signin
