package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/crypt"
	"github.com/eaapl/eaapl/starter"
)

// auditEventsWait bounds reading security.events for `eaapl audit`.
const auditEventsWait = 20 * time.Second

// newAuditCmd prints who did what to a program: who started it, the SHA-256 of its text and plan, who
// answered and approved what and when, the answers refused for who sent them, the requests Temporal
// took, and (with Kafka) its security.events, where the refused updates are, which no history holds.
func newAuditCmd() *cobra.Command {
	var address, brokers string
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "audit [--json] [--brokers B] <workflow-id>",
		Short:             "who started a program, its text and plan hashes, who answered and approved what and when, refusals and authorization failures",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{msg: "eaapl audit needs one workflow ID"}
			}
			c, err := dial(ctx, cfg, quiet(newLogger(cfg, cmd.ErrOrStderr())), address)
			if err != nil {
				return err
			}
			defer c.Close()
			s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Identity: cfg.UserID}
			r, err := s.Audit(ctx, args[0])
			if err != nil {
				return err
			}
			kcfg := cfg.Kafka.Bridge()
			if brokers != "" {
				kcfg.Brokers = strings.Split(brokers, ",")
			}
			if kcfg.Enabled() {
				records, err := securityEvents(ctx, kcfg, args[0])
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "Warning: security.events not read:", err)
				}
				// Their values are sealed with the payload keys, as `eaapl events` opens them.
				open := &eventOpener{stderr: cmd.ErrOrStderr()}
				if keys, err := crypt.Load(cfg.KeyFile, cfg.DataDir); err == nil && keys != nil {
					open.keys = keys
				}
				for i := range records {
					records[i] = open.record(records[i])
				}
				open.report()
				r.AddSecurityEvents(records)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			starter.PrintAudit(cmd.OutOrStdout(), r)
			return nil
		}),
	}
	addAddressFlag(cmd, &address)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&brokers, "brokers", "", "also read the program's security.events from these Kafka brokers (default: KAFKA_BROKERS when set)")
	return cmd
}

// maxAuditRecords bounds the security.events records one report holds.
const maxAuditRecords = 10_000

// securityEvents reads the program's records on security.events.
func securityEvents(ctx context.Context, kcfg kafka.Config, id string) ([]bridge.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, auditEventsWait)
	defer cancel()
	var out []bridge.Record
	err := kafka.Consume(ctx, kcfg, []string{bridge.TopicSecurityEvents}, false, func(r bridge.Record) error {
		if strings.HasPrefix(r.EventID, id+"/") && len(out) < maxAuditRecords {
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
