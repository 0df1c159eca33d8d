package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Server is the operational HTTP server: /metrics, and the probes /livez (the process answers) and
// /readyz (Ready reports nil).
type Server struct {
	Addr   string // the address it listens on, once started
	server *http.Server
	done   chan error
}

// Ready reports whether the process can do its work now; its error says why not.
type Ready func(ctx context.Context) error

// ServeOptions are what Serve serves besides the metrics and the probes.
type ServeOptions struct {
	// Profiling serves Go's profiles (net/http/pprof) at /debug/pprof/: CPU, heap and allocations of the
	// process, for `go tool pprof` (EAAPL_PPROF; off by default, as they show the process's internals).
	Profiling bool
}

// Serve listens on addr and serves metrics and the probes until Close.
func Serve(addr string, m *Metrics, ready Ready, logger *slog.Logger, opts ServeOptions) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics server on EAAPL_METRICS_ADDR=%s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	paths := "/metrics /readyz /livez"
	if opts.Profiling {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		paths += " /debug/pprof/"
	}
	s := &Server{
		Addr:   ln.Addr().String(),
		server: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done:   make(chan error, 1),
	}
	go func() { s.done <- s.server.Serve(ln) }()
	logger.Info("Metrics and probes served", "addr", s.Addr, "paths", paths)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.server.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
