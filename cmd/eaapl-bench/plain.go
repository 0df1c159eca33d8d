package main

import (
	"context"
	"fmt"
	"net/mail"
	"sync"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/smtp"
)

// Baseline (b): a plain Go loop that sends the same emails straight over SMTP, no durability: concurrency
// goroutines, each over one SMTP connection (a session), taking the next contact from a channel. The
// message is the one EaaPL sends (same sender, subject, body, a Message-ID per contact).
func plainSMTP(ctx context.Context, smtpAddr string, from mail.Address, contacts []string, subject, body string, concurrency int) error {
	sender, err := smtp.New(smtp.Config{Addr: smtpAddr})
	if err != nil {
		return err
	}
	next := make(chan int)
	errs := make(chan error, concurrency)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := sender.Session()
			defer s.Close()
			for i := range next {
				err := s.Send(ctx, email.Message{
					From: from.Address, FromName: from.Name, To: contacts[i], Subject: subject, Body: body,
					MessageID: email.MessageID(fmt.Sprintf("plain/%d", i+1), from.Address),
				})
				if err != nil {
					errs <- fmt.Errorf("send to %s: %w", contacts[i], err)
					return
				}
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range contacts {
			select {
			case next <- i:
			case err := <-errs:
				errs <- err
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}
