package labs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/scenarios"
)

// Files of a class's state directory.
const (
	ManifestFile = "lab.json"
	RosterFile   = "roster.txt"
)

// DemoPassword is the password of the labs' IdP users.
const DemoPassword = "samlab"

// ClassConfig configures a class: one lab per trainee in one process.
type ClassConfig struct {
	Scenario *scenarios.Scenario
	// Dir is the class's state directory: the manifest, the roster and one
	// directory per trainee.
	Dir string
	// Trainees is how many trainees (default 1).
	Trainees int
	// Listen is trainee 1's address; trainee K listens on its port + K-1
	// (with port 0, each trainee gets a free port). A class started again
	// from its directory listens where it did before.
	Listen string
	// Keys makes the IdPs' keys (default certs.GeneratedKeys).
	Keys   certs.KeySource
	Logger *slog.Logger
	// EventsFile is where a class of one appends its AWS calls (default
	// EventsFile in the trainee's directory); a class of more refuses it.
	EventsFile string
	// Wrap, when set, wraps each trainee's handler before it is served
	// (for example with an HTTPS proxy).
	Wrap func(trainee int, h http.Handler) http.Handler
	// Why adds the "why" panel to the trainees' console sign-in error
	// pages, closed until a trainee opens it (it holds the answer).
	Why bool
}

// Manifest is a class as its state directory records it (ManifestFile,
// readable by its owner only: it holds the trainees' keys and the control
// token).
type Manifest struct {
	Lab          string    `json:"lab"`
	Title        string    `json:"title"`
	Created      time.Time `json:"created"`
	ControlToken string    `json:"control_token"`
	Trainees     []Seat    `json:"trainees"`
}

// Seat is one trainee's lab: where it is served and the trainee's access.
type Seat struct {
	Trainee         int      `json:"trainee"`
	Endpoint        string   `json:"endpoint"`
	Account         string   `json:"account"`
	AccessKeyID     string   `json:"access_key_id"`
	SecretAccessKey string   `json:"secret_access_key"`
	Users           []string `json:"users"`
	// OIDCIssuer is the issuer of the lab's OpenID Connect provider, for a
	// web identity lab.
	OIDCIssuer string `json:"oidc_issuer,omitempty"`
}

// Seat returns trainee k's seat.
func (m *Manifest) Seat(k int) (Seat, error) {
	if k < 1 || k > len(m.Trainees) {
		return Seat{}, fmt.Errorf("no trainee %d: the class has %d (1 to %d)", k, len(m.Trainees), len(m.Trainees))
	}
	return m.Trainees[k-1], nil
}

// ReadManifest reads a class's manifest from its state directory.
func ReadManifest(dir string) (*Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no lab in %s (start one with samlab lab start ID --state %s)", dir, dir)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return &m, nil
}

// Class is a lab served to a class of trainees.
type Class struct {
	Manifest  *Manifest
	trainees  []*Trainee
	listeners []net.Listener
	servers   []*http.Server // serving since OpenClass (see serveEarly)
	done      chan error     // their Serve results
	logger    *slog.Logger
	wrap      func(int, http.Handler) http.Handler
}

// accountFor returns trainee k's account: the demo account for a class of
// one, else 1000000000KK-style IDs, distinct per trainee.
func accountFor(k, n int) string {
	if n == 1 {
		return scenarios.DefaultAccountID
	}
	return fmt.Sprintf("%012d", 100000000000+k)
}

// OpenClass opens (or creates) the class in cfg.Dir and listens for every
// trainee; Serve serves them.
func OpenClass(ctx context.Context, cfg ClassConfig) (_ *Class, err error) {
	if cfg.Scenario == nil || cfg.Scenario.Lab == nil {
		return nil, errors.New("labs: the scenario is not a lab")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	m, err := ReadManifest(cfg.Dir)
	fresh := err != nil
	if fresh {
		if _, statErr := os.Stat(filepath.Join(cfg.Dir, ManifestFile)); statErr == nil {
			return nil, err // a manifest that does not read
		}
		if cfg.Trainees == 0 {
			cfg.Trainees = 1
		}
		if cfg.Trainees < 1 || cfg.Trainees > 200 {
			return nil, fmt.Errorf("--trainees is %d; a class has 1 to 200 trainees", cfg.Trainees)
		}
		token := make([]byte, 16)
		if _, err := rand.Read(token); err != nil {
			return nil, err
		}
		m = &Manifest{Lab: cfg.Scenario.Name, Title: cfg.Scenario.Title, Created: time.Now().UTC().Truncate(time.Second),
			ControlToken: hex.EncodeToString(token), Trainees: make([]Seat, cfg.Trainees)}
	} else {
		if m.Lab != cfg.Scenario.Name {
			return nil, fmt.Errorf("%s holds the lab %q, not %q: use another --state directory", cfg.Dir, m.Lab, cfg.Scenario.Name)
		}
		if cfg.Trainees != 0 && cfg.Trainees != len(m.Trainees) {
			return nil, fmt.Errorf("%s holds a class of %d trainees, not %d: use another --state directory", cfg.Dir, len(m.Trainees), cfg.Trainees)
		}
	}
	if cfg.EventsFile != "" && len(m.Trainees) > 1 {
		return nil, fmt.Errorf("one events file for %d trainees: each trainee's AWS calls are in %s", len(m.Trainees),
			filepath.Join(cfg.Dir, "trainee-K", EventsFile))
	}
	c := &Class{Manifest: m, logger: cfg.Logger, done: make(chan error, len(m.Trainees)), wrap: cfg.Wrap}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Close())
		}
	}()
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil && fresh {
		return nil, fmt.Errorf("--listen %q: %w", cfg.Listen, err)
	}
	basePort, _ := strconv.Atoi(port)
	for i := range m.Trainees {
		k := i + 1
		addr := ""
		if fresh {
			p := 0
			if basePort != 0 {
				p = basePort + i
			}
			addr = net.JoinHostPort(host, strconv.Itoa(p))
		} else {
			addr = m.Trainees[i].Endpoint[len("http://"):]
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("trainee %d: %w", k, err)
		}
		c.listeners = append(c.listeners, ln)
		seat := &m.Trainees[i]
		if fresh {
			admin, err := scenarios.NewAdminKey(nil)
			if err != nil {
				return nil, err
			}
			*seat = Seat{Trainee: k, Endpoint: "http://" + ln.Addr().String(), Account: accountFor(k, len(m.Trainees)),
				AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey}
		}
		t, err := newTrainee(TraineeConfig{Scenario: cfg.Scenario, Trainee: k,
			Dir: TraineeDir(cfg.Dir, k), AccountID: seat.Account, BaseURL: seat.Endpoint,
			Admin:        scenarios.AdminKey{AccessKeyID: seat.AccessKeyID, SecretAccessKey: seat.SecretAccessKey},
			ControlToken: m.ControlToken, Keys: cfg.Keys, Logger: cfg.Logger.With("trainee", k), EventsFile: cfg.EventsFile, Why: cfg.Why})
		if err != nil {
			return nil, err
		}
		c.serveEarly(ln, t)
		if err := t.openServed(ctx); err != nil {
			return nil, err
		}
		c.trainees = append(c.trainees, t)
		seat.Users = t.Status().Users
		seat.OIDCIssuer = t.Lab().OIDCIssuer()
	}
	if err := writeFileAtomic(filepath.Join(cfg.Dir, ManifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(cfg.Dir, RosterFile), func(w io.Writer) error { return WriteRoster(w, m) }); err != nil {
		return nil, err
	}
	return c, nil
}

// Trainee returns trainee k's lab (from 1).
func (c *Class) Trainee(k int) (*Trainee, error) {
	if _, err := c.Manifest.Seat(k); err != nil {
		return nil, err
	}
	return c.trainees[k-1], nil
}

// Serve serves every trainee's lab until ctx ends, then shuts down.
func (c *Class) Serve(ctx context.Context) error {
	servers := c.servers
	var first error
	select {
	case first = <-c.done:
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	errs := []error{}
	if first != nil && !errors.Is(first, http.ErrServerClosed) {
		errs = append(errs, first)
	}
	for _, srv := range servers {
		errs = append(errs, srv.Shutdown(shutdownCtx))
	}
	c.listeners, c.servers = nil, nil
	return errors.Join(errs...)
}

// Close closes the listeners (when Serve did not run) and the state stores.
func (c *Class) Close() error {
	var errs []error
	for _, srv := range c.servers {
		errs = append(errs, srv.Close())
	}
	c.servers = nil
	for _, ln := range c.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	c.listeners = nil
	for _, t := range c.trainees {
		errs = append(errs, t.Close())
	}
	return errors.Join(errs...)
}

// WriteRoster writes the class's roster: per trainee, the endpoint, the
// account, the admin key and the IdP users.
func WriteRoster(w io.Writer, m *Manifest) error {
	fmt.Fprintf(w, "lab %s\nIdP users' password: %s\n\n", m.Lab, DemoPassword)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "trainee\tendpoint\taccount\taccess key id\tsecret access key\tusers")
	for _, s := range m.Trainees {
		users := ""
		for i, u := range s.Users {
			if i > 0 {
				users += ","
			}
			users += u
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.Trainee, s.Endpoint, s.Account, s.AccessKeyID, s.SecretAccessKey, users)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeSeatAccounts(w, m)
}

// writeFileAtomic writes a file readable by its owner only, through a
// temporary file and a rename, so a crash never leaves half a file.
func writeFileAtomic(name string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
