# csconnect's front door. Every target installs what it needs: Go tools come from
# go.mod (pinned in tools.go) through `go run`, npm tools from package-lock.json into
# node_modules/. Per-area targets live in mk/*.mk, included below.

GO       ?= go
NPM      ?= npm
NPX      := $(CURDIR)/node_modules/.bin
GOTEST   ?= $(GO) test
# CI_TARGETS is what `make ci` (and so .ci/run) runs; mk/*.mk files append to it.
CI_TARGETS := test check-generated lint lint-spec spec-consumers docs

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN{FS=":.*## "}{printf "  %-18s %s\n", $$1, $$2}'

# The contract: two documents, one server each, and the error components they share.
SPEC_DOCS := openapi.yaml datecheck.yaml
SPEC_BUNDLES := $(addprefix gen/openapi/,$(SPEC_DOCS))

.PHONY: generate
generate: deps-npm ## Bundle each document into gen/openapi/ (Redocly) and regenerate the Go packages in gen/ (oapi-codegen).
	$(GO) generate ./api

.PHONY: check-generated
check-generated: generate ## Fail when gen/ differs from a fresh generation.
	@git diff --exit-code --stat -- gen/ && test -z "$$(git status --porcelain --untracked-files=all -- gen/)" \
		|| { echo "gen/ is stale: run 'make generate' and commit the result"; exit 1; }

.PHONY: test
test: deps-npm ## Run every test that needs no network but loopback, with the race detector.
	$(GOTEST) -race -count=1 ./...

.PHONY: lint
lint: ## go vet and staticcheck (pinned in go.mod).
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck ./...

# deps-npm reinstalls only when package-lock.json's content differs from the one last
# installed (a copy kept in node_modules/), not by file times, which a checkout or
# merge changes without changing what is pinned.
.PHONY: deps-npm
deps-npm: ## Install the pinned npm tools into node_modules/.
	@cmp -s package-lock.json node_modules/.csconnect-installed-lock.json 2>/dev/null || { \
		$(NPM) ci --no-audit --no-fund --loglevel=error && \
		cp package-lock.json node_modules/.csconnect-installed-lock.json; }

.PHONY: lint-spec
lint-spec: deps-npm ## Lint each document and its bundle with Spectral (spectral:oas) and Redocly (recommended); warnings fail.
	$(NPX)/spectral lint --ruleset .spectral.yaml --fail-severity=warn --display-only-failures $(SPEC_DOCS) $(SPEC_BUNDLES)
	@for d in $(SPEC_DOCS) $(SPEC_BUNDLES); do \
		out=$$($(NPX)/redocly lint --config redocly.yaml --format=stylish $$d 2>&1); rc=$$?; echo "$$out" | grep -v '[║╔╚]'; \
		if [ $$rc -ne 0 ] || echo "$$out" | grep -qiE '[0-9]+ (warning|error)s?'; then echo "redocly: problems found in $$d"; exit 1; fi; \
	done

# docs and docs-check live in mk/docs.mk.

.PHONY: ci
ci: ## What .ci/run runs: $(CI_TARGETS).
	@for t in $(CI_TARGETS); do echo "==> make $$t"; $(MAKE) --no-print-directory $$t || exit 1; done

-include mk/*.mk
