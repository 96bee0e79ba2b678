// Package fleet is the demonstration behind `make fleet`: N separate OS processes
// (the workers, "pods") use csconnect against one Creditsafe simulator, sharing their
// token and lockout guard through Redis, and the driver counts the authenticate calls
// the simulator saw per token lifetime. For comparison it runs the same fleet with
// per-process memory caches. Fault scenarios kill Redis mid-run, kill the pod that
// holds the refresh lease mid-refresh, and give the whole fleet a bad password.
//
// Everything runs on loopback, every loop is bounded in time, and the driver stops
// every process it started.
package fleet
