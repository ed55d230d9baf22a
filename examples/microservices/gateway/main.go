// Gateway: the public entry point. Routes /api/<service>/... to the internal services whose
// base URLs infracc injects from `uses` (CATALOG_URL, ORDERS_URL, SEARCH_URL).
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func proxyTo(envVar string) http.Handler {
	raw := os.Getenv(envVar)
	target, err := url.Parse(raw)
	if raw == "" || err != nil {
		slog.Error("missing or invalid upstream", "env", envVar, "value", raw)
		os.Exit(1)
	}
	return httputil.NewSingleHostReverseProxy(target)
}

func main() {
	if os.Getenv("JWT_SIGNING_KEY") == "" {
		slog.Warn("JWT_SIGNING_KEY is not set; authenticated routes will reject every request")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	})
	for prefix, env := range map[string]string{
		"/api/catalog/": "CATALOG_URL",
		"/api/orders/":  "ORDERS_URL",
		"/api/search/":  "SEARCH_URL",
	} {
		mux.Handle(prefix, http.StripPrefix(strings.TrimSuffix(prefix, "/"), proxyTo(env)))
	}

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("listening", "port", port)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		slog.Error("server failed", "err", err)
		os.Exit(1)
	}
}
