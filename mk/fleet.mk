# The Redis-backed token store's system dependency and the fleet demonstration
# (issue 6). See the "fleet" section of README.md.

.PHONY: deps
deps: ## Install the Debian packages some tests need (redis-server); needs root, no-op when present.
	bash mk/deps.sh
