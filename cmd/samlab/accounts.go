package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labs"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// maxAccounts bounds --accounts: each account is a lab with its own IdP
// keys and state.
const maxAccounts = 20

// exampleAccountIDs are the further accounts --accounts N adds after the
// default one: the account IDs AWS's documentation uses in its examples.
var exampleAccountIDs = []string{"111122223333", "444455556666", "777788889999", "210987654321"}

var accountIDRE = regexp.MustCompile(`^\d{12}$`)

// parseAccounts reads --accounts: empty for the one default account, a
// count ("2": the default account and the first example accounts), or
// account IDs separated by commas, the first being the lab's own (with the
// IdP's SAML provider and roles).
func parseAccounts(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return []string{scenarios.DefaultAccountID}, nil
	}
	if n, err := strconv.Atoi(v); err == nil && len(v) < 12 {
		if n < 1 || n > maxAccounts {
			return nil, fmt.Errorf("--accounts %s: give between 1 and %d accounts", v, maxAccounts)
		}
		ids := []string{scenarios.DefaultAccountID}
		for i := 1; i < n; i++ {
			if i-1 < len(exampleAccountIDs) {
				ids = append(ids, exampleAccountIDs[i-1])
			} else {
				ids = append(ids, fmt.Sprintf("1000000000%02d", i))
			}
		}
		return ids, nil
	}
	var ids []string
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if !accountIDRE.MatchString(id) {
			return nil, fmt.Errorf("--accounts: %q is not a 12-digit account ID (give a count such as 2, or IDs such as 111111111111,999999999999)", id)
		}
		if slices.Contains(ids, id) {
			return nil, fmt.Errorf("--accounts: account %s is given twice", id)
		}
		ids = append(ids, id)
	}
	if len(ids) > maxAccounts {
		return nil, fmt.Errorf("--accounts: at most %d accounts", maxAccounts)
	}
	return ids, nil
}

// openAccounts builds the accounts served beside the lab's own: one lab per
// ID with its own IAM state, STS session keys and admin key, and no demo
// SAML roles (the IdP and its provider are the first account's). With --state
// each keeps them in the subdirectory accounts/ID of the state directory.
// The returned function closes their stores.
func openAccounts(o serveOptions, cfg scenarios.LabConfig, ids []string) (_ []scenarios.Account, closeAll func() error, err error) {
	var closers []func() error
	closeAll = func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, closeAll())
		}
	}()
	var out []scenarios.Account
	for _, id := range ids {
		c := cfg
		c.AccountID = id
		c.SessionKeys = nil
		var admin scenarios.AdminKey
		if o.state == "" {
			lab, err := scenarios.NewAccountLab(c)
			if err != nil {
				return nil, closeAll, fmt.Errorf("account %s: %w", id, err)
			}
			if admin, err = scenarios.NewAdminKeyFor(nil, id); err != nil {
				return nil, closeAll, err
			}
			out = append(out, scenarios.Account{Lab: lab, Admin: admin})
			continue
		}
		store, err := openState(filepath.Join(o.state, "accounts", id))
		if err != nil {
			return nil, closeAll, fmt.Errorf("account %s: %w", id, err)
		}
		closers = append(closers, store.Close)
		if c.SessionKeys, err = sessiontoken.Open(store, id, nil, time.Now()); err != nil {
			return nil, closeAll, fmt.Errorf("account %s: %w", id, err)
		}
		lab, err := scenarios.NewAccountLab(c)
		if err != nil {
			return nil, closeAll, fmt.Errorf("account %s: %w", id, err)
		}
		if err := lab.Account.AttachStore(store); err != nil {
			return nil, closeAll, fmt.Errorf("account %s: %w", id, err)
		}
		// A state written before further accounts dropped the demo roles
		// still holds them, trusting a provider only the first account has.
		if err := lab.RemoveDemoRoles(); err != nil {
			return nil, closeAll, err
		}
		if admin, err = persistentAdminKey(store, id); err != nil {
			return nil, closeAll, fmt.Errorf("account %s: %w", id, err)
		}
		out = append(out, scenarios.Account{Lab: lab, Admin: admin})
	}
	return out, closeAll, nil
}

// printAccounts lists the accounts served beside the lab's own, with their
// admin keys.
func printAccounts(w io.Writer, accounts []scenarios.Account) {
	if len(accounts) == 0 {
		return
	}
	fmt.Fprintln(w, "\nMore accounts on the same endpoint (an access key belongs to one account):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, a := range accounts {
		fmt.Fprintf(tw, "account\t%s\n", a.Lab.Account.ID())
		fmt.Fprintf(tw, "  admin access key id\t%s\n", a.Admin.AccessKeyID)
		fmt.Fprintf(tw, "  admin secret access key\t%s\n", a.Admin.SecretAccessKey)
	}
	_ = tw.Flush()
}

// accountState is the state directory holding account id's IAM state and
// session keys: accounts/ID under dir for the accounts after the first of
// samlab up --accounts, dir itself for the first.
func accountState(dir, id string) (string, string, error) {
	if !accountIDRE.MatchString(id) {
		return "", "", fmt.Errorf("--account: %q is not a 12-digit account ID", id)
	}
	sub := filepath.Join(dir, "accounts", id)
	if fi, err := os.Stat(sub); err == nil && fi.IsDir() {
		return sub, id, nil
	}
	return dir, id, nil
}

// printSeatAccounts lists a lab's further accounts (its scenario's
// setup.accounts) with the admin keys the trainee uses there.
func printSeatAccounts(w io.Writer, sc *scenarios.Scenario, seat labs.Seat) {
	accounts, err := labs.SeatAccounts(sc, seat)
	if err != nil || len(accounts) == 0 {
		return
	}
	fmt.Fprintln(w, "\nMore accounts on the same endpoint (an access key belongs to one account):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, a := range accounts {
		fmt.Fprintf(tw, "account\t%s (%s)\n", a.ID, a.Name)
		fmt.Fprintf(tw, "  admin access key id\t%s\n", a.AccessKeyID)
		fmt.Fprintf(tw, "  admin secret access key\t%s\n", a.SecretAccessKey)
	}
	_ = tw.Flush()
}
