package idp

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDemoUsers(t *testing.T) {
	t.Parallel()
	d := DemoUsers()
	if got, want := d.Names(), []string{"alice", "bob"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	admin := Role{RoleARN: "arn:aws:iam::123456789012:role/SAMLAdmin", ProviderARN: "arn:aws:iam::123456789012:saml-provider/samlab"}
	reader := Role{RoleARN: "arn:aws:iam::123456789012:role/SAMLReadOnly", ProviderARN: "arn:aws:iam::123456789012:saml-provider/samlab"}
	alice, _ := d.User("alice")
	want := User{
		Name: "alice", Email: "alice@example.com", Groups: []string{"admins"},
		Attributes:    map[string][]string{"displayName": {"Alice Admin"}, "department": {"platform"}},
		Roles:         []Role{admin},
		PrincipalTags: map[string]string{"team": "platform", "cost-center": "1234"}, TransitiveTagKeys: []string{"team"},
		SourceIdentity: "alice", SessionDuration: 3600, // from group admins
	}
	if diff := cmp.Diff(want, alice); diff != "" {
		t.Errorf("alice (-want +got):\n%s", diff)
	}
	bob, _ := d.User("bob")
	if !slices.Equal(bob.Roles, []Role{admin, reader}) || bob.SessionDuration != 7200 {
		t.Errorf("bob roles %v duration %d, want both roles and his own 7200", bob.Roles, bob.SessionDuration)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	d := DemoUsers()
	tests := []struct {
		user, password string
		wantErr        error
	}{
		{"alice", "samlab", nil}, // bcrypt
		{"bob", "samlab", nil},   // argon2id
		{"alice", "Samlab", ErrBadCredentials},
		{"bob", "", ErrBadCredentials},
		{"mallory", "samlab", ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/"+tt.password, func(t *testing.T) {
			t.Parallel()
			u, err := d.Authenticate(tt.user, tt.password)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Authenticate(%q, %q) = %v, want %v", tt.user, tt.password, err, tt.wantErr)
			}
			if err == nil && u.Name != tt.user {
				t.Errorf("Authenticate(%q) user = %q", tt.user, u.Name)
			}
		})
	}
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	d2, err := LoadUsers("h.yaml", []byte("version: 1\nusers:\n  carol:\n    password_hash: "+h+"\n"))
	if err != nil {
		t.Fatalf("LoadUsers with HashPassword output: %v", err)
	}
	if _, err := d2.Authenticate("carol", "s3cret"); err != nil {
		t.Errorf("Authenticate with HashPassword hash: %v", err)
	}
}

// TestLoadUsersErrors checks that broken users files are refused with
// "file:line: reason" errors pointing at the right line.
func TestLoadUsersErrors(t *testing.T) {
	t.Parallel()
	const role = "\n      - role_arn: arn:aws:iam::123456789012:role/R\n        provider_arn: arn:aws:iam::123456789012:saml-provider/P"
	tests := []struct {
		name      string
		yaml      string
		wantLines []int
		wantMsg   string // a word the message must contain
	}{
		{"syntax error", "version: 1\nusers:\n  alice: [\n", []int{3}, "did not find"},
		{"unknown top-level field", "version: 1\nuserz: {}\n", []int{2}, "userz"},
		{"unknown user field", "version: 1\nusers:\n  alice:\n    pasword_hash: x\n", []int{4}, "pasword_hash"},
		{"wrong type", "version: 1\nusers:\n  alice:\n    session_duration: long\n", []int{4}, "long"},
		{"duplicate user", "version: 1\nusers:\n  alice: {}\n  alice: {}\n", []int{4}, "already defined"},
		{"missing version", "users:\n  alice: {}\n", []int{1}, "version"},
		{"bad hash", "version: 1\nusers:\n  alice:\n    password_hash: hunter2\n", []int{4}, "bcrypt"},
		{"bad argon2", "version: 1\nusers:\n  alice:\n    password_hash: $argon2id$v=19$m=x$a$b\n", []int{4}, "argon2"},
		{"unknown group", "version: 1\nusers:\n  alice:\n    groups:\n      - admins\n", []int{5}, "admins"},
		{"bad role arn", "version: 1\ngroups:\n  g:\n    roles:\n      - role_arn: SAMLAdmin\n        provider_arn: arn:aws:iam::123456789012:saml-provider/P\n", []int{5}, "role_arn"},
		{"bad provider arn", "version: 1\nusers:\n  alice:\n    roles:\n      - role_arn: arn:aws:iam::123456789012:role/R\n        provider_arn: arn:aws:iam::123456789012:role/P\n", []int{6}, "provider_arn"},
		{"duration too long", "version: 1\nusers:\n  alice:\n    roles:" + role + "\n    session_duration: 50000\n", []int{7}, "43200"},
		{"bad session name", "version: 1\nusers:\n  alice smith:\n    email: a@example.com\n", []int{3}, "RoleSessionName"},
		{"aws source identity", "version: 1\nusers:\n  alice:\n    source_identity: aws:alice\n", []int{4}, "aws:"},
		{"bad tag key", "version: 1\nusers:\n  alice:\n    principal_tags:\n      \"a#b\": x\n", []int{5}, "tag key"},
		{"transitive key not a tag", "version: 1\nusers:\n  alice:\n    transitive_tag_keys: [team]\n", []int{3}, "transitive"},
		{"bad email", "version: 1\nusers:\n  alice:\n    email: alice\n", []int{4}, "email"},
		{"several problems", "version: 1\nusers:\n  alice:\n    email: alice\n    session_duration: 10\n", []int{4, 5}, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadUsers("users.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("LoadUsers(%q) = nil error, want one at lines %v", tt.yaml, tt.wantLines)
			}
			var lines []int
			for _, e := range unjoin(err) {
				var fe *UsersFileError
				if !errors.As(e, &fe) {
					t.Fatalf("error %v is not a *UsersFileError", e)
				}
				if fe.File != "users.yaml" {
					t.Errorf("File = %q", fe.File)
				}
				lines = append(lines, fe.Line)
			}
			if !slices.Equal(lines, tt.wantLines) {
				t.Errorf("LoadUsers lines = %v, want %v\n%v", lines, tt.wantLines, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.HasPrefix(err.Error(), "users.yaml:") {
				t.Errorf("error %q does not start with users.yaml:LINE or lacks %q", err, tt.wantMsg)
			}
		})
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestUsersDocExample keeps the example of docs/users.md loadable.
func TestUsersDocExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/users.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/users.md has no yaml example")
	}
	d, err := LoadUsers("docs/users.md", []byte(example))
	if err != nil {
		t.Fatalf("the documented example does not load: %v", err)
	}
	alice, _ := d.User("alice")
	if alice.SessionDuration != 7200 || alice.PrincipalTags["department"] != "platform" || len(alice.Roles) != 1 {
		t.Errorf("documented merge rules not followed: %+v", alice)
	}
	if _, err := d.Authenticate("alice", "samlab"); err != nil {
		t.Errorf("documented password: %v", err)
	}
}
