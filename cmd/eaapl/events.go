package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
)

func eventsCommand(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("events", stderr)
	topic := fs.String("topic", "", "only this topic, or a comma-separated list (default: all 15)")
	follow := fs.Bool("follow", false, "keep printing new events until Ctrl-C")
	asJSON := fs.Bool("json", false, "print each event as a JSON object")
	brokers := fs.String("brokers", "", "Kafka brokers (default: KAFKA_BROKERS, or the dev stack's 127.0.0.1:EAAPL_DEV_KAFKA_PORT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("eaapl events takes no arguments, got %q", fs.Args())}
	}
	kcfg := cfg.Kafka.Bridge()
	switch {
	case *brokers != "":
		kcfg.Brokers = strings.Split(*brokers, ",")
	case !kcfg.Enabled():
		kcfg.Brokers = []string{fmt.Sprintf("127.0.0.1:%d", cfg.DevKafkaPort)}
	}
	topics := bridge.TopicNames()
	if *topic != "" {
		topics = strings.Split(*topic, ",")
		for _, t := range topics {
			if !slices.Contains(bridge.TopicNames(), t) {
				return usageError{fmt.Sprintf("unknown topic %q; the topics are %s", t, strings.Join(bridge.TopicNames(), ", "))}
			}
		}
	}
	return kafka.Consume(ctx, kcfg, topics, *follow, func(r bridge.Record) error {
		bridge.PrintRecord(stdout, r, *asJSON)
		return nil
	})
}
