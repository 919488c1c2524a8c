package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/metadata"
)

func TestMetadataDiff(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "signin")
	reg, cur := filepath.Join(dir, "registered.xml"), filepath.Join(dir, "idp-metadata.xml")
	parse := func(f string) *metadata.EntityDescriptor {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ed, err := metadata.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return ed
	}
	oldFP, newFP := certs.FingerprintSHA1(parse(reg).SigningCerts[0]), certs.FingerprintSHA1(parse(cur).SigningCerts[0])

	out, err := run(t, "metadata", "diff", reg, cur)
	if exitCode(err) != 1 {
		t.Fatalf("diff of rotated metadata: exit %d (%v), want 1\n%s", exitCode(err), err, out)
	}
	for _, want := range []string{"entityID  same     https://idp.samlab.test/metadata", "removed  signing", "added    signing",
		"SHA-1   " + oldFP, "SHA-1   " + newFP, "signed by " + newFP, "A REJECTED, B accepted", "aws iam update-saml-provider"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Inputs in the other forms, JSON output.
	md, err := os.ReadFile(reg)
	if err != nil {
		t.Fatal(err)
	}
	getJSON, _ := json.Marshal(map[string]string{"SAMLMetadataDocument": string(md)})
	jsonFile := writeFile(t, filepath.Join(t.TempDir(), "provider.json"), getJSON)
	out, err = run(t, "metadata", "diff", jsonFile, cur, "--output", "json")
	if exitCode(err) != 1 {
		t.Fatalf("exit %d (%v)", exitCode(err), err)
	}
	var r metadata.DiffReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if r.Same || len(r.Certificates) < 2 || r.Certificates[0].SHA1 != oldFP || r.Certificates[0].Change != metadata.Removed {
		t.Errorf("JSON report = %+v", r)
	}
	if out, err := run(t, "metadata", "diff", reg, jsonFile); err != nil || !strings.Contains(out, "AWS sees no difference") {
		t.Errorf("same document in two forms: exit %d (%v)\n%s", exitCode(err), err, out)
	}
	bad := writeFile(t, filepath.Join(t.TempDir(), "page.html"), []byte("<html/>"))
	if _, err := run(t, "metadata", "diff", reg, bad); exitCode(err) != 2 || !strings.Contains(err.Error(), "page.html") {
		t.Errorf("diff with a non-metadata input: exit %d (%v), want 2 naming it", exitCode(err), err)
	}
}
