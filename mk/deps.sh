#!/usr/bin/env bash
# Installs the Debian packages that some tests and targets need: redis-server for the
# shared-store tests and `make fleet`; chromium for `make docs-check`; a JDK for
# `make spec-java` (the libraries its javac compiles against come from npm). Idempotent: a
# no-op when every binary or file is already present;
# otherwise runs `apt-get update` once and installs what is missing. Needs root (CI and
# the dev machines are root); without it, it says what to install and exits 0 so the
# tests that need the package skip with their own message.
set -euo pipefail

# binary:package pairs; a binary given as an absolute path is a file to look for
# (nginx: the reference proxy of make bench-agent).
want=(
	redis-server:redis-server
	chromium:chromium
	javac:openjdk-17-jdk-headless
	nginx:nginx
)

missing=()
for pair in "${want[@]}"; do
	bin=${pair%%:*} pkg=${pair#*:}
	case $bin in
	/*) [ -e "$bin" ] || missing+=("$pkg") ;;
	*) command -v "$bin" >/dev/null 2>&1 || missing+=("$pkg") ;;
	esac
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
