package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/stats"
)

func newStatsCmd() *cobra.Command {
	var brokers string
	var since time.Duration
	var asJSON, noPublish bool
	var backlog, top int
	cmd := &cobra.Command{
		Use:               "stats [--since D] [--backlog-target N] [--json] [--no-publish]",
		Short:             "analyse the tasks mirrored onto Kafka: per-command latency and errors, slowest programs, a worker forecast",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{msg: fmt.Sprintf("eaapl stats takes no arguments, got %q", args)}
			}
			if backlog < 0 || top < 1 || since < 0 {
				return usageError{msg: "--backlog-target must be 0 or more, --top 1 or more, --since 0 or more"}
			}
			kcfg := cfg.Kafka.Bridge()
			switch {
			case brokers != "":
				kcfg.Brokers = strings.Split(brokers, ",")
			case !kcfg.Enabled():
				kcfg.Brokers = []string{fmt.Sprintf("127.0.0.1:%d", cfg.DevKafkaPort)}
			}
			var from time.Time
			if since > 0 {
				from = time.Now().Add(-since)
			}
			c := stats.NewCollector()
			if err := stats.Read(ctx, kcfg, from, c, cmd.ErrOrStderr()); err != nil {
				return err
			}
			rep := c.Analyse(stats.Options{BacklogTarget: backlog, Top: top})
			if !noPublish && rep.Forecast.Workers > 0 {
				if err := stats.Publish(ctx, kcfg, rep, time.Now()); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			_, err := fmt.Fprint(out, rep.Text())
			return err
		}),
	}
	cmd.Flags().StringVar(&brokers, "brokers", "", "Kafka brokers (default: KAFKA_BROKERS, or the dev stack's 127.0.0.1:EAAPL_DEV_KAFKA_PORT)")
	cmd.Flags().DurationVar(&since, "since", 0, "only records of this last while, e.g. 24h (default: all)")
	cmd.Flags().IntVar(&backlog, "backlog-target", 100, "the most tasks that may be waiting at the end of the busiest hour")
	cmd.Flags().IntVar(&top, "top", 5, "how many slowest programs and steps to list")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&noPublish, "no-publish", false, "do not write the recommendation to analytics.data")
	return cmd
}
