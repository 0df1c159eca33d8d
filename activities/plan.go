package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// Planner turns English into a plan. now is the program's start time, from which time phrases resolve.
type Planner interface {
	Plan(ctx context.Context, program string, now time.Time) (*plan.Plan, error)
}

// Planning is the Planner Agent as an activity: the first task of every program.
type Planning struct {
	Planner Planner
}

// PlanRequest asks for a program's plan: from its English text, or a hand-written plan to check.
type PlanRequest struct {
	Program string     `json:"program,omitempty"`
	Plan    *plan.Plan `json:"plan,omitempty"`
	Now     time.Time  `json:"now"`
}

// PlanResult is a validated plan.
type PlanResult struct {
	Plan *plan.Plan `json:"plan"`
}

// PlanProgram plans a program, or checks a given plan, and validates the result against the catalog. A
// program the planner cannot understand and a plan that does not validate are non-retryable errors of
// type InvalidArgument: no retry can fix them.
func (p *Planning) PlanProgram(ctx context.Context, req PlanRequest) (PlanResult, error) {
	pl := req.Plan
	if pl == nil {
		if strings.TrimSpace(req.Program) == "" {
			return PlanResult{}, temporal.NewNonRetryableApplicationError(
				"the program is empty: write what to do, e.g. \"Send 'Hello World!' to each of my contacts\"",
				catalog.ErrInvalidArgument, nil)
		}
		if p.Planner == nil {
			return PlanResult{}, temporal.NewNonRetryableApplicationError("this worker has no planner configured", catalog.ErrInvalidArgument, nil)
		}
		var err error
		if pl, err = p.Planner.Plan(ctx, req.Program, req.Now); err != nil {
			return PlanResult{}, planError(err)
		}
	}
	if err := plan.Validate(pl); err != nil {
		return PlanResult{}, planError(err)
	}
	return PlanResult{Plan: pl}, nil
}

// planError keeps a planner's transient failures (a model that is down) retryable and makes the rest final.
func planError(err error) error {
	var retryable interface{ Temporary() bool }
	if errors.As(err, &retryable) && retryable.Temporary() {
		return fmt.Errorf("plan: %w", err)
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), catalog.ErrInvalidArgument, err)
}
