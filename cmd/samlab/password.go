package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// PasswordEnv is the environment variable the commands that log in to the
// IdP read the password from when no other source is given.
const PasswordEnv = "SAMLAB_PASSWORD"

// passwordSource says where a password came from.
type passwordSource int

const (
	passwordFromFile passwordSource = iota + 1
	passwordFromStdin
	passwordFromEnv
	passwordFromPrompt
)

// passwordOptions are the flags that say where the IdP password comes from.
type passwordOptions struct {
	stdin bool
	file  string
}

func (p *passwordOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&p.stdin, "password-stdin", false, "read the password from the first line of standard input")
	f.StringVar(&p.file, "password-file", "", "read the password from the first line of this file (it must be readable by its owner only)")
	cmd.MarkFlagsMutuallyExclusive("password-stdin", "password-file")
}

// read returns the password and its source: --password-file, else
// --password-stdin, else $SAMLAB_PASSWORD, else a prompt (without echo on a
// terminal) when ask is set.
func (p *passwordOptions) read(cmd *cobra.Command, in *bufio.Reader, ask bool) (string, passwordSource, error) {
	switch {
	case p.file != "":
		pw, err := readPasswordFile(p.file)
		return pw, passwordFromFile, err
	case p.stdin:
		pw, err := readPassword(cmd.InOrStdin(), in, cmd.ErrOrStderr(), false)
		return pw, passwordFromStdin, err
	}
	if pw := os.Getenv(PasswordEnv); pw != "" {
		return pw, passwordFromEnv, nil
	}
	if !ask {
		return "", 0, errors.New("no password: give --password-file FILE or set $" + PasswordEnv +
			" (this mode never prompts: it runs without a terminal)")
	}
	pw, err := readPassword(cmd.InOrStdin(), in, cmd.ErrOrStderr(), true)
	return pw, passwordFromPrompt, err
}

// readPasswordFile reads the first line of a password file. Like ssh with
// its keys, it refuses a file that others may read.
func readPasswordFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("--password-file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("--password-file: %w", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("--password-file %s: other users may read it (mode %04o); make it private with: chmod 600 %s",
			name, st.Mode().Perm(), name)
	}
	line, err := bufio.NewReader(io.LimitReader(f, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--password-file %s: %w", name, err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("--password-file %s: the first line is empty", name)
	}
	return pw, nil
}

// absPath returns name as an absolute path (for a file named in a profile,
// which runs from another directory).
func absPath(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	return filepath.Abs(name)
}

// readPassword reads the password: without echo when standard input is a
// terminal and a prompt is wanted, else as the next line of input.
func readPassword(stdin io.Reader, in *bufio.Reader, prompt io.Writer, ask bool) (string, error) {
	if ask {
		fmt.Fprint(prompt, "Password: ")
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			p, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(prompt)
			return string(p), err
		}
	}
	p, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(p, "\r\n"), nil
}
