# The Redis-backed token store's system dependency and the fleet demonstration
# (issue 6). See the "fleet" section of README.md.

.PHONY: deps
deps: ## Install the Debian packages some tests and targets need (mk/deps.sh: redis-server, chromium, a JDK); needs root, no-op when present.
	bash mk/deps.sh

FLEET_N         ?= 20
FLEET_LIFETIMES ?= 5
# FLEET_MODE=agent: each process runs `csconnect agent` and calls through it over HTTP.
# `csconnect fleet` runs in csconnect-agent (beside bin/csconnect), as its workers do.
FLEET_MODE      ?=

.PHONY: fleet
fleet: deps bin/csconnect-all ## FLEET_N processes (FLEET_MODE=agent: agents) share one token through Redis against the simulator; last line processes=N lifetimes=L authenticate_calls=C per_lifetime=R.
	FLEET_N=$(FLEET_N) FLEET_LIFETIMES=$(FLEET_LIFETIMES) FLEET_MODE=$(FLEET_MODE) bin/csconnect fleet

.PHONY: fleet-faults
fleet-faults: deps bin/csconnect-all ## The fleet's fault cases: Redis killed, lease holder killed mid-refresh, bad password on every pod.
	FLEET_N=$(FLEET_N) FLEET_LIFETIMES=$(FLEET_LIFETIMES) bin/csconnect fleet -faults
