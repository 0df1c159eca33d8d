package main

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
)

// frontend answers GetSystemInfo, the first call of every Temporal client, and records the credentials it
// came with. (Temporal's own servers check API keys only behind an authorizer, which a test cluster does
// not have; mutual TLS is tested on a real cluster in e2e/cluster.)
type frontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu            sync.Mutex
	authorization []string
}

func (f *frontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.authorization = append(f.authorization, md.Get("authorization")...)
	f.mu.Unlock()
	return &workflowservice.GetSystemInfoResponse{}, nil
}

// TestDialSendsTheAPIKeyOverTLS checks that TEMPORAL_API_KEY reaches the server as a bearer token, over TLS
// that the key turns on by itself, trusting the CA of TEMPORAL_TLS_SERVER_CA_CERT_PATH: the settings of
// Temporal Cloud with an API key.
func TestDialSendsTheAPIKeyOverTLS(t *testing.T) {
	certs := testenv.WriteCerts(t, t.TempDir())
	tlsCfg := certs.ServerTLS(t)
	tlsCfg.ClientAuth = tls.NoClientCert // an API key instead of a client certificate
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(tlsCfg)))
	fe := &frontend{}
	workflowservice.RegisterWorkflowServiceServer(srv, fe)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)

	t.Setenv("TEMPORAL_ADDRESS", l.Addr().String())
	t.Setenv("TEMPORAL_NAMESPACE", "eaapl.a1b2c")
	t.Setenv("TEMPORAL_API_KEY", "the-key")
	t.Setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", certs.CA)
	t.Setenv("TEMPORAL_PROFILE", "")
	t.Setenv("TEMPORAL_CONFIG_FILE", "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dial(ctx, config.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), "")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	fe.mu.Lock()
	defer fe.mu.Unlock()
	if len(fe.authorization) == 0 || fe.authorization[0] != "Bearer the-key" {
		t.Fatalf("the server saw authorization %q, want \"Bearer the-key\"", fe.authorization)
	}
}
