package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labs"
)

// defaultLabState is where `samlab lab` keeps a class when --state is not
// given.
const defaultLabState = "samlab-lab"

// labTarget says which running lab a command talks to: --endpoint, or a
// trainee of the class in --state.
type labTarget struct {
	state    string
	endpoint string
	trainee  int
}

func (o *labTarget) flags(cmd *cobra.Command, endpoint bool) {
	f := cmd.Flags()
	f.StringVar(&o.state, "state", defaultLabState, "the class's state directory (as given to samlab lab start)")
	f.IntVarP(&o.trainee, "trainee", "t", 1, "the trainee's number in the class")
	if endpoint {
		f.StringVar(&o.endpoint, "endpoint", "", "a running lab's URL (instead of --state), as the trainee knows it; "+
			"authenticated with the lab's admin key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
}

// resolve returns the lab's URL, and the class's manifest when --state is
// used.
func (o labTarget) resolve() (string, *labs.Manifest, error) {
	if o.endpoint != "" {
		return strings.TrimSuffix(o.endpoint, "/"), nil, nil
	}
	m, err := labs.ReadManifest(o.state)
	if err != nil {
		return "", nil, err
	}
	seat, err := m.Seat(o.trainee)
	if err != nil {
		return "", nil, err
	}
	return seat.Endpoint, m, nil
}

// token is what authorises status and check: the class's control token
// with --state, else the admin key's token from the environment (a trainee
// with only --endpoint).
func (o labTarget) token(m *labs.Manifest) (string, error) {
	if m != nil {
		return m.ControlToken, nil
	}
	return envAdminToken()
}

var labClient = &http.Client{Timeout: 60 * time.Second}

// labCall sends a control request to a running lab and decodes its JSON.
func labCall(cmd *cobra.Command, method, url, token string, out any) error {
	req, err := http.NewRequestWithContext(cmd.Context(), method, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := labClient.Do(req)
	if err != nil {
		return fmt.Errorf("the lab does not answer (is samlab lab start running?): %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s", method, url, e.Error)
		}
		return fmt.Errorf("%s %s: HTTP %d (is this a samlab lab?)", method, url, resp.StatusCode)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: %w (is this a samlab lab?)", method, url, err)
	}
	return nil
}

func newLabCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Hands-on labs: serve a broken federation, check a trainee's fix",
		Long: `A lab is a library scenario served in its broken state: the scenario's
steps are played up to the failure against a lab that runs like samlab up.
The trainee fixes it with the aws CLI against the lab's endpoint, and
"samlab lab check" plays the scenario's success condition against the live
lab. One process serves a class: --trainees N gives each trainee a lab of
their own (own port, account, admin key, users and state).`,
	}
	cmd.AddCommand(newLabListCommand(), newLabStartCommand(), newLabStatusCommand(), newLabCheckCommand(),
		newLabHintCommand(), newLabSolutionCommand(), newLabResetCommand())
	return cmd
}

func newLabListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the labs, by difficulty",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := labs.Library()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LAB\tDIFFICULTY\tTITLE")
			for _, sc := range all {
				fmt.Fprintf(tw, "%s\t%d\t%s\n", sc.Name, sc.Difficulty, sc.Title)
			}
			return tw.Flush()
		},
	}
}

func newLabStartCommand() *cobra.Command {
	var (
		state, listen string
		trainees      int
		fixtureKeys   bool
		verbose       bool
		events        string
		https         bool
		why           bool
	)
	cmd := &cobra.Command{
		Use:   "start ID",
		Short: "Serve a lab in its broken state, for one trainee or a class",
		Long: `Serve the lab in its broken state until interrupted, and print the task
(never the fix). Trainee K of a class listens on --listen's port + K-1.
The class lives in --state: the manifest (lab.json), the roster (roster.txt:
each trainee's endpoint, account, admin key and users) and each trainee's
lab. Starting again with the same --state resumes every lab as it was left,
broken or fixed, on the same addresses.`,
		Example: `  samlab lab start cert-rotation
  samlab lab start trust-names-other-provider --trainees 12 --state ./class --listen 127.0.0.1:9000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			sc, err := labs.Find(args[0])
			if err != nil {
				return badInput(err)
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			var keys certs.KeySource = certs.GeneratedKeys{}
			if fixtureKeys {
				keys = certstest.New()
			}
			ccfg := labs.ClassConfig{Scenario: sc, Dir: state, Trainees: trainees, Listen: listen, Keys: keys, Logger: logger,
				EventsFile: events, Why: why}
			var proxies []*httpsMode
			if https {
				// Each trainee's endpoint is also that trainee's HTTPS proxy,
				// as samlab up's is, with one local CA for the class (in
				// --state). OpenClass wraps the trainees in order.
				first, err := newHTTPSMode(state, logger)
				if err != nil {
					return err
				}
				ccfg.Wrap = func(k int, h http.Handler) http.Handler {
					hm := first
					if k > 1 {
						hm = first.sibling()
					}
					proxies = append(proxies, hm)
					return hm.wrap(h)
				}
			}
			closeProxies := func() error {
				closeCtx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 5*time.Second)
				defer cancel()
				var errs []error
				for _, hm := range proxies {
					errs = append(errs, hm.close(closeCtx))
				}
				return errors.Join(errs...)
			}
			class, err := labs.OpenClass(cmd.Context(), ccfg)
			if err != nil {
				return errors.Join(err, closeProxies())
			}
			defer func() { err = errors.Join(err, class.Close(), closeProxies()) }()
			printLabBanner(cmd.OutOrStdout(), sc, class.Manifest, state)
			if https {
				endpoint := class.Manifest.Trainees[0].Endpoint
				if len(class.Manifest.Trainees) > 1 {
					endpoint = "http://YOUR-LAB-ENDPOINT"
				}
				proxies[0].printEnv(cmd.OutOrStdout(), endpoint, true)
			}
			if events != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "\nThe lab's AWS calls are appended to %s (samlab events %s).\n", events, events)
			}
			return class.Serve(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&state, "state", defaultLabState, "the class's state directory (created when missing; an existing one is resumed)")
	f.StringVar(&listen, "listen", DefaultListen, "trainee 1's address; trainee K listens on its port + K-1 (port 0: any free port)")
	f.IntVar(&trainees, "trainees", 0, "how many trainees, each with a lab of their own (default 1, or the class in --state)")
	f.BoolVar(&fixtureKeys, "fixture-keys", false, "use samlab's built-in test keys for the IdPs (faster start; the keys are public)")
	f.BoolVarP(&verbose, "verbose", "v", false, "log every failed AWS call with its internal cause")
	f.StringVar(&events, "events", "", "append a CloudTrail-like JSON line per AWS call to this file, as samlab up does "+
		"(a class of one; default: events.jsonl in the trainee's directory)")
	f.BoolVar(&why, "why", true, "add a closed \"why\" panel to console sign-in error pages: the cause behind AWS's words and the fix, "+
		"which a trainee opens when they want the answer; --why=false shows AWS's page alone")
	f.BoolVar(&https, "https", false, "also answer HTTPS for sts.amazonaws.com, iam.amazonaws.com and signin.aws.amazon.com "+
		"as samlab up --https does: each trainee's endpoint is a loopback-only HTTPS_PROXY, with a local CA kept in --state")
	return cmd
}

func printLabBanner(w io.Writer, sc *scenarios.Scenario, m *labs.Manifest, state string) {
	fmt.Fprintf(w, "Lab %s (difficulty %d) is running in its broken state", sc.Name, sc.Difficulty)
	if len(m.Trainees) > 1 {
		fmt.Fprintf(w, ", for %d trainees", len(m.Trainees))
	}
	task := labs.Task(sc, "LAB_URL", "ACCOUNT", filepath.Join(state, "trainee-K"))
	if len(m.Trainees) == 1 {
		task = labs.Task(sc, m.Trainees[0].Endpoint, m.Trainees[0].Account, labs.TraineeDir(state, 1))
	}
	fmt.Fprintf(w, ".\n\nTask:\n%s\n\n", indent(task, "  "))
	if len(m.Trainees) > 1 && strings.Contains(sc.Lab.Task, "${lab_dir}") {
		fmt.Fprintf(w, "Each trainee's files are in their own lab directory on this machine: %s (K: the trainee's number).\n\n",
			filepath.Join(state, "trainee-K"))
	}
	if len(m.Trainees) == 1 {
		s := m.Trainees[0]
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "AWS (IAM + STS)\t%s/\n", s.Endpoint)
		fmt.Fprintf(tw, "IdP\t%s%s/\n", s.Endpoint, scenarios.IDPPrefix)
		fmt.Fprintf(tw, "IdP metadata\t%s%s/metadata\n", s.Endpoint, scenarios.IDPPrefix)
		if s.OIDCIssuer != "" {
			fmt.Fprintf(tw, "OIDC issuer\t%s\n", s.OIDCIssuer)
		}
		fmt.Fprintf(tw, "account\t%s\n", s.Account)
		fmt.Fprintf(tw, "IdP users\t%s (password %q)\n", strings.Join(s.Users, ", "), labs.DemoPassword)
		_ = tw.Flush()
		printSeatAccounts(w, sc, s)
		if s.OIDCIssuer != "" {
			printWebIdentityTry(w, s)
		} else {
			fmt.Fprintf(w, `
Use the aws CLI against the lab:
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url %s iam list-saml-providers

Log in as a user does (the IdP's response, then AssumeRoleWithSAML):
  SAMLAB_PASSWORD=%s samlab login --idp-url %s%s --endpoint-url %s --username %s

Administer the IdP (with the admin key above; see samlab idp --help):
  samlab idp status --endpoint %s
`, s.AccessKeyID, s.SecretAccessKey, s.Endpoint, labs.DemoPassword, s.Endpoint, scenarios.IDPPrefix, s.Endpoint, scenarios.DefaultUser,
				s.Endpoint)
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "trainee\tendpoint\taccount\taccess key id")
		for _, s := range m.Trainees {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Trainee, s.Endpoint, s.Account, s.AccessKeyID)
		}
		_ = tw.Flush()
		fmt.Fprintf(w, "\nThe roster with every trainee's keys and users: %s\n", filepath.Join(state, labs.RosterFile))
	}
	fmt.Fprintf(w, `
Check the fix:  samlab lab check --state %s%s
A hint:         samlab lab hint --state %s
Progress:       samlab lab status --state %s%s

Press Ctrl-C to stop; "samlab lab start %s --state %s" resumes the lab as it was left.
`, state, traineeFlag(m), state, state, traineeFlag(m), sc.Name, state)
}

func traineeFlag(m *labs.Manifest) string {
	if len(m.Trainees) > 1 {
		return " --trainee K"
	}
	return ""
}

func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

func newLabStatusCommand() *cobra.Command {
	var (
		t      labTarget
		output string
		all    bool
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a running lab: trainee, endpoint, time running, checks so far",
		Long: `Show a trainee's lab: the lab, trainee, endpoint, account, IdP users, how
long it has been broken and served, and the checks so far. --all shows the
whole class in --state, one line per trainee.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all {
				return classStatus(cmd, t.state, output)
			}
			url, m, err := t.resolve()
			if err != nil {
				return badInput(err)
			}
			token, err := t.token(m)
			if err != nil {
				return badInput(err)
			}
			var st labs.Status
			if err := labCall(cmd, http.MethodGet, url+labs.ControlPrefix, token, &st); err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "lab\t%s (difficulty %d)\n", st.Lab, st.Difficulty)
			fmt.Fprintf(tw, "trainee\t%d\n", st.Trainee)
			fmt.Fprintf(tw, "endpoint\t%s\n", st.Endpoint)
			fmt.Fprintf(tw, "account\t%s\n", st.Account)
			fmt.Fprintf(tw, "IdP users\t%s\n", strings.Join(st.Users, ", "))
			fmt.Fprintf(tw, "broken since\t%s (%s ago)\n", st.Started.Format(time.RFC3339), time.Since(st.Started).Round(time.Second))
			fmt.Fprintf(tw, "serving for\t%s\n", st.ServingFor)
			state := "never checked"
			if st.Attempts > 0 {
				state = "not fixed"
				if st.Fixed {
					state = "fixed"
				}
				state += " at the last check, " + st.LastCheck.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "checks\t%d (%s)\n", st.Attempts, state)
			return tw.Flush()
		},
	}
	t.flags(cmd, true)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.Flags().BoolVar(&all, "all", false, "every trainee of the class in --state")
	return cmd
}

// classStatus prints every trainee's progress, one line each.
func classStatus(cmd *cobra.Command, state, output string) error {
	m, err := labs.ReadManifest(state)
	if err != nil {
		return badInput(err)
	}
	sts := make([]labs.Status, 0, len(m.Trainees))
	for _, seat := range m.Trainees {
		var st labs.Status
		if err := labCall(cmd, http.MethodGet, seat.Endpoint+labs.ControlPrefix, m.ControlToken, &st); err != nil {
			return fmt.Errorf("trainee %d: %w", seat.Trainee, err)
		}
		sts = append(sts, st)
	}
	if output == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(sts)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "lab %s, %d trainees\n", m.Lab, len(sts))
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRAINEE\tENDPOINT\tCHECKS\tSTATE\tLAST CHECK")
	for _, st := range sts {
		state, last := "never checked", "-"
		if st.Attempts > 0 {
			state, last = "not fixed", st.LastCheck.Format(time.RFC3339)
			if st.Fixed {
				state = "fixed"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", st.Trainee, st.Endpoint, st.Attempts, state, last)
	}
	return tw.Flush()
}

func newLabCheckCommand() *cobra.Command {
	var (
		t      labTarget
		output string
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Play the lab's success condition against the live lab: fixed or not",
		Long: `Ask the running lab to play its scenario's success condition (a login or a
console sign-in) against its live state, as the trainee left it. Exit
status 0: fixed; 1: not fixed (with the hint); 2: the check could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			url, m, err := t.resolve()
			if err != nil {
				return badInput(err)
			}
			token, err := t.token(m)
			if err != nil {
				return badInput(err)
			}
			var res labs.CheckResult
			if err := labCall(cmd, http.MethodPost, url+labs.ControlPrefix+"/check", token, &res); err != nil {
				return badInput(err)
			}
			w := cmd.OutOrStdout()
			if output == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				verdict := "not fixed"
				if res.Fixed {
					verdict = "fixed"
				}
				fmt.Fprintf(w, "%s (check %d)\n", verdict, res.Attempts)
				for _, s := range res.Steps {
					mark := "ok  "
					if !s.Pass {
						mark = "FAIL"
					}
					fmt.Fprintf(w, "  %s %s\n", mark, s.Step)
					if s.Pass {
						fmt.Fprintf(w, "       got:  %s\n", s.Actual)
					} else {
						fmt.Fprintf(w, "       want: %s\n       got:  %s\n", s.Expected, s.Actual)
					}
				}
				if !res.Fixed {
					fmt.Fprintf(w, "\nhint: %s\n", res.Hint)
				}
			}
			if !res.Fixed {
				return &exitError{code: 1, silent: true, err: errors.New("not fixed")}
			}
			return nil
		},
	}
	t.flags(cmd, true)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

// labScenario is the lab named by the argument, or the lab in --state.
func labScenario(args []string, state string) (*scenarios.Scenario, *labs.Manifest, error) {
	m, merr := labs.ReadManifest(state)
	if len(args) == 1 {
		sc, err := labs.Find(args[0])
		if merr != nil || m.Lab != sc.Name {
			m = nil
		}
		return sc, m, err
	}
	if merr != nil {
		return nil, nil, fmt.Errorf("name a lab (samlab lab list) or a class's --state: %w", merr)
	}
	sc, err := labs.Find(m.Lab)
	return sc, m, err
}

func newLabHintCommand() *cobra.Command {
	var state string
	cmd := &cobra.Command{
		Use:   "hint [ID]",
		Short: "Print the lab's hint (where to look, not the fix)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, _, err := labScenario(args, state)
			if err != nil {
				return badInput(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), sc.Hint)
			return nil
		},
	}
	cmd.Flags().StringVar(&state, "state", defaultLabState, "the class's state directory, when no ID is given")
	return cmd
}

func newLabSolutionCommand() *cobra.Command {
	var t labTarget
	cmd := &cobra.Command{
		Use:   "solution [ID]",
		Short: "Print the commands that fix the lab",
		Long: `Print the exact commands that fix the lab, with the endpoint and account of
the trainee's lab when the class's --state is at hand (else the defaults of
samlab lab start).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, m, err := labScenario(args, t.state)
			if err != nil {
				return badInput(err)
			}
			endpoint, account := "http://"+DefaultListen, scenarios.DefaultAccountID
			if m != nil {
				seat, err := m.Seat(t.trainee)
				if err != nil {
					return badInput(err)
				}
				sol, err := labs.SeatSolution(sc, seat)
				if err != nil {
					return err
				}
				fmt.Fprint(cmd.OutOrStdout(), labs.ExpandLabDir(sol, labs.TraineeDir(t.state, t.trainee)))
				return nil
			}
			fmt.Fprint(cmd.OutOrStdout(), labs.SolutionIn(sc, endpoint, account, labs.TraineeDir(t.state, t.trainee)))
			return nil
		},
	}
	t.flags(cmd, false)
	return cmd
}

func newLabResetCommand() *cobra.Command {
	var (
		t   labTarget
		all bool
	)
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Put a trainee's lab (or every lab of the class) back in its broken state",
		Long: `Put the trainee's lab back in its broken state: its IAM state and checks are
dropped and the broken state is replayed anew (the IdP gets new keys). The
trainee's admin key stays; credentials issued before are refused. Needs the
class's --state (reset is authorised by its control token).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := labs.ReadManifest(t.state)
			if err != nil {
				return badInput(err)
			}
			ks := []int{t.trainee}
			if all {
				ks = ks[:0]
				for _, s := range m.Trainees {
					ks = append(ks, s.Trainee)
				}
			}
			for _, k := range ks {
				seat, err := m.Seat(k)
				if err != nil {
					return badInput(err)
				}
				var st labs.Status
				if err := labCall(cmd, http.MethodPost, seat.Endpoint+labs.ControlPrefix+"/reset", m.ControlToken, &st); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "trainee %d: %s is broken again at %s\n", k, st.Lab, st.Endpoint)
			}
			return nil
		},
	}
	t.flags(cmd, false)
	cmd.Flags().BoolVar(&all, "all", false, "reset every trainee's lab")
	return cmd
}
