#!/usr/bin/env bash
# Builds Telegraf from its own Go module with this machine's Go, only the
# plugins the peer benchmark uses (inputs.http, inputs.internal, the json_v2
# parser, outputs.influxdb_v2), and caches the binary outside the repository,
# keyed by version. Prints the binary's path on stdout; progress on stderr.
#
#   scripts/build-telegraf.sh            # builds or reuses $TELEGRAF_VERSION
#   scripts/build-telegraf.sh --check    # exit 0 if cached or buildable here
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/go-module-source.sh
source "$here/lib/go-module-source.sh"

version="${TELEGRAF_VERSION:-v1.37.2}"
module="github.com/influxdata/telegraf"
cache_root="${TELEGRAF_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/iot-edge-cloud/telegraf}"
bin="$cache_root/$version/telegraf"
# Telegraf's "custom" build tag compiles only the plugins named beside it.
tags="custom,inputs.http,inputs.internal,parsers.json_v2,outputs.influxdb_v2"

log() { printf '[build-telegraf] %s\n' "$*" >&2; }

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

for tool in go unzip; do
  command -v "$tool" >/dev/null || { log "missing '$tool': needed to build telegraf $version"; exit 1; }
done
[[ "${1:-}" == "--check" ]] && { log "telegraf $version is not cached yet but can be built here"; exit 0; }

start=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/telegraf-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

log "downloading $module@$version"
src=$(go_module_source "$module" "$version" "$work")
cd "$src"

log "building ($tags)"
mkdir -p "$(dirname "$bin")"
GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -tags "$tags" \
  -ldflags "-s -w -X github.com/influxdata/telegraf/internal.Version=${version#v}" \
  -o "$bin.tmp" ./cmd/telegraf
mv "$bin.tmp" "$bin"
log "built telegraf $version in $(($(date +%s) - start)) s: $bin"
echo "$bin"
