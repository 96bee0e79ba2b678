# Conformance: the suite against the embedded simulator (the project's main job),
# the same suite through Prism, and the breaking-change gate for the spec.
# oasdiff is pinned in its own module (tools/oasdiff) so its dependencies do not
# move the versions the client is built with.

CI_TARGETS += conformance conformance-prism spec-breaking

OASDIFF_BIN := bin/oasdiff
# spec-breaking compares the released documents with the bundled ones, endpoint by
# endpoint across files (composed mode), minus the breaks accepted on purpose.
RELEASED_SPECS := api/released/*.yaml
ACCEPTED_BREAKS := api/released/accepted-breaking-changes.txt
OASDIFF_BREAKING = $(OASDIFF_BIN) breaking --composed '$(RELEASED_SPECS)' "$(1)" --err-ignore $(ACCEPTED_BREAKS) --fail-on ERR

# csconnect runs the suite through its helper binary, csconnect-conformance (the
# suite links kin-openapi, which csconnect itself must not), and `agent` and `fleet`
# through csconnect-agent (the Prometheus exporter); all are built into bin/ so that
# csconnect finds its helpers beside it. mk/fleet.mk and mk/bench.mk use this too.
.PHONY: bin/csconnect-all
bin/csconnect-all:
	$(GO) build -o bin/ ./cmd/csconnect ./cmd/csconnect-conformance ./cmd/csconnect-agent

.PHONY: conformance
conformance: bin/csconnect-all ## The main job: every scenario against the embedded simulator, every exchange validated.
	bin/csconnect conformance

.PHONY: conformance-prism
conformance-prism: deps-npm bin/csconnect-all ## The suite through `prism proxy --errors` (one per document; zero violations), and Prism's mock cross-check.
	bin/csconnect conformance --prism $(NPX)/prism --spec openapi.yaml --service-spec datecheck.yaml
	$(GOTEST) -count=1 -run 'Prism' ./conformance/suite ./cmd/csconnect ./cmd/csconnect-conformance

.PHONY: $(OASDIFF_BIN)
$(OASDIFF_BIN):
	cd tools/oasdiff && $(GO) build -o $(CURDIR)/$(OASDIFF_BIN) github.com/oasdiff/oasdiff

.PHONY: spec-breaking
spec-breaking: $(OASDIFF_BIN) ## Fail when the bundled documents (gen/openapi; check-generated keeps them fresh) break the released ones, beyond api/released/accepted-breaking-changes.txt.
	$(call OASDIFF_BREAKING,gen/openapi/*.yaml)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp gen/openapi/*.yaml "$$tmp/" && \
		sed -i 's/maxLength: 30/maxLength: 20/' "$$tmp/openapi.yaml" && \
		if $(call OASDIFF_BREAKING,$$tmp/*.yaml) > "$$tmp/out" 2>&1; then \
			echo "spec-breaking: the gate let a deliberately breaking change through"; exit 1; \
		fi && grep -q 'max-length-decreased' "$$tmp/out" && \
		echo "spec-breaking: the gate catches a deliberately breaking change (maxLength 30 -> 20)"
