package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
)

// addFailureFeedback fills a failed task's result with what its last attempt reported about itself: the
// worker, the attempt number, the execution time and the resources used, which the worker puts in the
// details of the attempt's error as a failed catalog.TaskResult. An attempt that timed out, or whose worker
// died, reported nothing, and the result stays as it is.
func addFailureFeedback(res *catalog.TaskResult, err error) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.HasDetails() {
		return
	}
	var fb catalog.TaskResult
	if appErr.Details(&fb) != nil || fb.Status != catalog.StatusFailure {
		return
	}
	res.WorkerID, res.Attempt, res.ExecutionTime, res.Resources = fb.WorkerID, fb.Attempt, fb.ExecutionTime, fb.Resources
}
