package crypt

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/converter"
)

// MaxCodecRequestBytes bounds one request to the codec server: Temporal's own limit on a gRPC message is
// 4 MiB, and payloads grow by a third in JSON's base64.
const MaxCodecRequestBytes = 8 << 20

// Handler is the codec server's HTTP handler: POST /decode and /encode (Temporal's remote codec protocol,
// converter.NewPayloadCodecHTTPHandler), with CORS for the Web UI at origin (a comma-separated list of
// origins such as http://127.0.0.1:8233; empty allows no browser), and, when token is set, only for requests bearing "Authorization: Bearer <token>". Preflight requests carry no
// credentials, so they are answered without the token.
func Handler(keys *Keys, origin, token string) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(NewCodec(keys))
	allowed := map[string]bool{}
	for _, o := range strings.Split(origin, ",") {
		if o = strings.TrimSpace(o); o != "" {
			allowed[o] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); allowed[o] {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			w.Header().Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
			http.Error(w, "codec server: a bearer token is required (Authorization: Bearer ...)", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxCodecRequestBytes)
		codec.ServeHTTP(w, r)
	})
}

// Server is a running codec server.
type Server struct {
	URL string // http://host:port, the endpoint to give the Web UI and `temporal --codec-endpoint`
	srv *http.Server
	ln  net.Listener
}

// Listen starts a codec server on addr (host:port; port 0 picks a free one) and returns once it listens.
func Listen(addr string, keys *Keys, origin, token string) (*Server, error) {
	if keys == nil {
		return nil, errors.New("codec server: no payload keys (EAAPL_KEY_FILE)")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("codec server: %w", err)
	}
	s := &Server{
		URL: "http://" + ln.Addr().String(),
		ln:  ln,
		srv: &http.Server{Handler: Handler(keys, origin, token), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute},
	}
	go func() { _ = s.srv.Serve(ln) }() // returns ErrServerClosed on Close
	return s, nil
}

// Close stops the server, letting requests under way finish within ctx.
func (s *Server) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Serve runs a codec server on addr until ctx ends (`eaapl codec-server`).
func Serve(ctx context.Context, addr string, keys *Keys, origin, token string) error {
	s, err := Listen(addr, keys, origin, token)
	if err != nil {
		return err
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Close(shutdown)
}
