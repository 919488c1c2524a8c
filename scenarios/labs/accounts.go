package labs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/iam"
)

// SeatAccount is a further account of a lab (its scenario's
// setup.accounts) with the admin key a trainee uses there, derived from the
// seat's own admin key (scenarios.AccountAdminKey).
type SeatAccount struct {
	Name, ID                     string
	AccessKeyID, SecretAccessKey string
}

// SeatAccounts returns the further accounts of sc for seat, by name.
func SeatAccounts(sc *scenarios.Scenario, seat Seat) ([]SeatAccount, error) {
	own := scenarios.AdminKey{AccessKeyID: seat.AccessKeyID, SecretAccessKey: seat.SecretAccessKey}
	var out []SeatAccount
	for name, a := range sc.Setup.Accounts {
		k, err := scenarios.AccountAdminKey(own, a.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, SeatAccount{Name: name, ID: a.ID, AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// SeatSolution is Solution for a trainee's seat: besides Solution's
// variables, ${admin_key_id:NAME} and ${admin_secret_key:NAME} become the
// admin key of the further account NAME.
func SeatSolution(sc *scenarios.Scenario, seat Seat) (string, error) {
	text := Solution(sc, seat.Endpoint, seat.Account)
	accounts, err := SeatAccounts(sc, seat)
	if err != nil {
		return "", err
	}
	var pairs []string
	for _, a := range accounts {
		pairs = append(pairs, "${admin_key_id:"+a.Name+"}", a.AccessKeyID, "${admin_secret_key:"+a.Name+"}", a.SecretAccessKey)
	}
	return strings.NewReplacer(pairs...).Replace(text), nil
}

// writeSeatAccounts adds to the roster, for a lab with further accounts,
// each trainee's admin keys there.
func writeSeatAccounts(w io.Writer, m *Manifest) error {
	sc, err := Find(m.Lab)
	if err != nil || len(sc.Setup.Accounts) == 0 {
		return nil //nolint:nilerr // a lab the library no longer has: the roster has what the manifest has
	}
	fmt.Fprintln(w, "\nMore accounts on each trainee's endpoint (an access key belongs to one account):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "trainee\taccount\tname\taccess key id\tsecret access key")
	for _, s := range m.Trainees {
		accounts, err := SeatAccounts(sc, s)
		if err != nil {
			return err
		}
		for _, a := range accounts {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", s.Trainee, a.ID, a.Name, a.AccessKeyID, a.SecretAccessKey)
		}
	}
	return tw.Flush()
}

// attachAccounts keeps the further accounts' IAM state in accounts/ID of
// the trainee's state directory, as samlab up --accounts --state does: the
// trainee's changes there (a fix made with that account's admin key)
// survive restarts and win over the replayed setup. t.mu is held.
func (t *Trainee) attachAccounts(lab *scenarios.Lab) error {
	for _, a := range lab.ServedAccounts() {
		dir := filepath.Join(t.storeDir(), "accounts", a.Lab.Account.ID())
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return errors.Join(err, t.closeAccounts())
		}
		st, err := iam.OpenBoltStore(dir)
		if err != nil {
			return errors.Join(fmt.Errorf("trainee %d: account %s: %w", t.cfg.Trainee, a.Lab.Account.ID(), err), t.closeAccounts())
		}
		t.accounts = append(t.accounts, st)
		if err := a.Lab.Account.AttachStore(st); err != nil {
			return errors.Join(fmt.Errorf("trainee %d: account %s: %w", t.cfg.Trainee, a.Lab.Account.ID(), err), t.closeAccounts())
		}
	}
	return nil
}

// closeAccounts closes the further accounts' state stores. t.mu is held.
func (t *Trainee) closeAccounts() error {
	var errs []error
	for _, st := range t.accounts {
		errs = append(errs, st.Close())
	}
	t.accounts = nil
	return errors.Join(errs...)
}
