# Authenticate (issue 3). `make test` already runs every fuzz target over its seed
# corpus (the wire fixtures in pkg/csconnect/testdata/errors and the preflight
# boundaries); `make fuzz` explores beyond them. Crashers land in
# pkg/csconnect/testdata/fuzz/<Target>/ and then run in every `make test`.

FUZZ_TIME    ?= 2m
FUZZ_TARGETS ?= FuzzDecodeError FuzzPreflight FuzzReadTimeClaims FuzzJWTShape FuzzRetryAfter FuzzAuthenticate200

.PHONY: fuzz
fuzz: ## Fuzz the error decoder, the credential preflight and the token readers for FUZZ_TIME each (default 2m).
	@for f in $(FUZZ_TARGETS); do \
		echo "==> $$f ($(FUZZ_TIME))"; \
		$(GOTEST) -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZ_TIME) ./pkg/csconnect || exit 1; \
	done
