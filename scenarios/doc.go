// Package scenarios wires an IdP and a mock AWS account together in one
// process (Lab) and drives scripted, declarative scenarios against them: the
// headline one rotates the IdP's signing key, watches AssumeRoleWithSAML fail
// with InvalidIdentityToken "Response signature invalid", fixes it with
// UpdateSAMLProvider and watches it succeed again.
//
// Scenarios are YAML files (the built-in library lives in library/), decoded
// strictly, and run by Run, by the ginkgo suite of this package and by
// `samlab scenario run`. This is the only package that knows both the idp and
// the sp side.
package scenarios
