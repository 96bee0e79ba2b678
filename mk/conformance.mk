# Conformance: the suite against the embedded simulator (the project's main job),
# the same suite through Prism, and the breaking-change gate for the spec.
# oasdiff is pinned in its own module (tools/oasdiff) so its dependencies do not
# move the versions the client is built with.

CI_TARGETS += conformance conformance-prism spec-breaking

OASDIFF_BIN := bin/oasdiff
RELEASED_SPEC := api/released/openapi.yaml

.PHONY: conformance
conformance: ## The main job: every scenario against the embedded simulator, every exchange validated.
	$(GO) run ./cmd/csconnect conformance

.PHONY: conformance-prism
conformance-prism: deps-npm ## The suite through `prism proxy --errors` (zero violations), and Prism's mock cross-check.
	$(GO) run ./cmd/csconnect conformance --prism $(NPX)/prism --spec openapi.yaml
	$(GOTEST) -count=1 -run 'Prism' ./conformance/suite ./cmd/csconnect

.PHONY: $(OASDIFF_BIN)
$(OASDIFF_BIN):
	cd tools/oasdiff && $(GO) build -o $(CURDIR)/$(OASDIFF_BIN) github.com/oasdiff/oasdiff

.PHONY: spec-breaking
spec-breaking: $(OASDIFF_BIN) ## Fail when openapi.yaml breaks the last released spec (oasdiff breaking --fail-on ERR).
	$(OASDIFF_BIN) breaking $(RELEASED_SPEC) openapi.yaml --fail-on ERR
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		sed 's/maxLength: 30/maxLength: 20/' openapi.yaml > "$$tmp/broken.yaml" && \
		if $(OASDIFF_BIN) breaking $(RELEASED_SPEC) "$$tmp/broken.yaml" --fail-on ERR > "$$tmp/out" 2>&1; then \
			echo "spec-breaking: the gate let a deliberately breaking change through"; exit 1; \
		fi && grep -q 'max-length-decreased' "$$tmp/out" && \
		echo "spec-breaking: the gate catches a deliberately breaking change (maxLength 30 -> 20)"
