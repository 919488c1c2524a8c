package awsconfig

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var samlabKeys = []KeyValue{
	{"credential_process", "/usr/local/bin/samlab login --username alice --format credential-process"},
	{"region", "us-east-1"},
	{"endpoint_url", "http://127.0.0.1:8765"},
}

func TestSetProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, profile, in, want string
	}{
		{"empty file", "samlab", "",
			"[profile samlab]\ncredential_process = /usr/local/bin/samlab login --username alice --format credential-process\n" +
				"region = us-east-1\nendpoint_url = http://127.0.0.1:8765\n"},
		{"appended after other profiles, comments kept", "samlab",
			"# my settings\n[default]\nregion = eu-west-1 ; inline\n\n[profile work]\nsso_start_url = https://x.awsapps.com/start\n",
			"# my settings\n[default]\nregion = eu-west-1 ; inline\n\n[profile work]\nsso_start_url = https://x.awsapps.com/start\n\n" +
				"[profile samlab]\ncredential_process = /usr/local/bin/samlab login --username alice --format credential-process\n" +
				"region = us-east-1\nendpoint_url = http://127.0.0.1:8765\n"},
		{"updated in place, other keys and comments kept", "samlab",
			"[profile samlab]\n# written by samlab\nREGION=eu-west-1\noutput = json\ncredential_process = old\n  \n[profile after]\nregion = x\n",
			"[profile samlab]\n# written by samlab\nregion = us-east-1\noutput = json\n" +
				"credential_process = /usr/local/bin/samlab login --username alice --format credential-process\n" +
				"endpoint_url = http://127.0.0.1:8765\n  \n[profile after]\nregion = x\n"},
		{"nested value replaced with its sub-keys, repeats dropped", "samlab",
			"[profile samlab]\nendpoint_url =\n  sts = http://a\n  iam = http://b\nregion: a\nregion = b\ns3 =\n  max_concurrent_requests = 5\n",
			"[profile samlab]\nendpoint_url = http://127.0.0.1:8765\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 5\n" +
				"credential_process = /usr/local/bin/samlab login --username alice --format credential-process\n"},
		{"header spacing, no final newline, CRLF", "samlab",
			"[default]\r\nregion = x\r\n[ profile   samlab ]\r\n; empty so far",
			"[default]\r\nregion = x\r\n[ profile   samlab ]\r\n" +
				"credential_process = /usr/local/bin/samlab login --username alice --format credential-process\r\n" +
				"region = us-east-1\r\nendpoint_url = http://127.0.0.1:8765\r\n; empty so far\r\n"},
		{"the default profile", "default", "[profile default]\nregion = x\n",
			"[profile default]\nregion = us-east-1\n" +
				"credential_process = /usr/local/bin/samlab login --username alice --format credential-process\n" +
				"endpoint_url = http://127.0.0.1:8765\n"},
		{"a similar name is another profile", "samlab", "[profile samlab2]\nregion = x\n[samlab]\nregion = y\n",
			"[profile samlab2]\nregion = x\n[samlab]\nregion = y\n\n[profile samlab]\n" +
				"credential_process = /usr/local/bin/samlab login --username alice --format credential-process\n" +
				"region = us-east-1\nendpoint_url = http://127.0.0.1:8765\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := SetProfile([]byte(tt.in), tt.profile, samlabKeys)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("SetProfile(%q) =\n%s\nwant\n%s", tt.in, got, tt.want)
			}
			again, err := SetProfile(got, tt.profile, samlabKeys)
			if err != nil || string(again) != string(got) {
				t.Errorf("a second SetProfile changed the file (%v):\n%s", err, again)
			}
			p, err := Profile(got, tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range samlabKeys {
				if p[kv.Key] != kv.Value {
					t.Errorf("Profile()[%s] = %q, want %q", kv.Key, p[kv.Key], kv.Value)
				}
			}
		})
	}
}

func TestSetProfileRefuses(t *testing.T) {
	t.Parallel()
	if _, err := SetProfile([]byte("[profile a]\n[profile b]\n[profile  a]\n"), "a", samlabKeys); !errors.Is(err, ErrDuplicateProfile) ||
		!strings.Contains(err.Error(), "lines 1 and 3") {
		t.Errorf("duplicate section: %v", err)
	}
	for _, name := range []string{"", " a", "a]", "a\nb", "[a"} {
		if _, err := SetProfile(nil, name, samlabKeys); err == nil {
			t.Errorf("profile name %q accepted", name)
		}
	}
	for _, kv := range []KeyValue{{"", "x"}, {"a=b", "x"}, {"region", "x\n[profile evil]"}, {" region", "x"}} {
		if _, err := SetProfile(nil, "a", []KeyValue{kv}); err == nil {
			t.Errorf("setting %+v accepted", kv)
		}
	}
}

// FuzzSetProfile: for any file, setting a profile either fails or yields a
// file where the profile reads back, a second run changes nothing, and
// every line outside the profile's section survives in order.
func FuzzSetProfile(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".ini") {
			data, err := os.ReadFile(filepath.Join("testdata", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data, "samlab")
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, profile string) {
		out, err := SetProfile(data, profile, samlabKeys)
		if err != nil {
			return
		}
		p, err := Profile(out, profile)
		if err != nil {
			t.Fatalf("Profile after SetProfile: %v", err)
		}
		for _, kv := range samlabKeys {
			if p[kv.Key] != kv.Value {
				t.Fatalf("%s = %q after SetProfile, want %q\n%s", kv.Key, p[kv.Key], kv.Value, out)
			}
		}
		again, err := SetProfile(out, profile, samlabKeys)
		if err != nil || string(again) != string(out) {
			t.Fatalf("second SetProfile: %v\n%q\n%q", err, out, again)
		}
		// Lines outside the section are kept, in order.
		in := split(data)
		if n := len(in); n > 0 && !strings.HasSuffix(in[n-1].text, "\n") {
			return // the last line gains a line ending; compared above
		}
		start, end, _ := find(in, profile)
		var kept []string
		for i, l := range in {
			if start < 0 || i < start || i >= end {
				kept = append(kept, l.content())
			}
		}
		outLines := split(out)
		j := 0
		for _, l := range outLines {
			if j < len(kept) && l.content() == kept[j] {
				j++
			}
		}
		if j != len(kept) {
			t.Fatalf("line %q outside the profile was lost:\n%q\n%q", kept[j], data, out)
		}
	})
}

// TestCommandLine: a POSIX shell splits the joined line back into the same
// words (the Go SDK runs credential_process with sh -c; the aws CLI splits it
// with shlex, which follows the same quoting rules).
func TestCommandLine(t *testing.T) {
	t.Parallel()
	args := []string{"/opt/my tools/samlab", "login", "--password-file", "/home/o'neil/pw", "--role",
		"arn:aws:iam::123456789012:role/a+b=c,d@e", "$HOME", "a;b", "`x`", "*", ""}
	line := CommandLine(args...)
	if want := "'/opt/my tools/samlab' login --password-file '/home/o'\\''neil/pw' --role arn:aws:iam::123456789012:role/a+b=c,d@e " +
		`'$HOME' 'a;b' '` + "`x`" + `' '*' ''`; line != want {
		t.Errorf("CommandLine = %s\nwant %s", line, want)
	}
	out, err := exec.CommandContext(t.Context(), "/bin/sh", "-c", `set -- `+line+`; for a in "$@"; do printf '%s\n' "$a"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !slices.Equal(got, args) {
		t.Errorf("sh splits %s into %q, want %q", line, got, args)
	}
}
