#!/usr/bin/env bash
# Installs the Debian packages that some tests and `make fleet` need (redis-server for
# the shared-store tests). Idempotent: a no-op when every binary is already present;
# otherwise runs `apt-get update` once and installs what is missing. Needs root (CI and
# the dev machines are root); without it, it says what to install and exits 0 so the
# tests that need the package skip with their own message.
set -euo pipefail

# binary:package pairs (nginx: the reference proxy of make bench-agent).
want=(redis-server:redis-server nginx:nginx)

missing=()
for pair in "${want[@]}"; do
	bin=${pair%%:*} pkg=${pair#*:}
	command -v "$bin" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "mk/deps.sh: missing ${missing[*]}; install them (apt-get install ${missing[*]}) or the tests that need them skip" >&2
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "mk/deps.sh: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a system redis on :6379 where an init system runs; the
# tests start their own on free ports and need none.
