# Generated TypeScript clients as a CI check: every generator below reads the bundled
# documents (gen/openapi/*.yaml), its output and the code in consumers/typescript/src
# are type-checked with `tsc --strict` (no @ts-nocheck), and the flows run against
# `csconnect sim` on a free loopback port. All tools are pinned in package-lock.json.

CONSUMERS := consumers/typescript
TS_GEN    := $(CONSUMERS)/gen
SPEC_NAMES := $(basename $(SPEC_DOCS))

.PHONY: spec-consumers-generate
spec-consumers-generate: deps-npm ## Generate the TypeScript clients (hey-api, openapi-typescript, orval, oazapfts, openapi-zod-client) into consumers/typescript/gen/.
	rm -rf $(TS_GEN) $(CONSUMERS)/out && mkdir -p $(TS_GEN)/oazapfts $(TS_GEN)/zod-client
	@set -e; for d in $(SPEC_NAMES); do \
		echo "==> $$d: @hey-api/openapi-ts, openapi-typescript, oazapfts, openapi-zod-client"; \
		$(NPX)/openapi-ts --silent -i gen/openapi/$$d.yaml -o $(TS_GEN)/hey-api/$$d -c @hey-api/client-fetch; \
		$(NPX)/openapi-typescript gen/openapi/$$d.yaml -o $(TS_GEN)/openapi-typescript/$$d.ts > /dev/null; \
		$(NPX)/oazapfts gen/openapi/$$d.yaml $(TS_GEN)/oazapfts/$$d.ts; \
		$(NPX)/openapi-zod-client gen/openapi/$$d.yaml -o $(TS_GEN)/zod-client/$$d.ts > /dev/null; \
	done
	@echo "==> orval"; $(NPX)/orval --config $(CONSUMERS)/orval.config.cjs > /dev/null

.PHONY: spec-consumers-check
spec-consumers-check: spec-consumers-generate ## Type-check the generated clients and their use with tsc --strict (no @ts-nocheck allowed).
	@if grep -rln '@ts-nocheck' $(TS_GEN) $(CONSUMERS)/src; then echo "spec-consumers: @ts-nocheck found"; exit 1; fi
	$(NPX)/tsc --strict -p $(CONSUMERS)/tsconfig.json

.PHONY: spec-consumers-flow
spec-consumers-flow: spec-consumers-check ## Run each generated client's flow against `csconnect sim` on a free loopback port.
	$(GO) build -o bin/csconnect ./cmd/csconnect
	node $(CONSUMERS)/out/src/run-flows.js bin/csconnect

.PHONY: spec-consumers
spec-consumers: spec-consumers-flow ## Generate clients with five TypeScript generators, type-check them (tsc --strict) and run their flows against the simulator.
