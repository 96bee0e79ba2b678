# The HTML API reference (issue 12, "Docs that open anywhere"). `make docs` writes one
# self-contained file, docs/index.html: each of DOCS_SPECS bundled to JSON by Redocly,
# rendered by the pinned npm `redoc` standalone bundle, all inline (tools/docs/build.mjs),
# with a Content-Security-Policy that forbids any network fetch. `make docs-check` opens
# it from file:// in headless Chromium with the network off and checks what it shows.

CI_TARGETS += docs-check

# The spec documents to render, in order, all into the one file.
DOCS_SPECS ?= openapi.yaml datecheck.yaml
DOCS_OUT   ?= docs/index.html
DOCS_BUILD := build/docs
# No telemetry or update check from the Redocly CLI.
REDOCLY_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

.PHONY: docs
docs: deps-npm ## Render DOCS_SPECS into one self-contained, offline HTML reference: docs/index.html.
	@rm -rf $(DOCS_BUILD) && mkdir -p $(DOCS_BUILD)
	@set -e; i=0; for spec in $(DOCS_SPECS); do \
		i=$$((i+1)); name=$$(printf '%02d' $$i)-$$(basename "$$spec" | sed 's/\.[^.]*$$//'); \
		$(REDOCLY_ENV) $(NPX)/redocly bundle "$$spec" --config redocly.yaml --ext json \
			--output $(DOCS_BUILD)/$$name.json >$(DOCS_BUILD)/$$name.log 2>&1 \
			|| { cat $(DOCS_BUILD)/$$name.log; exit 1; }; \
	done
	node tools/docs/build.mjs --redoc node_modules/redoc/bundles/redoc.standalone.js \
		--out $(DOCS_OUT) $$(ls $(DOCS_BUILD)/*.json)

.PHONY: docs-check
docs-check: docs deps ## Open docs/index.html in headless Chromium, network off: every operation, host, rate-limit rule and error is shown, no request made.
	cd tools/docscheck && DOCS_HTML=$(CURDIR)/$(DOCS_OUT) DOCS_JSON_DIR=$(CURDIR)/$(DOCS_BUILD) $(GO) test -count=1 -v ./...
