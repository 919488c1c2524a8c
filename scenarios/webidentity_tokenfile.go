package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/samlab-dev/samlab/idp/oidc"
)

// An app that federates with web identity often reads its ID token from a
// file: AWS_WEB_IDENTITY_TOKEN_FILE for the aws CLI and the SDKs' web
// identity credential provider, a projected service account token on EKS
// (IRSA), which the kubelet rewrites before it expires. A lab keeps such
// files in its directory (SetDir): write-token-file steps write them, as
// the kubelet does, and web-identity-login steps with token_file read them,
// as the credential provider does.

// SetDir makes dir the lab's directory, where token_file names files. A
// lab with none uses a temporary directory of its own, removed by Close;
// setting a directory removes that one.
func (l *Lab) SetDir(dir string) error {
	w := l.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.removeTempDirLocked(); err != nil {
		return err
	}
	w.dir = dir
	return nil
}

// TokenFilePath returns where the token file name is, in the lab's
// directory; name must be a local path (no "..", not absolute).
func (l *Lab) TokenFilePath(name string) (string, error) {
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("token_file %q: want a file name inside the lab's directory", name)
	}
	w := l.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dir == "" {
		dir, err := os.MkdirTemp("", "samlab-lab-")
		if err != nil {
			return "", fmt.Errorf("lab: directory for token files: %w", err)
		}
		w.dir, w.tempDir = dir, dir
	}
	return filepath.Join(w.dir, name), nil
}

// WriteTokenFile replaces the token file name with an ID token the lab's
// OpenID Connect provider issues for user and audience, with fault.
func (l *Lab) WriteTokenFile(name, user, audience string, fault oidc.Fault) error {
	path, err := l.TokenFilePath(name)
	if err != nil {
		return err
	}
	tok, err := l.WebIdentityToken(user, audience, fault)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// Written beside and renamed over, as the kubelet replaces a projected
	// token: a reader never sees half a token.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadTokenFile returns the ID token in the token file name, as the SDKs'
// web identity credential provider reads AWS_WEB_IDENTITY_TOKEN_FILE
// (surrounding white space dropped).
func (l *Lab) ReadTokenFile(name string) (string, error) {
	path, err := l.TokenFilePath(name)
	if err != nil {
		return "", err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("the app's token file: %w", err)
	}
	tok := strings.TrimSpace(string(raw))
	if tok == "" {
		return "", fmt.Errorf("the app's token file %s is empty", path)
	}
	return tok, nil
}

func (l *Lab) writeTokenFileStep(st Step) error {
	f, err := oidc.ParseFault(st.TokenFault)
	if err != nil {
		return err
	}
	return l.WriteTokenFile(st.TokenFile, st.User, st.Audience, f)
}

// removeTempDirLocked removes the lab's own temporary directory, if it made
// one. The caller holds w.mu.
func (w *webState) removeTempDirLocked() error {
	if w.tempDir == "" {
		return nil
	}
	err := os.RemoveAll(w.tempDir)
	if w.dir == w.tempDir {
		w.dir = ""
	}
	w.tempDir = ""
	return err
}

// checkTokenFile checks a step's token_file: a name inside the lab's
// directory, and, read by web-identity-login, sent as it is.
func checkTokenFile(at func(string, string, ...any), p string, st Step) {
	if st.TokenFile == "" {
		return
	}
	if !filepath.IsLocal(st.TokenFile) {
		at(p+".token_file", "%q: want a file name inside the lab's directory (not absolute, no ..)", st.TokenFile)
	}
	if st.Action != ActionWebIdentityLogin {
		return
	}
	if st.Token != "" {
		at(p+".token_file", "send either token or token_file, not both")
	}
	for _, f := range []struct{ key, v string }{{"user", st.User}, {"audience", st.Audience}, {"token_fault", st.TokenFault}, {"save_token", st.SaveToken}} {
		if f.v != "" {
			at(p+"."+f.key, "the token in token_file %q is sent as it is: %s does not apply", st.TokenFile, f.key)
		}
	}
}
