package catalog_test

import (
	"testing"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// TestDescribeDurationSaysItInEnglish checks the words a person reads for a wait: one unit with its
// article, several with their numbers, never Go's duration text.
func TestDescribeDurationSaysItInEnglish(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "a day"},
		{time.Hour, "an hour"},
		{time.Minute, "a minute"},
		{time.Second, "1 second"}, // "a second" reads as the idiom,
		{20 * time.Second, "20 seconds"},
		{90 * time.Minute, "1 hour 30 minutes"},
		{7 * 24 * time.Hour, "7 days"},
		{25*time.Hour + 5*time.Second, "1 day 1 hour 5 seconds"},
		{25 * time.Hour, "1 day 1 hour"},      // not "an hour": the day is not dropped
		{61 * time.Minute, "1 hour 1 minute"}, // not "a minute"
		{2*time.Minute + 500*time.Millisecond, "2 minutes"},
		{300 * time.Millisecond, "300ms"},
	} {
		if got := catalog.DescribeDuration(c.d); got != c.want {
			t.Errorf("DescribeDuration(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}
