# csconnect agent (issue 13): its own OpenAPI document is linted like the contract's.
# The agent's tests run in `make test`; `make bench-agent` is in mk/bench.mk and
# `make fleet FLEET_MODE=agent` in mk/fleet.mk.

AGENT_SPEC := internal/agent/openapi.yaml
CI_TARGETS += lint-agent-spec

.PHONY: lint-agent-spec
lint-agent-spec: deps-npm ## Lint the agent's OpenAPI document (internal/agent/openapi.yaml) with Spectral and Redocly; warnings fail.
	$(NPX)/spectral lint --ruleset .spectral.yaml --fail-severity=warn --display-only-failures $(AGENT_SPEC)
	@out=$$($(NPX)/redocly lint --config redocly.yaml --format=stylish $(AGENT_SPEC) 2>&1); rc=$$?; echo "$$out" | grep -v '[║╔╚]'; \
		if [ $$rc -ne 0 ] || echo "$$out" | grep -qiE '[0-9]+ (warning|error)s?'; then echo "redocly: problems found in $(AGENT_SPEC)"; exit 1; fi
