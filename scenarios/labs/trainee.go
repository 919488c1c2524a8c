package labs

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/cognito"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// State-store keys of a trainee's lab.
const (
	replayMeta   = "lab-replay"
	progressMeta = "lab-progress"
	idpMeta      = "lab-idp" // the trainee's changes to the IdP (idpRecord)
)

// EventsFile is the file in a trainee's directory that records every AWS
// call of the trainee's lab, CloudTrail-like (read it with samlab events).
const EventsFile = "events.jsonl"

// TraineeConfig configures one trainee's lab.
type TraineeConfig struct {
	Scenario *scenarios.Scenario
	// Trainee is the trainee's number (from 1).
	Trainee int
	// Dir is the trainee's state directory (created when missing).
	Dir string
	// AccountID is the trainee's AWS account.
	AccountID string
	// BaseURL is the lab's own URL (http://HOST:PORT); the IdP's metadata
	// names it, so a lab restarted on another address is a different lab.
	BaseURL string
	// Admin is the trainee's admin access key.
	Admin scenarios.AdminKey
	// ControlToken authorises reset requests (and, like the admin key's
	// token, status, check and IdP changes).
	ControlToken string
	// EventsFile is where the lab's AWS calls are appended (default
	// EventsFile in Dir).
	EventsFile string
	// Keys makes the IdP's new keys (default certs.GeneratedKeys).
	Keys   certs.KeySource
	Logger *slog.Logger
	// Why adds the console's "why" panel, closed (see ClassConfig.Why).
	Why bool
}

// Trainee is one trainee's lab, served by ServeHTTP: the lab's AWS, IdP and
// console endpoints, plus the control requests under ControlPrefix.
type Trainee struct {
	cfg TraineeConfig
	up  time.Time // when this process started serving

	mu       sync.Mutex // serialises check and reset; guards the fields below
	lab      *scenarios.Lab
	store    *iam.BoltStore
	events   *os.File
	handler  http.Handler
	started  time.Time // when the broken state was first reached
	progress Progress

	oidc    atomic.Pointer[oidcBox] // the lab's OpenID Connect provider, served without t.mu
	cognito *cognito.BoltStore      // the identity pools' state
	oidcAt  string                  // where the lab's own https issuer listened last (kept by reset)
	// accounts are the further accounts' IAM state (accounts.go).
	accounts []*iam.BoltStore
}

// Progress is what a trainee's checks have said so far.
type Progress struct {
	Attempts  int       `json:"attempts"`
	Fixed     bool      `json:"fixed"`
	LastCheck time.Time `json:"last_check,omitzero"`
}

// replayRecord is what makes a replay of the broken state give the same lab
// again: the keys the IdP was given, in order, the seed of the randomness
// the replay read (certificate serials, IDs) and the frozen clock's start.
type replayRecord struct {
	Scenario string    `json:"scenario"`
	BaseURL  string    `json:"base_url"`
	Start    time.Time `json:"start"`
	Seed     []byte    `json:"seed"`
	Keys     []string  `json:"keys"` // PKCS#1 PEM
	// OIDCAddr is where the lab's https OpenID Connect issuer listens
	// (setup.oidc.tls: it has a listener of its own; see oidcConfig).
	OIDCAddr string `json:"oidc_addr,omitempty"`
}

// OpenTrainee builds the trainee's lab from its state directory: in its
// broken state the first time, and as it was left on later starts.
func OpenTrainee(ctx context.Context, cfg TraineeConfig) (*Trainee, error) {
	t, err := newTrainee(cfg)
	if err != nil {
		return nil, err
	}
	if err := t.open(ctx); err != nil {
		return nil, errors.Join(err, t.Close())
	}
	return t, nil
}

// newTrainee returns the trainee's lab before it is opened: served, it
// answers only its OpenID Connect provider's requests (which the replay of
// a web identity lab's broken state makes), and 503 to the rest.
func newTrainee(cfg TraineeConfig) (*Trainee, error) {
	if cfg.Scenario == nil || cfg.Scenario.Lab == nil {
		return nil, errors.New("labs: the scenario is not a lab")
	}
	if err := cfg.Scenario.Validate(); err != nil {
		return nil, err
	}
	if cfg.Keys == nil {
		cfg.Keys = certs.GeneratedKeys{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Trainee{cfg: cfg, up: time.Now()}, nil
}

// openServed opens a trainee made by newTrainee.
func (t *Trainee) openServed(ctx context.Context) error {
	if err := t.open(ctx); err != nil {
		return errors.Join(err, t.Close())
	}
	return nil
}

func (t *Trainee) storeDir() string { return filepath.Join(t.cfg.Dir, "state") }

// open builds the lab from the store (t.mu held or not yet shared).
func (t *Trainee) open(ctx context.Context) (err error) {
	if err := os.MkdirAll(t.storeDir(), 0o700); err != nil {
		return err
	}
	store, err := iam.OpenBoltStore(t.storeDir())
	if err != nil {
		return fmt.Errorf("trainee %d: %w", t.cfg.Trainee, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, store.Close())
		}
	}()
	sc := t.cfg.Scenario
	var rec replayRecord
	raw, err := store.Meta(replayMeta)
	if err != nil {
		return err
	}
	fresh := raw == nil
	if raw == nil {
		rec = replayRecord{Scenario: sc.Name, BaseURL: t.cfg.BaseURL, Start: time.Now().UTC().Truncate(time.Second),
			Seed: make([]byte, 32)}
		if _, err := rand.Read(rec.Seed); err != nil {
			return err
		}
	} else if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("trainee %d: stored lab: %w", t.cfg.Trainee, err)
	}
	if rec.Scenario != sc.Name {
		return fmt.Errorf("trainee %d: the state in %s holds the lab %q, not %q", t.cfg.Trainee, t.cfg.Dir, rec.Scenario, sc.Name)
	}
	if rec.BaseURL != t.cfg.BaseURL {
		return fmt.Errorf("trainee %d: the lab in %s was served at %s, not %s (the IdP's metadata names its URL)",
			t.cfg.Trainee, t.cfg.Dir, rec.BaseURL, t.cfg.BaseURL)
	}
	if len(rec.Seed) != 32 {
		return fmt.Errorf("trainee %d: stored lab: seed of %d bytes, want 32", t.cfg.Trainee, len(rec.Seed))
	}
	keys, err := newRecordingKeys(rec.Keys, t.cfg.Keys)
	if err != nil {
		return fmt.Errorf("trainee %d: stored lab: %w", t.cfg.Trainee, err)
	}
	sessionKeys, err := sessiontoken.Open(store, t.cfg.AccountID, nil, time.Now())
	if err != nil {
		return err
	}
	rnd := newReplayRand(rec.Seed)
	lab, err := scenarios.NewLabFor(ctx, t.oidcConfig(scenarios.LabConfig{AccountID: t.cfg.AccountID, Keys: keys, Start: rec.Start,
		IDPBaseURL: t.cfg.BaseURL + scenarios.IDPPrefix, Rand: rnd, SessionKeys: sessionKeys,
		Logger: t.cfg.Logger, SignInWhy: t.cfg.Why, SignInWhyClosed: true}, rec), sc.Setup)
	if err != nil {
		return fmt.Errorf("trainee %d: set up the lab: %w", t.cfg.Trainee, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, lab.Close())
		}
	}()
	// The further accounts' admin keys follow from the trainee's (SeatAccounts).
	if err := lab.DeriveAccountAdminKeys(t.cfg.Admin); err != nil {
		return fmt.Errorf("trainee %d: %w", t.cfg.Trainee, err)
	}
	t.publishOIDC(lab)
	// The lab's files (an app's token file) are the trainee's: written by
	// the first replay, and kept as the trainee left them by later ones,
	// which write into a directory of the lab's own.
	if fresh {
		if err := lab.SetDir(t.cfg.Dir); err != nil {
			return err
		}
	}
	rec.OIDCAddr = oidcAddr(sc, lab)
	t.oidcAt = rec.OIDCAddr
	for i, st := range sc.Steps[:sc.BrokenSteps()] {
		out := lab.Do(ctx, st)
		if m := out.Mismatches(lab.ExpandExpect(st.Expect)); len(m) > 0 {
			return fmt.Errorf("trainee %d: replaying step %d (%s) of %s: got %s, want %s", t.cfg.Trainee, i+1, st.Action,
				sc.Name, out, lab.ExpandExpect(st.Expect))
		}
	}
	if err := lab.SetDir(t.cfg.Dir); err != nil {
		return err
	}
	// The trainee's changes to the IdP, stored by applyIDPChange.
	if _, err := lab.RestoreIDP(store, idpMeta); err != nil {
		return fmt.Errorf("trainee %d: %w", t.cfg.Trainee, err)
	}
	// From here on the lab is served: real time, real randomness. The
	// trainee's changes stored earlier win over the replayed IAM state.
	lab.Clock.FollowWallClock()
	rnd.release()
	if err := lab.Account.AttachStore(store); err != nil {
		return err
	}
	if err := t.attachCognito(lab); err != nil {
		return err
	}
	if err := t.attachAccounts(lab); err != nil {
		return err
	}
	if rec.Keys, err = keys.recorded(); err != nil {
		return err
	}
	if raw, err = json.Marshal(rec); err != nil {
		return err
	}
	if err := store.SetMeta(replayMeta, raw); err != nil {
		return err
	}
	var progress Progress
	if raw, err := store.Meta(progressMeta); err != nil {
		return err
	} else if raw != nil {
		if err := json.Unmarshal(raw, &progress); err != nil {
			return fmt.Errorf("trainee %d: stored progress: %w", t.cfg.Trainee, err)
		}
	}
	if t.events == nil {
		if t.events, err = os.OpenFile(t.eventsFile(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return err
		}
	}
	h, err := lab.Handler(scenarios.ServerConfig{Admin: t.cfg.Admin, Logger: t.cfg.Logger, Accounts: lab.ServedAccounts(),
		Events: awsapi.NewJSONLines(t.events), EventLog: t.readEvents, Task: t.task})
	if err != nil {
		return err
	}
	h = scenarios.WithIDPAdmin(h, scenarios.IDPAdminConfig{Lab: t.Lab, Authorize: t.authorize, Apply: t.applyIDPChange})
	t.lab, t.store, t.handler, t.started, t.progress = lab, store, h, rec.Start, progress
	return nil
}

// Close closes the trainee's state store.
func (t *Trainee) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	if t.events != nil {
		errs = append(errs, t.events.Close())
		t.events = nil
	}
	if t.store != nil {
		errs = append(errs, t.store.Close())
		t.store = nil
	}
	errs = append(errs, t.closeCognito(), t.closeAccounts())
	if t.lab != nil {
		errs = append(errs, t.lab.Close())
	}
	return errors.Join(errs...)
}

// Lab returns the trainee's live lab.
func (t *Trainee) Lab() *scenarios.Lab {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lab
}

// CheckResult is what a check says.
type CheckResult struct {
	Lab     string `json:"lab"`
	Trainee int    `json:"trainee"`
	Fixed   bool   `json:"fixed"`
	// Steps are the check steps as the live lab played them.
	Steps []CheckedStep `json:"steps"`
	// Hint is the scenario's hint when the lab is not fixed.
	Hint     string `json:"hint,omitempty"`
	Attempts int    `json:"attempts"`
}

// CheckedStep is one check step: its expectation and what the live lab gave.
type CheckedStep struct {
	Step       string               `json:"step"`
	Expected   string               `json:"expected"`
	Actual     string               `json:"actual"`
	Pass       bool                 `json:"pass"`
	Mismatches []scenarios.Mismatch `json:"mismatches,omitempty"`
}

// Check plays the scenario's success condition (its check steps, in order)
// against the live lab.
func (t *Trainee) Check(ctx context.Context) (CheckResult, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.store == nil {
		return CheckResult{}, errors.New("the lab is closed")
	}
	sc := t.cfg.Scenario
	res := CheckResult{Lab: sc.Name, Trainee: t.cfg.Trainee, Fixed: true}
	for _, num := range sc.CheckSteps() {
		st := sc.Steps[num-1]
		out := t.lab.Do(ctx, st)
		want := t.lab.ExpandExpect(st.Expect)
		c := CheckedStep{Step: st.Name, Expected: want.String(), Actual: out.String(), Mismatches: out.Mismatches(want)}
		if c.Step == "" {
			c.Step = st.Action
		}
		c.Pass = len(c.Mismatches) == 0
		res.Fixed = res.Fixed && c.Pass
		res.Steps = append(res.Steps, c)
	}
	if !res.Fixed {
		res.Hint = sc.Hint
	}
	t.progress.Attempts++
	t.progress.Fixed, t.progress.LastCheck = res.Fixed, time.Now().UTC()
	res.Attempts = t.progress.Attempts
	raw, err := json.Marshal(t.progress)
	if err != nil {
		return res, err
	}
	return res, t.store.SetMeta(progressMeta, raw)
}

// Reset puts the lab back in its broken state: the state store is emptied
// and the broken state replayed anew (with new IdP keys). The admin key
// stays; credentials issued before are no longer accepted.
func (t *Trainee) Reset(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.store != nil {
		if err := t.store.Close(); err != nil {
			return err
		}
		t.store = nil
	}
	if err := errors.Join(t.closeCognito(), t.closeAccounts()); err != nil {
		return err
	}
	if err := t.lab.Close(); err != nil {
		return err
	}
	if err := os.RemoveAll(t.storeDir()); err != nil {
		return err
	}
	return t.open(ctx)
}

// Status is a trainee's lab as `samlab lab status` shows it.
type Status struct {
	Lab        string    `json:"lab"`
	Difficulty int       `json:"difficulty"`
	Task       string    `json:"task"`
	Trainee    int       `json:"trainee"`
	Account    string    `json:"account"`
	Endpoint   string    `json:"endpoint"`
	Users      []string  `json:"users"`
	Started    time.Time `json:"started"`
	ServingFor string    `json:"serving_for"`
	Progress
}

// Status returns the trainee's lab and progress.
func (t *Trainee) Status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	sc := t.cfg.Scenario
	users := make([]string, 0, len(t.lab.Users))
	for u := range t.lab.Users {
		users = append(users, u)
	}
	sort.Strings(users)
	return Status{Lab: sc.Name, Difficulty: sc.Difficulty, Task: Task(sc, t.cfg.BaseURL, t.cfg.AccountID, t.cfg.Dir), Trainee: t.cfg.Trainee,
		Account: t.cfg.AccountID, Endpoint: t.cfg.BaseURL, Users: users, Started: t.started,
		ServingFor: time.Since(t.up).Round(time.Second).String(), Progress: t.progress}
}

// ServeHTTP serves the lab, and its control requests under ControlPrefix.
func (t *Trainee) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if t.serveOIDC(w, r) {
		return
	}
	if r.URL.Path != ControlPrefix && !strings.HasPrefix(r.URL.Path, ControlPrefix+"/") {
		t.mu.Lock()
		h := t.handler
		t.mu.Unlock()
		if h == nil {
			http.Error(w, "the lab is starting", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path != ControlPrefix+"/reset" {
		if err := t.authorize(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="samlab lab"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
			return
		}
	}
	switch {
	case r.URL.Path == ControlPrefix && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, t.Status())
	case r.URL.Path == ControlPrefix+"/check" && r.Method == http.MethodPost:
		res, err := t.Check(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, res)
	case r.URL.Path == ControlPrefix+"/reset" && r.Method == http.MethodPost:
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if t.cfg.ControlToken == "" || subtle.ConstantTimeCompare([]byte(got), []byte(t.cfg.ControlToken)) != 1 {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "reset needs the class's control token (samlab lab reset --state DIR)"})
			return
		}
		if err := t.Reset(r.Context()); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, t.Status())
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown lab control request " + r.Method + " " + r.URL.Path +
			" (GET " + ControlPrefix + ", POST " + ControlPrefix + "/check, POST " + ControlPrefix + "/reset)"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// recordingKeys hands out the recorded keys first, in order, then new ones
// from src, which it records: a replay then gives the IdP the same keys.
type recordingKeys struct {
	mu   sync.Mutex
	keys []*rsa.PrivateKey
	next int
	src  certs.KeySource
}

func newRecordingKeys(pems []string, src certs.KeySource) (*recordingKeys, error) {
	k := &recordingKeys{src: src}
	for i, p := range pems {
		key, err := certs.ParseKeyPEM([]byte(p))
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		k.keys = append(k.keys, key)
	}
	return k, nil
}

func (k *recordingKeys) Key(bits int) (*rsa.PrivateKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.next < len(k.keys) {
		key := k.keys[k.next]
		want := bits
		if want == 0 {
			want = certs.DefaultBits
		}
		if key.N.BitLen() != want {
			return nil, fmt.Errorf("recorded key %d has %d bits, the lab asks for %d", k.next+1, key.N.BitLen(), want)
		}
		k.next++
		return key, nil
	}
	key, err := k.src.Key(bits)
	if err != nil {
		return nil, err
	}
	k.keys = append(k.keys, key)
	k.next++
	return key, nil
}

func (k *recordingKeys) recorded() ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]string, 0, len(k.keys))
	for i, key := range k.keys {
		p, err := certs.EncodeKeyPEM(key)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		out = append(out, string(p))
	}
	return out, nil
}

// replayRand is the lab's randomness: a ChaCha8 stream from a recorded seed
// while the broken state is replayed (so certificate serials and IDs come
// out the same on every replay), crypto/rand once the lab is served.
type replayRand struct {
	mu sync.Mutex
	r  io.Reader
}

func newReplayRand(seed []byte) *replayRand {
	return &replayRand{r: mrand.NewChaCha8([32]byte(seed))}
}

func (r *replayRand) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return io.ReadFull(r.r, p)
}

func (r *replayRand) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.r = rand.Reader
}
