package plan

import (
	"errors"
	"fmt"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// Retry overrides, for one step, the retry policy its command has in the catalog: a field left out keeps
// the catalog's value. Intervals are Go duration text ("500ms", "2s", "1m").
//
//	"retry": {"maximum_attempts": 10, "initial_interval": "2s", "backoff_coefficient": 1.5, "maximum_interval": "1m"}
type Retry struct {
	// Pointers, so that a 0 the plan wrote is refused rather than read as "left out".
	MaximumAttempts    *int32   `json:"maximum_attempts,omitempty"` // attempts in all, the first included: 1 means no retry
	InitialInterval    string   `json:"initial_interval,omitempty"`
	BackoffCoefficient *float64 `json:"backoff_coefficient,omitempty"`
	MaximumInterval    string   `json:"maximum_interval,omitempty"`
}

// The bounds of a step's retry policy: enough for any real outage, small enough that a typo ("1000000")
// cannot keep a task retrying for ever.
const (
	MaxRetryAttempts = 100
	MaxRetryInterval = 24 * time.Hour
	MaxBackoff       = 10.0
)

// RetryPolicy is the retry policy of a step's tasks: its command's, with the step's overrides.
func (c *Compiled) RetryPolicy(id string) catalog.RetryPolicy {
	s := c.steps[id]
	p, _ := applyRetry(s.cmd.Retry, s.step.Retry) // checked by Compile
	return p
}

// applyRetry returns base with r's fields over it, or an error naming the field (under "retry.") at fault.
func applyRetry(base catalog.RetryPolicy, r *Retry) (catalog.RetryPolicy, error) {
	if r == nil {
		return base, nil
	}
	fail := func(field string, err error) (catalog.RetryPolicy, error) {
		return catalog.RetryPolicy{}, &Error{Field: "retry." + field, Err: err}
	}
	p := base
	if n := r.MaximumAttempts; n != nil {
		if *n < 1 || *n > MaxRetryAttempts {
			return fail("maximum_attempts", fmt.Errorf("%d attempts: it must be from 1 (no retry) to %d", *n, MaxRetryAttempts))
		}
		p.MaximumAttempts = *n
	}
	for _, d := range []struct {
		field, text string
		into        *time.Duration
	}{{"initial_interval", r.InitialInterval, &p.InitialInterval}, {"maximum_interval", r.MaximumInterval, &p.MaximumInterval}} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil {
			return fail(d.field, fmt.Errorf("%q is not a duration; write it like \"500ms\", \"2s\" or \"1m\"", d.text))
		}
		if v <= 0 || v > MaxRetryInterval {
			return fail(d.field, fmt.Errorf("%s: it must be more than 0 and at most %s", v, MaxRetryInterval))
		}
		*d.into = v
	}
	if b := r.BackoffCoefficient; b != nil {
		if *b < 1 || *b > MaxBackoff {
			return fail("backoff_coefficient", fmt.Errorf("%g: it must be from 1 (the same wait each time) to %g", *b, MaxBackoff))
		}
		p.BackoffCoefficient = *b
	}
	if p.MaximumInterval < p.InitialInterval {
		return fail("maximum_interval", errors.New("it is shorter than initial_interval "+p.InitialInterval.String()))
	}
	return p, nil
}
