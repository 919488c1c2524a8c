package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the console transcripts of the documentation tested here with this run's output")

// tutorialDoc and tutorialHeading locate the transcript TestCrossAccountTutorialDoc runs.
const (
	tutorialDoc     = "../../docs/iam-identities.md"
	tutorialHeading = "## The IAM User Guide's cross-account tutorial"
)

// volatileRE matches what differs from run to run in a transcript: access
// key, user, group, role and policy IDs, secrets and session tokens (40 or
// more base64 characters), timestamps and the server's address.
var volatileRE = regexp.MustCompile(`\b(?:AKIA|ASIA|AIDA|AGPA|AROA|ANPA)[A-Z0-9]{12,20}\b|` +
	`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\+00:00|Z)|[A-Za-z0-9+/]{40,}={0,2}|http://127\.0\.0\.1:\d+`)

// skeleton is s with its volatile parts blanked, and those parts in order.
func skeleton(s string) (string, []string) {
	return volatileRE.ReplaceAllString(s, "\x00"), volatileRE.FindAllString(s, -1)
}

// transcriptStep is one "$ command" of a console block and the output the
// document shows for it.
type transcriptStep struct {
	command string
	output  []string
	// start and end are the lines of the output in the document.
	start, end int
}

// parseTranscript reads the console blocks of the section starting with
// heading: every line beginning with "$ " is a command, the lines after it
// (up to the next command or the end of the block, trailing blank lines
// dropped) its output.
func parseTranscript(lines []string, heading string) ([]*transcriptStep, error) {
	var steps []*transcriptStep
	in, inBlock := false, false
	var cur *transcriptStep
	closeStep := func(end int) {
		if cur == nil {
			return
		}
		for end > cur.start && strings.TrimSpace(lines[end-1]) == "" {
			end--
		}
		cur.end, cur.output = end, lines[cur.start:end]
		steps = append(steps, cur)
		cur = nil
	}
	for i, line := range lines {
		switch {
		case strings.HasPrefix(line, heading):
			in = true
			continue
		case in && !inBlock && strings.HasPrefix(line, "## "):
			in = false
		}
		if !in {
			continue
		}
		switch {
		case line == "```console":
			inBlock = true
		case inBlock && line == "```":
			closeStep(i)
			inBlock = false
		case inBlock && strings.HasPrefix(line, "$ "):
			closeStep(i)
			cur = &transcriptStep{command: strings.TrimPrefix(line, "$ "), start: i + 1}
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("no console transcript under %q", heading)
	}
	return steps, nil
}

// shellWords splits a command line as a POSIX shell does for the forms the
// documentation uses: words separated by spaces, with single- and
// double-quoted parts (no escapes, variables or globs). Written here rather
// than taken from a library: the documentation's commands need nothing more.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %c quote in %q", c, s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// transcriptRun replays a transcript: values the document shows (key IDs,
// secrets, tokens) stand for the values of this run, learnt from the outputs
// where they first appear.
type transcriptRun struct {
	t        *testing.T
	endpoint string
	env      []string
	subst    map[string]string // document value → this run's
}

// learn compares an output with the document's: their skeletons must be
// equal (unless updating), and the document's volatile values are mapped to
// this run's.
func (r *transcriptRun) learn(command string, want, got []string) {
	r.t.Helper()
	ws, wv := skeleton(strings.Join(want, "\n"))
	gs, gv := skeleton(strings.Join(got, "\n"))
	if ws != gs && !*updateDocs {
		r.t.Errorf("$ %s\n--- the document shows:\n%s\n--- this run answered:\n%s", command, strings.Join(want, "\n"), strings.Join(got, "\n"))
		return
	}
	if len(wv) != len(gv) {
		return
	}
	for i := range wv {
		if _, ok := r.subst[wv[i]]; !ok {
			r.subst[wv[i]] = gv[i]
		}
	}
}

// substitute replaces the document's values in a command by this run's.
func (r *transcriptRun) substitute(command string) string {
	return volatileRE.ReplaceAllStringFunc(command, func(v string) string {
		if s, ok := r.subst[v]; ok {
			return s
		}
		return v
	})
}

// matchBanner finds the document's banner lines (an excerpt, "..." standing
// for lines left out) in the order they appear in the banner printed.
func (r *transcriptRun) matchBanner(want []string, banner string) []string {
	r.t.Helper()
	got := strings.Split(banner, "\n")
	out := make([]string, 0, len(want))
	j := 0
	for _, w := range want {
		if strings.TrimSpace(w) == "..." {
			out = append(out, w)
			continue
		}
		ws, _ := skeleton(w)
		for ; j < len(got); j++ {
			if gs, _ := skeleton(got[j]); gs == ws {
				break
			}
		}
		if j == len(got) {
			r.t.Fatalf("the banner has no line like %q:\n%s", w, banner)
		}
		r.learn("samlab up", []string{w}, []string{got[j]})
		out = append(out, got[j])
		j++
	}
	return out
}

// TestCrossAccountTutorialDoc runs the IAM User Guide's cross-account
// tutorial exactly as docs/iam-identities.md shows it: `samlab up` with two
// accounts, then every aws CLI command (Debian's aws CLI v2), each answer
// compared with the document's (IDs, keys and times aside). With
// -update-docs the document gets this run's output.
func TestCrossAccountTutorialDoc(t *testing.T) {
	requireAWSCLI(t)
	t.Parallel()
	raw, err := os.ReadFile(tutorialDoc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	steps, err := parseTranscript(lines, tutorialHeading)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[default]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &transcriptRun{t: t, env: awsEnv(dir, cfgFile, "AWS_REGION=us-east-1"), subst: map[string]string{}}
	rewritten := map[int][]string{} // output start line → new output
	commands := map[int]string{}    // command line → new command
	for _, st := range steps {
		command := r.substitute(st.command)
		words, err := shellWords(command)
		if err != nil || len(words) == 0 {
			t.Fatalf("$ %s: %v", st.command, err)
		}
		var got []string
		switch words[0] {
		case "samlab":
			if r.endpoint != "" || len(words) < 2 || words[1] != "up" {
				t.Fatalf("$ %s: only one samlab up is supported, first", st.command)
			}
			up := startUp(t, words[2:]...)
			r.endpoint = up.endpoint
			got = r.matchBanner(st.output, up.out.String())
		case "aws":
			if r.endpoint == "" {
				t.Fatalf("$ %s: no samlab up before it", st.command)
			}
			args := words[1:]
			if args[0] != "configure" {
				args = append([]string{"--endpoint-url", r.endpoint}, args...)
			}
			stdout, stderr, _ := runAWS(t, r.env, args...)
			out := strings.TrimSpace(stdout + stderr)
			if out != "" {
				got = strings.Split(out, "\n")
				if strings.HasPrefix(out, "An error occurred") {
					got = append([]string{""}, got...) // the CLI prints a blank line first
				}
			}
			r.learn(st.command, st.output, got)
		default:
			t.Fatalf("$ %s: only samlab up and aws commands are run", st.command)
		}
		commands[st.start-1] = "$ " + command
		rewritten[st.start] = got
	}
	if !*updateDocs || t.Failed() {
		return
	}
	var out []string
	byCommand := map[int]*transcriptStep{}
	for _, st := range steps {
		byCommand[st.start-1] = st
	}
	for i := 0; i < len(lines); i++ {
		st, ok := byCommand[i]
		if !ok {
			out = append(out, lines[i])
			continue
		}
		out = append(out, commands[i])
		out = append(out, rewritten[st.start]...)
		if len(rewritten[st.start]) > 0 && st.end < len(lines) && strings.HasPrefix(lines[st.end], "$ ") {
			out = append(out, "") // a blank line between an answer and the next command
		}
		i = st.end - 1 // the lines after the output are kept
	}
	if now, err := os.ReadFile(tutorialDoc); err != nil || string(now) != string(raw) {
		t.Fatalf("%s changed while the transcript ran (%v): not rewritten", tutorialDoc, err)
	}
	if err := os.WriteFile(tutorialDoc, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}
