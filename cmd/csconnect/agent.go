package main

func init() {
	commands["agent"] = command{
		Summary: "forward requests to Creditsafe with the token attached (a local proxy for any language)",
		Run:     agentHelper.run,
	}
	commands["fleet"] = command{
		Summary: "run N processes sharing one token through Redis against the simulator (make fleet)",
		Run:     fleetHelper.run,
	}
}

// `csconnect agent` is cmd/csconnect-agent: the agent links the OpenTelemetry
// Prometheus exporter and prometheus/client_golang, whose package init costs about
// 4 ms and 2,000 allocations; kept out of this binary, `csconnect token` does not
// pay it at start. From main, csconnect becomes the agent (execve), so SIGHUP,
// SIGINT and SIGTERM reach it directly. See helper. `csconnect fleet`, whose
// workers run agents, is csconnect-agent's too.
