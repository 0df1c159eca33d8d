package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/crypt"
)

// maxSortedEvents bounds the events `eaapl events` holds to put them in time order.
const maxSortedEvents = 200_000

func newEventsCmd() *cobra.Command {
	var topic, brokers, program string
	var follow, asJSON bool
	cmd := &cobra.Command{
		Use: "events [--program ID] [--topic T] [--follow] [--json]",
		Short: "print the events mirrored onto Kafka (KAFKA_BROKERS) in time order, or with --follow those that " +
			"arrive from now on; encrypted values are opened with the key file (EAAPL_KEY_FILE)",
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
			keys, err := crypt.Load(cfg.KeyFile, cfg.DataDir)
			if err != nil {
				return err
			}
			open := &eventOpener{stderr: cmd.ErrOrStderr()}
			if keys != nil {
				open.keys = keys
			}
			defer open.report()
			ofProgram := func(r bridge.Record) bool { return program == "" || strings.HasPrefix(r.EventID, program+"/") }
			if follow {
				from := time.Now()
				return kafka.Consume(ctx, kcfg, topics, true, func(r bridge.Record) error {
					if ofProgram(r) && !r.Timestamp.Before(from) {
						bridge.PrintRecord(stdout, open.record(r), asJSON)
						open.warnOnce()
					}
					return nil
				})
			}
			var records []bridge.Record
			err = kafka.Consume(ctx, kcfg, topics, false, func(r bridge.Record) error {
				if !ofProgram(r) {
					return nil
				}
				if len(records) == maxSortedEvents {
					return fmt.Errorf("more than %d events to put in time order: name a program (--program) or topics (--topic)", maxSortedEvents)
				}
				records = append(records, r)
				return nil
			})
			if err != nil {
				return err
			}
			// Each topic is in order; across topics, the time the broker took each record says.
			slices.SortStableFunc(records, func(a, b bridge.Record) int { return a.Timestamp.Compare(b.Timestamp) })
			for _, r := range records {
				bridge.PrintRecord(stdout, open.record(r), asJSON)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&topic, "topic", "", "only this topic, or a comma-separated list (default: all 15)")
	cmd.Flags().StringVar(&program, "program", "", "only the events of this program (its workflow ID)")
	cmd.Flags().BoolVar(&follow, "follow", false, "print the events that arrive from now on, until Ctrl-C")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each event as a JSON object")
	cmd.Flags().StringVar(&brokers, "brokers", "", "Kafka brokers (default: KAFKA_BROKERS, or the dev stack's 127.0.0.1:EAAPL_DEV_KAFKA_PORT)")
	_ = cmd.RegisterFlagCompletionFunc("topic", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return bridge.TopicNames(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// eventOpener opens the sealed values of the records `eaapl events` prints, with the payload keys
// (EAAPL_KEY_FILE, or the dev stack's DATA_DIR/payload.keys), and says on stderr what it could not open.
type eventOpener struct {
	keys           bridge.ValueSealer // nil: no key file
	stderr         io.Writer
	sealed, opened int
	why            error
	warned         bool
}

func (o *eventOpener) record(r bridge.Record) bridge.Record {
	v, res := bridge.OpenValue(r.Topic, r.Value, o.keys)
	r.Value = v
	o.sealed += res.Sealed
	o.opened += res.Opened
	if o.why == nil {
		o.why = res.Err
	}
	return r
}

// warnOnce says, the first time a value stays sealed, why; --follow prints it as it happens.
func (o *eventOpener) warnOnce() {
	if o.why != nil && !o.warned {
		o.warned = true
		fmt.Fprintf(o.stderr, "eaapl events: encrypted values are shown as %s...: %s\n", bridge.SealedPrefix, o.advice())
	}
}

// report says how many values stayed sealed, once the events are printed.
func (o *eventOpener) report() {
	if left := o.sealed - o.opened; left > 0 && !o.warned {
		fmt.Fprintf(o.stderr, "eaapl events: %d of %d encrypted values could not be opened and are shown as %s...: %s\n",
			left, o.sealed, bridge.SealedPrefix, o.advice())
	}
}

func (o *eventOpener) advice() string {
	if o.keys == nil {
		return "no key file (set EAAPL_KEY_FILE to the worker's key file, or run in the folder of `eaapl dev`'s data)"
	}
	return fmt.Sprintf("%v (EAAPL_KEY_FILE must hold the key the worker sealed them with)", o.why)
}
