// Package worker builds a Temporal worker that runs EaaPL programs: the Program workflow, the planning
// activity and one activity per catalog command, with their dependencies made from the configuration.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/api"
	_ "github.com/eaapl/eaapl/activities/builtin" // the commands the worker runs
	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/contacts/contactsdav"
	"github.com/eaapl/eaapl/activities/contacts/contactsfile"
	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/attachfiles"
	"github.com/eaapl/eaapl/activities/email/mailpit"
	"github.com/eaapl/eaapl/activities/email/smtp"
	"github.com/eaapl/eaapl/activities/files"
	"github.com/eaapl/eaapl/activities/files/local"
	"github.com/eaapl/eaapl/activities/text"
	"github.com/eaapl/eaapl/activities/text/embedded"
	"github.com/eaapl/eaapl/activities/text/modelled"
	"github.com/eaapl/eaapl/activities/web"
	"github.com/eaapl/eaapl/activities/web/httpfetch"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/carddav"
	"github.com/eaapl/eaapl/internal/content"
	"github.com/eaapl/eaapl/internal/crypt"
	"github.com/eaapl/eaapl/internal/fetch"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/internal/imapbox"
	"github.com/eaapl/eaapl/internal/model"
	"github.com/eaapl/eaapl/internal/payloadguard"
	"github.com/eaapl/eaapl/internal/workspace"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/workflows"
)

// Dependencies are what the activities use: made once per worker process.
type Dependencies struct {
	Commands *activities.Commands
	Planning *activities.Planning
	Mirror   *activities.Mirror
	Batches  *activities.Batches
	Lists    *contentvalue.Lists // reads stored lists (a large contacts list) for the workflows, a page at a time
}

// NewDependencies makes the activities' dependencies from the configuration: the contacts file or
// CardDAV address book, the
// mailbox that holds email history (IMAP when EAAPL_IMAP_URL is set, else Mailpit), the SMTP sender (which
// puts a copy of each email in the IMAP Sent folder), the workspace (EAAPL_WORKSPACE, the working
// directory when empty), the guarded HTTP client (EAAPL_HTTP_ALLOW), the embedded text analysis, the
// content store of large values (EAAPL_DATA_DIR/content) and the planner.
// events, when not nil, is the process's one publisher to Kafka.
func NewDependencies(cfg config.Config, events *bridge.Buffer) (Dependencies, error) {
	loc, err := cfg.Location()
	if err != nil {
		return Dependencies{}, fmt.Errorf("EAAPL_TIMEZONE: %w", err)
	}
	// The user's own mailbox over IMAP when one is set, else the dev stack's Mailpit.
	pit := mailpit.New(cfg.MailboxURL, &http.Client{Timeout: 30 * time.Second})
	var mailbox email.Mailbox = pit
	var inbox email.Inbox = pit
	var copies smtp.SentCopies
	if cfg.IMAPURL != "" {
		box, err := newIMAPMailbox(cfg)
		if err != nil {
			return Dependencies{}, err
		}
		mailbox = imapMailbox{box}
		inbox = imapMailbox{box}
		// Mailpit holds every message sent through it; an IMAP Sent folder only what someone puts there.
		copies = sentCopies{box: box, patience: sentCopyPatience}
	}
	sender, err := smtp.New(smtp.Config{
		Addr:     cfg.SMTPAddr,
		Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword,
		TLS:      cfg.SMTPTLS,
		CAFile:   cfg.SMTPCAFile,
		Copies:   copies,
	})
	if err != nil {
		return Dependencies{}, fmt.Errorf("smtp: %w", err)
	}
	contactsSource, err := newContactsSource(cfg)
	if err != nil {
		return Dependencies{}, err
	}
	ws, err := workspace.Open(cmp.Or(cfg.Workspace, "."))
	if err != nil {
		return Dependencies{}, fmt.Errorf("EAAPL_WORKSPACE: %w", err)
	}
	allow, err := fetch.ParseAllow(cfg.HTTPAllow)
	if err != nil {
		return Dependencies{}, fmt.Errorf("EAAPL_HTTP_ALLOW: %w", err)
	}
	dir, err := content.OpenDir(filepath.Join(cfg.DataDir, "content"), content.DirOptions{})
	if err != nil {
		return Dependencies{}, fmt.Errorf("content store: %w", err)
	}
	store := contentstore.FromStore(dir)
	deps := Dependencies{
		// Each command family's dependencies, wired to their adapters.
		Commands: &activities.Commands{
			Deps: catalog.Deps{
				contacts.Deps{Source: contactsSource, Store: store},
				email.Deps{
					Mailbox:     mailbox,
					Sender:      sender,
					Inbox:       inbox,
					From:        mail.Address{Name: cfg.UserName, Address: cfg.UserEmail},
					Attachments: attachfiles.Files{WS: ws},
					Store:       store,
				},
				files.Deps{Workspace: local.Workspace{WS: ws}, Store: store},
				web.Deps{Fetcher: httpfetch.Fetcher{Client: fetch.New(fetch.Config{Allow: allow})}, Store: store},
				text.Deps{Analyzer: textAnalyzer(cfg), Store: store},
			},
			WorkerID: Identity(cfg),
		},
		Planning: &activities.Planning{Planner: NewPlanner(cfg, loc), WorkerID: Identity(cfg), Tuning: tuningOf(cfg),
			// The programs obey the worker's approval threshold and approvers, not their input's.
			Policy: api.Policy{ApprovalThreshold: cfg.ApprovalThreshold, Approvers: cfg.Approvers, AnswersWithoutIdentity: cfg.AnswersWithoutIdentity}},
		Mirror: &activities.Mirror{WorkerID: Identity(cfg)},
		Lists:  &contentvalue.Lists{Store: store},
	}
	deps.Batches = &activities.Batches{Commands: deps.Commands, Events: events}
	if events != nil { // a nil *Buffer in an interface would not be nil
		deps.Planning.Events, deps.Mirror.Publisher = traced(events), traced(events) // tracing.go
	}
	return deps, nil
}

// newContactsSource is the address book of EAAPL_CONTACTS: a CardDAV address book when it is an
// http(s) URL (with EAAPL_CONTACTS_USER and the password from EAAPL_CONTACTS_PASSWORD or its file, and
// the CAs of EAAPL_IMAP_CA_FILE), else a vCard or CSV file. Neither is read until a program asks.
func newContactsSource(cfg config.Config) (contacts.Source, error) {
	if !cfg.ContactsIsAddressBook() {
		return contactsfile.FileContacts{Path: cfg.Contacts}, nil
	}
	book, err := contactsdav.New(carddav.Config{
		URL: cfg.Contacts, User: cfg.ContactsUser, Password: cfg.ContactsPassword, CAFile: cfg.IMAPCAFile,
	}, cfg.ContactsPasswordFile)
	if err != nil {
		return nil, fmt.Errorf("EAAPL_CONTACTS: %w", err)
	}
	return book, nil
}

// newIMAPMailbox is the EAAPL_IMAP_* mailbox. It connects on first use, so a server that is down at
// start does not stop the worker.
func newIMAPMailbox(cfg config.Config) (*imapbox.Mailbox, error) {
	imapCfg, err := imapbox.Settings{
		URL: cfg.IMAPURL, Password: cfg.IMAPPassword, PasswordFile: cfg.IMAPPasswordFile,
		Auth: cfg.IMAPAuth, TokenFile: cfg.IMAPTokenFile, TokenCommand: cfg.IMAPTokenCommand,
		SentFolder: cfg.IMAPSentFolder, SaveSent: cfg.IMAPSaveSent, CAFile: cfg.IMAPCAFile,
	}.Config()
	if err != nil {
		return nil, err
	}
	box, err := imapbox.New(imapCfg)
	if err != nil {
		return nil, fmt.Errorf("EAAPL_IMAP_URL: %w", err)
	}
	return box, nil
}

// sentCopyPatience is how long confirming a Sent copy (or removing one for an email the server refused)
// is tried again while the IMAP server is down or slow. The email went, so its task cannot fail (a retry
// would send it again), and a copy left unconfirmed is an email that the history does not count and whose
// retry would have to ask: a few seconds' outage of the mailbox must not cost that. It stays well under
// SendEmail's one-minute timeout.
const sentCopyPatience = 30 * time.Second

// sentCopies keeps each sent email's copy in the IMAP Sent folder for the SMTP sender: saved, marked
// unconfirmed, before the submission (a failure stops the send, and its retry saves it), then confirmed
// or removed, trying again patiently (see patiently).
type sentCopies struct {
	box      *imapbox.Mailbox
	patience time.Duration
}

func (s sentCopies) Prepare(ctx context.Context, messageID string, raw []byte, sentAt time.Time) error {
	_, err := s.box.PrepareSent(ctx, messageID, raw, sentAt)
	return err
}

func (s sentCopies) Confirm(ctx context.Context, messageID string, raw []byte, sentAt time.Time) error {
	return patiently(ctx, s.patience, func() error {
		_, err := s.box.ConfirmSent(ctx, messageID, raw, sentAt)
		return err
	})
}

func (s sentCopies) Discard(ctx context.Context, messageID string) error {
	return patiently(ctx, s.patience, func() error { return s.box.DiscardSent(ctx, messageID) })
}

// patiently runs fn until it succeeds, trying again after a temporary error (0.5s, 1s, 2s ... at most 8s
// apart) for up to patience; a refusal (credentials, a missing folder) is not tried again. The Sent copy
// calls search Sent by Message-ID first, so a call whose answer was lost is not done twice.
func patiently(ctx context.Context, patience time.Duration, fn func() error) error {
	deadline := time.Now().Add(patience)
	wait := 500 * time.Millisecond
	for {
		err := fn()
		var refused *imapbox.RefusedError
		if err == nil || errors.As(err, &refused) || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 8*time.Second)
	}
}

// imapMailbox is the IMAP mailbox as the email family's Mailbox: a refusal retrying cannot fix (the
// credentials, a missing folder, an untrusted certificate) fails the task for good instead of retrying.
type imapMailbox struct{ box *imapbox.Mailbox }

func (m imapMailbox) Emailed(ctx context.Context, from string, to []string, since, until time.Time) (map[string]time.Time, error) {
	found, err := m.box.Emailed(ctx, from, to, since, until)
	return found, refusal(err)
}

func (m imapMailbox) HasMessageID(ctx context.Context, messageID string) (bool, error) {
	has, err := m.box.HasMessageID(ctx, messageID)
	return has, refusal(err)
}

func (m imapMailbox) Unconfirmed(ctx context.Context, messageID string) (string, error) {
	copy, err := m.box.Unconfirmed(ctx, messageID)
	return copy, refusal(err)
}

func (m imapMailbox) DiscardCopy(ctx context.Context, messageID string) error {
	return refusal(m.box.DiscardSent(ctx, messageID))
}

func (m imapMailbox) ConfirmCopy(ctx context.Context, messageID string) error {
	return refusal(m.box.ConfirmCopy(ctx, messageID))
}

// Answering reads replies in INBOX; user is the mailbox's own.
func (m imapMailbox) Answering(ctx context.Context, _, messageID string, since time.Time) ([]email.Received, error) {
	replies, err := m.box.Replies(ctx, messageID, since)
	return received(replies), refusal(err)
}

func (m imapMailbox) ReceivedFrom(ctx context.Context, _, from string, since time.Time) ([]email.Received, error) {
	replies, err := m.box.ReceivedFrom(ctx, from, since)
	return received(replies), refusal(err)
}

func received(replies []imapbox.Reply) []email.Received {
	out := make([]email.Received, len(replies))
	for i, r := range replies {
		out[i] = email.Received{MessageID: r.MessageID, From: r.From, Subject: r.Subject, At: r.Date, InReplyTo: r.InReplyTo}
	}
	return out
}

func refusal(err error) error {
	var refused *imapbox.RefusedError
	switch {
	case errors.As(err, &refused) && refused.Auth:
		return catalog.Fail(catalog.ErrUnauthorized, "%v", err)
	case errors.As(err, &refused):
		return catalog.Invalid("%v", err)
	}
	return err
}

// textAnalyzer is the text analysis's model when one is configured (config.Config.TextAnalysisModel),
// else the embedded methods, which send nothing anywhere.
func textAnalyzer(cfg config.Config) text.Analyzer {
	if s, maxBytes, ok := cfg.TextAnalysisModel(); ok {
		return modelled.Analyzer{Model: model.New(s), Name: s.Model, MaxInput: maxBytes}
	}
	return embedded.Analyzer{}
}

// NewPlanner returns the Planner Agent of the configuration: the rule-based planner, and the LLM planner
// when a model server is configured (OPENAI_API_KEY or OPENAI_BASE_URL), with its one client for the whole
// process and the plan cache (EAAPL_PLAN_CACHE), and the check of the places a plan names against the
// workspace and EAAPL_HTTP_ALLOW (PlaceCheck). The CLI's `eaapl plan` uses the same.
func NewPlanner(cfg config.Config, loc *time.Location) *planner.Agent {
	a := &planner.Agent{Rules: &planner.Rules{Location: loc, Me: cfg.UserEmail}, Default: cfg.Planner, Places: NewPlaceCheck(cfg).Check}
	if cfg.ModelConfigured() {
		a.LLM = &planner.LLM{
			Client: planner.NewClient(planner.LLMConfig{
				APIKey:     cfg.OpenAIAPIKey,
				BaseURL:    cfg.OpenAIBaseURL,
				Model:      cfg.PlannerModel,
				Timeout:    cfg.PlannerTimeout,
				APIVersion: cfg.OpenAIAPIVersion,
			}),
			Model:    cfg.PlannerModel,
			Location: loc,
		}
		// The cache's entries are signed with the payload keys; without keys it is off (planner.Cache).
		// A key file that does not load leaves it off too: dialling Temporal reports that error.
		if keys, err := crypt.Load(cfg.KeyFile, cfg.DataDir); cfg.PlanCache != "" && err == nil && keys != nil {
			a.LLM.Cache = &planner.Cache{Dir: cfg.PlanCache, Signer: keys.Signer("plan-cache")}
		}
	}
	return a
}

// Identity is this worker's name in Temporal and in task results.
func Identity(cfg config.Config) string {
	if cfg.WorkerID != "" {
		return cfg.WorkerID
	}
	host, err := os.Hostname()
	if err != nil {
		host = "worker"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// ActivitySlots is how many activities one worker runs at once.
const ActivitySlots = 1000

// handBackWait bounds how long Stop waits, after the shutdown timeout has cancelled the tasks still
// running, for them to report their failure to Temporal, which then retries them on another worker. A
// task that does not report in time is retried only after its start-to-close timeout.
const handBackWait = 10 * time.Second

// Worker is a Temporal worker whose Stop also waits for cancelled tasks to be handed back.
type Worker struct {
	sdkworker.Worker
	activities *taskCounter
}

// New returns a worker on the configured task queue with the Program workflow and all activities
// registered, every running activity heartbeating (Heartbeats) and measured (Usage), and the given
// interceptors. The caller runs it (Run or Start) and stops it.
func New(c client.Client, cfg config.Config, deps Dependencies, interceptors ...interceptor.WorkerInterceptor) (*Worker, error) {
	var slots [4]sdkworker.SlotSupplier // activities, workflows, local activities, Nexus
	for i, n := range []int{ActivitySlots, defaultSlots, defaultSlots, defaultSlots} {
		s, err := sdkworker.NewFixedSizeSlotSupplier(n)
		if err != nil {
			return nil, fmt.Errorf("worker slots: %w", err)
		}
		slots[i] = s
	}
	targets := ResourceTargets{CPU: cfg.CPUTarget, Memory: cfg.MemoryTarget, MemoryLimit: cfg.MemoryLimit}
	if act, err := activitySupplier(targets); err != nil {
		return nil, fmt.Errorf("worker slots: %w", err)
	} else {
		slots[0] = act // fixed, or sized by EAAPL_CPU_TARGET and EAAPL_MEMORY_TARGET (tuning.go)
	}
	activities := &taskCounter{SlotSupplier: slots[0], used: map[*sdkworker.SlotPermit]bool{}, targets: targets}
	tuner, err := sdkworker.NewCompositeTuner(sdkworker.CompositeTunerOptions{
		ActivitySlotSupplier:      activities,
		WorkflowSlotSupplier:      slots[1],
		LocalActivitySlotSupplier: slots[2],
		NexusSlotSupplier:         slots[3],
	})
	if err != nil {
		return nil, fmt.Errorf("worker tuner: %w", err)
	}
	var events *bridge.Buffer
	if deps.Batches != nil {
		events = deps.Batches.Events
	}
	w := sdkworker.New(c, cfg.TaskQueue, sdkworker.Options{
		Identity: Identity(cfg),
		Tuner:    tuner,
		// identity.Interceptor keeps who sent each signal; Refusals reports the updates refused for who sent them.
		// payloadguard fails a command too large for Temporal instead of letting it fail every workflow task.
		Interceptors: append([]interceptor.WorkerInterceptor{Heartbeats(), Usage(Identity(cfg)), identity.Interceptor(workflows.SignalAnswer), Refusals(events, Identity(cfg)), payloadguard.Interceptor()}, interceptors...),
		// A workflow task that keeps failing (a panic, a nondeterministic change) fails the program with
		// the reason, instead of retrying the task forever while the program looks like it runs.
		WorkflowPanicPolicy: sdkworker.FailWorkflow,
		// On Stop, running activities get this long to finish; then their contexts are cancelled and
		// each reports a retryable failure, so Temporal hands the task to another worker.
		WorkerStopTimeout: cfg.ShutdownTimeout,
	})
	Register(w, deps)
	return &Worker{Worker: w, activities: activities}, nil
}

// defaultSlots is the SDK's default number of slots for the kinds of task EaaPL does not count.
const defaultSlots = 1000

// Slots reports the worker's activity slots, as its slot supplier sees them (resource.allocation).
func (w *Worker) Slots() map[string]any { return w.activities.Allocation() }

// Stop stops polling, lets running activities finish within the shutdown timeout, cancels the others,
// and waits (up to handBackWait) until each has reported its result or failure to Temporal: the SDK's
// Stop returns as soon as it has cancelled them, and a process that exits then loses the reports.
func (w *Worker) Stop() {
	w.Worker.Stop()
	deadline := time.Now().Add(handBackWait)
	for w.activities.running() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// taskCounter is a slot supplier that counts the activity tasks in progress, and the slots its supplier
// has issued (resource.allocation reports them). The SDK releases a task's slot only after it has reported
// the task's outcome, so zero in use means nothing is left to report.
type taskCounter struct {
	sdkworker.SlotSupplier
	targets ResourceTargets
	mu      sync.Mutex
	used    map[*sdkworker.SlotPermit]bool
	issued  int
}

func (t *taskCounter) ReserveSlot(ctx context.Context, info sdkworker.SlotReservationInfo) (*sdkworker.SlotPermit, error) {
	p, err := t.SlotSupplier.ReserveSlot(ctx, info)
	if p != nil && err == nil {
		t.mu.Lock()
		t.issued++
		t.mu.Unlock()
	}
	return p, err
}

func (t *taskCounter) TryReserveSlot(info sdkworker.SlotReservationInfo) *sdkworker.SlotPermit {
	p := t.SlotSupplier.TryReserveSlot(info)
	if p != nil {
		t.mu.Lock()
		t.issued++
		t.mu.Unlock()
	}
	return p
}

// Allocation is the activity slots as the supplier sees them: how it sizes them, its bounds and targets,
// and the slots it has issued and that run a task now.
func (t *taskCounter) Allocation() map[string]any {
	t.mu.Lock()
	issued, used := t.issued, len(t.used)
	t.mu.Unlock()
	out := map[string]any{"activity_slots_issued": issued, "activity_slots_used": used}
	if !t.targets.Enabled() {
		out["slot_supplier"], out["activity_slots"] = "fixed", ActivitySlots
		return out
	}
	minSlots, maxSlots := max(t.targets.MinSlots, 1), t.targets.MaxSlots
	if maxSlots <= 0 {
		maxSlots = ActivitySlots
	}
	out["slot_supplier"], out["activity_slots_min"], out["activity_slots_max"] = "resource-based", minSlots, maxSlots
	out["cpu_target"], out["memory_target"] = t.targets.CPU, t.targets.Memory
	return out
}

func (t *taskCounter) MarkSlotUsed(info sdkworker.SlotMarkUsedInfo) {
	t.mu.Lock()
	t.used[info.Permit()] = true
	t.mu.Unlock()
	t.SlotSupplier.MarkSlotUsed(info)
}

func (t *taskCounter) ReleaseSlot(info sdkworker.SlotReleaseInfo) {
	t.released(info.Permit())
	t.SlotSupplier.ReleaseSlot(info)
}

// released counts a slot given back to the supplier.
func (t *taskCounter) released(p *sdkworker.SlotPermit) {
	t.mu.Lock()
	delete(t.used, p)
	t.issued = max(t.issued-1, 0)
	t.mu.Unlock()
}

func (t *taskCounter) running() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.used)
}

// Register registers the workflow and activities on any registry: a worker, a replayer or a test
// environment.
func Register(r interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
	RegisterActivity(a any)
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}, deps Dependencies) {
	r.RegisterWorkflowWithOptions(workflows.Program, workflow.RegisterOptions{Name: workflows.WorkflowType})
	r.RegisterWorkflowWithOptions(workflows.PublishEventBacklog, workflow.RegisterOptions{Name: workflows.BacklogWorkflowType})
	r.RegisterWorkflowWithOptions(workflows.ForEachShard, workflow.RegisterOptions{Name: workflows.ShardWorkflowType})
	deps.Commands.Register(r) // one activity per registered command

	r.RegisterActivity(deps.Planning)
	r.RegisterActivity(deps.Mirror)
	r.RegisterActivity(deps.Batches)
	lists := deps.Lists
	if lists == nil { // without a store, a stored list cannot be read: ReadListPage says so
		lists = &contentvalue.Lists{}
	}
	r.RegisterActivity(lists)
}
