package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/internal/awsconfig"
)

// profileTarget is where samlab login --write-profile writes: a profile in
// the aws CLI's config file.
type profileTarget struct {
	name, file string
}

// newProfileTarget checks the profile name and finds the config file: the
// given one, else $AWS_CONFIG_FILE, else ~/.aws/config (where the aws CLI
// looks).
func newProfileTarget(name, file string) (*profileTarget, error) {
	if err := awsconfig.ValidateProfile(name); err != nil {
		return nil, fmt.Errorf("--write-profile: %w", err)
	}
	if file == "" {
		file = os.Getenv("AWS_CONFIG_FILE")
	}
	if file == "" || file == "~" || strings.HasPrefix(file, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("--write-profile: no --config, no $AWS_CONFIG_FILE and %w", err)
		}
		if file == "" {
			file = filepath.Join(home, ".aws", "config")
		} else {
			file = filepath.Join(home, strings.TrimPrefix(file, "~"))
		}
	}
	return &profileTarget{name: name, file: file}, nil
}

// write adds or updates the profile: a credential_process that runs samlab
// login again with the same settings (never prompting), the region and
// endpoint_url. The rest of the file is kept as it was.
func (p *profileTarget) write(cmd *cobra.Command, o loginOptions, source passwordSource) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("--write-profile: the path of samlab itself: %w", err)
	}
	args := []string{exe, "login", "--idp-url", o.idpURL, "--endpoint-url", o.endpointURL, "--region", o.region,
		"--username", o.username, "--role", o.role}
	if o.duration != 0 {
		args = append(args, "--duration-seconds", strconv.Itoa(int(o.duration)))
	}
	if source == passwordFromFile {
		abs, err := absPath(o.password.file)
		if err != nil {
			return err
		}
		args = append(args, "--password-file", abs)
	}
	args = append(args, "--format", "credential-process")
	keys := []awsconfig.KeyValue{
		{Key: "credential_process", Value: awsconfig.CommandLine(args...)},
		{Key: "region", Value: o.region},
		{Key: "endpoint_url", Value: o.endpointURL},
	}
	file := p.file
	if resolved, err := filepath.EvalSymlinks(file); err == nil {
		file = resolved // a config file kept elsewhere and linked stays a link
	}
	data, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--write-profile: %w", err)
	}
	out, err := awsconfig.SetProfile(data, p.name, keys)
	if err != nil {
		return fmt.Errorf("--write-profile: %s: %w", p.file, err)
	}
	if err := writeFileAtomic(file, out); err != nil {
		return fmt.Errorf("--write-profile: %w", err)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Wrote [%s] in %s:\n", awsconfig.SectionName(p.name), p.file)
	for _, kv := range keys {
		fmt.Fprintf(w, "  %s = %s\n", kv.Key, kv.Value)
	}
	fmt.Fprintf(w, "\nTry it:\n  aws --profile %s --endpoint-url %s sts get-caller-identity\n", p.name, o.endpointURL)
	fmt.Fprintln(w, "The aws CLI from 2.13 and the AWS SDKs also read endpoint_url from the profile; older aws CLIs need --endpoint-url.")
	if source == passwordFromEnv {
		fmt.Fprintf(cmd.ErrOrStderr(), "samlab: note: the profile reads the password from $%s, which must be set wherever the aws CLI runs; "+
			"--password-file FILE keeps it out of the environment\n", PasswordEnv)
	}
	return nil
}

// writeFileAtomic replaces name with data through a temporary file and a
// rename, so a reader never sees half a file. A new file (and its
// directory) is private to the user; an existing file keeps its mode.
func writeFileAtomic(name string, data []byte) (err error) {
	mode := os.FileMode(0o600)
	if st, err := os.Stat(name); err == nil {
		mode = st.Mode().Perm()
	}
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
