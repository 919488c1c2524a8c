package labs

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labweb"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// applyIDPChange changes the trainee's IdP and stores the change, so a
// restarted lab has it too.
func (t *Trainee) applyIDPChange(c scenarios.IDPChange) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.store == nil {
		return "", errors.New("the lab is closed")
	}
	return t.lab.ApplyAndRecordIDPChange(t.store, idpMeta, c)
}

// authorize accepts the trainee's admin token (scenarios.AdminKey.Token)
// and the class's control token.
func (t *Trainee) authorize(r *http.Request) error {
	return scenarios.BearerAuth(t.cfg.Admin.Token(), t.cfg.ControlToken)(r)
}

func (t *Trainee) eventsFile() string {
	if t.cfg.EventsFile != "" {
		return t.cfg.EventsFile
	}
	return filepath.Join(t.cfg.Dir, EventsFile)
}

// readEvents reads the lab's recorded calls, for the event log page.
func (t *Trainee) readEvents() (_ []awsapi.Event, err error) {
	f, err := os.Open(t.eventsFile())
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	return awsapi.ReadEvents(f)
}

// task is the lab's task for the index page: never the hint or the fix.
func (t *Trainee) task() *labweb.Task {
	sc := t.cfg.Scenario
	check := "samlab lab check --endpoint " + t.cfg.BaseURL
	return &labweb.Task{ID: sc.Name, Title: sc.Title, Text: strings.TrimRight(Task(sc, t.cfg.BaseURL, t.cfg.AccountID, t.cfg.Dir), "\n"), Difficulty: sc.Difficulty,
		Check: check}
}
