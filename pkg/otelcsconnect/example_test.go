package otelcsconnect_test

import (
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/csconnect/csconnect/pkg/csconnect"
	"github.com/csconnect/csconnect/pkg/otelcsconnect"
)

// A program that installed its OpenTelemetry SDK as the global providers passes an
// empty Config; otelhttp goes under csconnect's Transport, as its Base.
func ExampleNew() {
	hooks, err := otelcsconnect.New(otelcsconnect.Config{})
	if err != nil {
		log.Fatal(err)
	}
	client, err := csconnect.New(csconnect.Config{
		Auth: csconnect.AuthConfig{Username: "user-key", Password: "its password", Hooks: hooks},
		Base: otelhttp.NewTransport(http.DefaultTransport),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
}

// How an agent serves the metrics at /_agent/metrics: a MeterProvider over the
// OpenTelemetry Prometheus exporter, passed in Config.MeterProvider, so the names
// are the documented ones (csconnect_authenticate_requests_total, …).
func ExampleNew_prometheus() {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		log.Fatal(err)
	}
	hooks, err := otelcsconnect.New(otelcsconnect.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))})
	if err != nil {
		log.Fatal(err)
	}
	client, err := csconnect.New(csconnect.Config{
		Auth: csconnect.AuthConfig{Username: "user-key", Password: "its password", Hooks: hooks},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /_agent/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}
