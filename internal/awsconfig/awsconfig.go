// Package awsconfig edits the aws CLI's shared config file (~/.aws/config,
// or $AWS_CONFIG_FILE): it sets keys of one profile and keeps every other
// byte (other profiles, comments, blank lines, order) as it was. samlab login
// --write-profile uses it to add a credential_process profile.
//
// It is hand-written rather than built on an INI library: the libraries
// (gopkg.in/ini.v1 and others) re-serialise the whole file, which moves
// comments and reformats profiles the user wrote by hand. The file format is
// the one botocore reads with Python's configparser: "[profile NAME]" (or
// "[default]") headers, "key = value" lines, full-line comments starting with
// # or ;, and indented lines continuing the key above them (nested settings
// such as "s3 =" with its sub-keys).
package awsconfig

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// KeyValue is one setting of a profile.
type KeyValue struct {
	Key, Value string
}

// ErrDuplicateProfile is returned for a file with the profile's section
// twice: the aws CLI refuses such a file, so it is not edited.
var ErrDuplicateProfile = errors.New("profile section appears more than once")

// SectionName returns the config file section of a profile: "default" for
// the default profile, else "profile NAME".
func SectionName(profile string) string {
	if profile == "default" {
		return "default"
	}
	return "profile " + profile
}

// ValidateProfile reports why name cannot be a profile in the config file,
// or nil.
func ValidateProfile(name string) error {
	switch {
	case name == "":
		return errors.New("profile name is empty")
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
		return fmt.Errorf("profile name %q contains white space or a control character", name)
	case strings.ContainsAny(name, "[]#;"):
		return fmt.Errorf("profile name %q contains [, ], # or ;", name)
	}
	return nil
}

// line is one line of the file with its line ending.
type line struct {
	text string // with its line ending
}

func (l line) content() string { return strings.TrimRight(l.text, "\r\n") }

// header returns the section name of a header line ("[profile x]" → "profile x").
func (l line) header() (string, bool) {
	c := strings.TrimSpace(l.content())
	if len(c) < 2 || c[0] != '[' || c[len(c)-1] != ']' {
		return "", false
	}
	return strings.Join(strings.Fields(c[1:len(c)-1]), " "), true
}

func (l line) blankOrComment() bool {
	c := strings.TrimSpace(l.content())
	return c == "" || c[0] == '#' || c[0] == ';'
}

// indented reports whether the line continues the key above it.
func (l line) indented() bool {
	c := l.content()
	return c != "" && (c[0] == ' ' || c[0] == '\t') && !l.blankOrComment()
}

// key returns the option name of a "key = value" (or "key: value") line,
// lowercased as configparser does.
func (l line) key() (string, bool) {
	c := l.content()
	if l.blankOrComment() || l.indented() {
		return "", false
	}
	if _, ok := l.header(); ok {
		return "", false
	}
	i := strings.IndexAny(c, "=:")
	if i < 0 {
		return "", false
	}
	return strings.ToLower(strings.TrimSpace(c[:i])), true
}

func (l line) value() string {
	c := l.content()
	i := strings.IndexAny(c, "=:")
	return strings.TrimSpace(c[i+1:])
}

func split(data []byte) []line {
	var out []line
	for _, t := range strings.SplitAfter(string(data), "\n") {
		if t != "" {
			out = append(out, line{t})
		}
	}
	return out
}

// matches reports whether a section name is the profile's (botocore also
// reads "[profile default]" as the default profile).
func matches(section, profile string) bool {
	return section == SectionName(profile) || (profile == "default" && section == "profile default")
}

// find returns the bounds of the profile's section: the header's index and
// the index after its last line; start is -1 when there is none.
func find(lines []line, profile string) (start, end int, err error) {
	start, end = -1, -1
	for i, l := range lines {
		name, ok := l.header()
		if !ok {
			continue
		}
		if start >= 0 && end < 0 {
			end = i
		}
		if matches(name, profile) {
			if start >= 0 {
				return 0, 0, fmt.Errorf("%w: [%s] on lines %d and %d", ErrDuplicateProfile, name, start+1, i+1)
			}
			start = i
		}
	}
	if start >= 0 && end < 0 {
		end = len(lines)
	}
	return start, end, nil
}

// Profile returns the top-level keys of a profile (nested settings keep
// only their first line's value), or nil when the file has no such profile.
func Profile(data []byte, profile string) (map[string]string, error) {
	lines := split(data)
	start, end, err := find(lines, profile)
	if err != nil || start < 0 {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range lines[start+1 : end] {
		if k, ok := l.key(); ok {
			if _, dup := out[k]; !dup {
				out[k] = l.value()
			}
		}
	}
	return out, nil
}

// SetProfile returns data with the profile's keys set: a key already in the
// profile's section is replaced where it stands (with the indented lines of
// a nested value, and any repeats of it), a new key goes after the section's
// last setting, and a missing section is appended at the end. Everything
// else is kept byte for byte; new lines use the file's line ending.
func SetProfile(data []byte, profile string, keys []KeyValue) ([]byte, error) {
	if err := ValidateProfile(profile); err != nil {
		return nil, err
	}
	for _, kv := range keys {
		k := strings.TrimSpace(kv.Key)
		if k == "" || k != kv.Key || strings.ContainsAny(k, "=:[]#;\r\n") || strings.ContainsAny(kv.Value, "\r\n") {
			return nil, fmt.Errorf("setting %q = %q cannot be written to a config file", kv.Key, kv.Value)
		}
	}
	lines := split(data)
	eol := "\n"
	if len(lines) > 0 && strings.HasSuffix(lines[0].text, "\r\n") {
		eol = "\r\n"
	}
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1].text, "\n") {
		lines[n-1].text = strings.TrimRight(lines[n-1].text, "\r") + eol
	}
	start, end, err := find(lines, profile)
	if err != nil {
		return nil, err
	}
	if start < 0 {
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(l.text)
		}
		if len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1].content()) != "" {
			b.WriteString(eol)
		}
		b.WriteString("[" + SectionName(profile) + "]" + eol)
		for _, kv := range keys {
			b.WriteString(kv.Key + " = " + kv.Value + eol)
		}
		return []byte(b.String()), nil
	}
	section := lines[start+1 : end]
	for _, kv := range keys {
		section = setKey(section, strings.ToLower(kv.Key), kv.Key+" = "+kv.Value+eol)
	}
	out := append(append(append([]line{}, lines[:start+1]...), section...), lines[end:]...)
	var b strings.Builder
	for _, l := range out {
		b.WriteString(l.text)
	}
	return []byte(b.String()), nil
}

// setKey sets one key in a section's lines (the header excluded).
func setKey(section []line, key, text string) []line {
	var out []line
	done := false
	lastSetting := -1 // index in out after the last setting (with its continuation)
	for i := 0; i < len(section); i++ {
		l := section[i]
		k, ok := l.key()
		if !ok {
			out = append(out, l)
			continue
		}
		// Skip the indented lines that continue this key.
		j := i + 1
		for j < len(section) && section[j].indented() {
			j++
		}
		switch {
		case k != key:
			out = append(out, section[i:j]...)
		case !done:
			out = append(out, line{text})
			done = true
		}
		lastSetting = len(out)
		i = j - 1
	}
	if done {
		return out
	}
	if lastSetting < 0 {
		lastSetting = 0
	}
	return append(out[:lastSetting:lastSetting], append([]line{{text}}, out[lastSetting:]...)...)
}

// CommandLine joins a program and its arguments into a credential_process
// value. The aws CLI splits that value like a POSIX shell (Python's shlex)
// and the AWS SDK for Go runs it with sh -c, so each word is quoted for a
// POSIX shell when it needs it.
func CommandLine(args ...string) string {
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = shellWord(a)
	}
	return strings.Join(words, " ")
}

// shellWord quotes s for a POSIX shell unless it is made only of characters
// no shell treats specially.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,=@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
