package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
)

func newEventsCmd() *cobra.Command {
	var topic, brokers string
	var follow, asJSON bool
	cmd := &cobra.Command{
		Use:               "events [--topic T] [--follow] [--json]",
		Short:             "print the events mirrored onto Kafka (KAFKA_BROKERS)",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{msg: fmt.Sprintf("eaapl events takes no arguments, got %q", args)}
			}
			kcfg := cfg.Kafka.Bridge()
			switch {
			case brokers != "":
				kcfg.Brokers = strings.Split(brokers, ",")
			case !kcfg.Enabled():
				kcfg.Brokers = []string{fmt.Sprintf("127.0.0.1:%d", cfg.DevKafkaPort)}
			}
			topics := bridge.TopicNames()
			if topic != "" {
				topics = strings.Split(topic, ",")
				for _, t := range topics {
					if !slices.Contains(bridge.TopicNames(), t) {
						return usageError{msg: fmt.Sprintf("unknown topic %q; the topics are %s", t, strings.Join(bridge.TopicNames(), ", "))}
					}
				}
			}
			stdout := cmd.OutOrStdout()
			return kafka.Consume(ctx, kcfg, topics, follow, func(r bridge.Record) error {
				bridge.PrintRecord(stdout, r, asJSON)
				return nil
			})
		}),
	}
	cmd.Flags().StringVar(&topic, "topic", "", "only this topic, or a comma-separated list (default: all 15)")
	cmd.Flags().BoolVar(&follow, "follow", false, "keep printing new events until Ctrl-C")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each event as a JSON object")
	cmd.Flags().StringVar(&brokers, "brokers", "", "Kafka brokers (default: KAFKA_BROKERS, or the dev stack's 127.0.0.1:EAAPL_DEV_KAFKA_PORT)")
	_ = cmd.RegisterFlagCompletionFunc("topic", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return bridge.TopicNames(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}
