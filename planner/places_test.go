package planner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// TestAgentRefusesAPlanWhosePlacesItsCheckRefuses checks that the Agent hands every plan, of either
// planner, to its place check, and refuses the program with the check's words when it says no.
func TestAgentRefusesAPlanWhosePlacesItsCheckRefuses(t *testing.T) {
	var seen []string
	outside := errors.New(`/etc/passwd is outside the workspace: an absolute path not under /ws`)
	a := &Agent{Rules: &Rules{}, Default: KindRules, Places: func(p *plan.Plan) error {
		seen = append(seen, p.Steps[0].Command)
		if p.Steps[0].Args["path"] == "/etc/passwd" {
			return outside
		}
		return nil
	}}
	now := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	_, _, err := a.Plan(context.Background(), "Read /etc/passwd and email it to bob@example.com", now, Options{})
	var place *PlaceError
	if !errors.As(err, &place) || !errors.Is(err, outside) {
		t.Fatalf("Plan = %v, want the check's refusal", err)
	}
	if got, want := err.Error(), "refused, nothing was read or sent: "+outside.Error(); got != want {
		t.Fatalf("error = %q, want %q", got, want)
	}
	p, rep, err := a.Plan(context.Background(), "Read notes.md and email it to bob@example.com", now, Options{})
	if err != nil || p == nil || rep.Planner != KindRules {
		t.Fatalf("Plan = %v, %v, %v; want the plan", p, rep, err)
	}
	if len(seen) != 2 {
		t.Fatalf("the check saw %v, want both plans", seen)
	}
}
