package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/workflows"
)

// maxScheduleList bounds `eaapl schedule list`.
const maxScheduleList = 1000

// programMemo is the schedule memo holding its program's text, for the list.
const programMemo = "program"

// NewScheduleID returns a fresh, readable schedule ID: schedule-20261125-214000-1a2b3c.
func NewScheduleID(now time.Time) string {
	return "schedule" + strings.TrimPrefix(NewWorkflowID(now), "program")
}

// ScheduleSpec is the Temporal calendar spec of a plan's schedule, in its time zone.
func ScheduleSpec(sc *plan.Schedule) client.ScheduleSpec {
	spec := client.ScheduleSpec{TimeZoneName: sc.TimeZone}
	for _, c := range sc.Calendar {
		cal := client.ScheduleCalendarSpec{
			Second: []client.ScheduleRange{{Start: 0}},
			Minute: []client.ScheduleRange{{Start: c.Minute}},
			Hour:   []client.ScheduleRange{{Start: c.Hour}},
			// Temporal's defaults for these are "every": left empty they would be 0 (no day, no month).
			DayOfMonth: []client.ScheduleRange{{Start: 1, End: 31}},
			Month:      []client.ScheduleRange{{Start: 1, End: 12}},
			DayOfWeek:  []client.ScheduleRange{{Start: 0, End: 6}},
		}
		if c.DayOfMonth != 0 {
			cal.DayOfMonth = []client.ScheduleRange{{Start: c.DayOfMonth}}
		}
		if len(c.DaysOfWeek) > 0 {
			cal.DayOfWeek = nil
			for _, d := range c.DaysOfWeek {
				for i, name := range plan.Weekdays {
					if name == d {
						cal.DayOfWeek = append(cal.DayOfWeek, client.ScheduleRange{Start: i})
					}
				}
			}
		}
		spec.Calendars = append(spec.Calendars, cal)
	}
	return spec
}

// Scheduled is a schedule just created: its ID and the next times it starts a run.
type Scheduled struct {
	ID   string      `json:"schedule_id"`
	Next []time.Time `json:"next_runs"`
}

// CreateSchedule creates a Temporal Schedule from a plan's schedule: at each of its times it starts a
// Program workflow with in, whose Program is the schedule's inner program, so that each run plans its own
// time phrases at its start. A run still going at the next time makes that time skipped (overlap SKIP).
func (s *Starter) CreateSchedule(ctx context.Context, id string, sc *plan.Schedule, in workflows.Input) (Scheduled, error) {
	if sc == nil {
		return Scheduled{}, errors.New("create schedule: the plan has no schedule")
	}
	in.Program, in.Plan = sc.Program, nil
	// The schedule's action keeps the creator's identity header: each run's owner is who scheduled it.
	h, err := s.Client.ScheduleClient().Create(s.acting(ctx), client.ScheduleOptions{
		ID:      id,
		Spec:    ScheduleSpec(sc),
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Memo:    map[string]any{programMemo: oneLine(sc.Program, summaryMax)},
		Action: &client.ScheduleWorkflowAction{
			// Each run's ID is this prefix and the time it was due, which Temporal appends.
			ID:            id + "-run",
			Workflow:      workflows.WorkflowType,
			Args:          []any{in},
			TaskQueue:     s.TaskQueue,
			StaticSummary: oneLine(sc.Program, summaryMax),
		},
	})
	if err != nil {
		return Scheduled{}, fmt.Errorf("create schedule %s: %w", id, err)
	}
	d, err := h.Describe(ctx)
	if err != nil {
		return Scheduled{ID: id}, fmt.Errorf("describe schedule %s: %w", id, err)
	}
	return Scheduled{ID: id, Next: d.Info.NextActionTimes}, nil
}

// ScheduleSummary is one schedule as `eaapl schedule list` shows it.
type ScheduleSummary struct {
	ID      string      `json:"schedule_id"`
	Program string      `json:"program"`
	Paused  bool        `json:"paused"`
	Next    []time.Time `json:"next_runs"`
}

// Schedules lists the schedules on the server whose action starts a Program workflow, at most
// maxScheduleList of them; dc, the client's data converter, decodes each one's program text.
func (s *Starter) Schedules(ctx context.Context, dc converter.DataConverter) ([]ScheduleSummary, error) {
	it, err := s.Client.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 100})
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	var out []ScheduleSummary
	for it.HasNext() && len(out) < maxScheduleList {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		if e.WorkflowType.Name != workflows.WorkflowType {
			continue
		}
		sum := ScheduleSummary{ID: e.ID, Paused: e.Paused, Next: e.NextActionTimes}
		if p := e.Memo.GetFields()[programMemo]; p != nil {
			if err := dc.FromPayload(p, &sum.Program); err != nil {
				sum.Program = "(program text not readable: " + err.Error() + ")"
			}
		}
		out = append(out, sum)
	}
	return out, nil
}

// PauseSchedule, UnpauseSchedule, TriggerSchedule and DeleteSchedule act on the schedule id; an ID that
// names no schedule gives an error saying so.
func (s *Starter) PauseSchedule(ctx context.Context, id string) error {
	return s.onSchedule(ctx, "pause", id, func(h client.ScheduleHandle) error {
		return h.Pause(ctx, client.SchedulePauseOptions{Note: "paused by eaapl schedule pause"})
	})
}

func (s *Starter) UnpauseSchedule(ctx context.Context, id string) error {
	return s.onSchedule(ctx, "unpause", id, func(h client.ScheduleHandle) error {
		return h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: "unpaused by eaapl schedule unpause"})
	})
}

// TriggerSchedule starts one run now, as if its time had come (a run still going makes it skipped).
func (s *Starter) TriggerSchedule(ctx context.Context, id string) error {
	return s.onSchedule(ctx, "trigger", id, func(h client.ScheduleHandle) error {
		return h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP})
	})
}

func (s *Starter) DeleteSchedule(ctx context.Context, id string) error {
	return s.onSchedule(ctx, "delete", id, func(h client.ScheduleHandle) error { return h.Delete(ctx) })
}

// DescribeSchedule returns what the server holds for a schedule.
func (s *Starter) DescribeSchedule(ctx context.Context, id string) (*client.ScheduleDescription, error) {
	var d *client.ScheduleDescription
	err := s.onSchedule(ctx, "describe", id, func(h client.ScheduleHandle) (err error) {
		d, err = h.Describe(ctx)
		return err
	})
	return d, err
}

func (s *Starter) onSchedule(ctx context.Context, verb, id string, do func(client.ScheduleHandle) error) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("%s schedule: no schedule ID given", verb)
	}
	err := do(s.Client.ScheduleClient().GetHandle(ctx, id))
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return fmt.Errorf("%s schedule: there is no schedule %q (eaapl schedule list shows them)", verb, id)
	case err != nil:
		return fmt.Errorf("%s schedule %s: %w", verb, id, err)
	}
	return nil
}
