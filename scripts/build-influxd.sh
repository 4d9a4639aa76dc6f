#!/usr/bin/env bash
# Builds influxd (InfluxDB 2.x OSS, no UI) from InfluxDB's own Go module with
# this machine's Go and Rust toolchains, and caches the binary outside the
# repository, keyed by version. Prints the binary's path on stdout; all
# progress goes to stderr. Only the first run on a machine pays for the build.
#
#   scripts/build-influxd.sh            # builds or reuses $INFLUXDB_VERSION
#   INFLUXDB_VERSION=v2.7.12 scripts/build-influxd.sh
#   scripts/build-influxd.sh --check    # exit 0 if cached or buildable here
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/go-module-source.sh
source "$here/lib/go-module-source.sh"

# v2.8.0 is the newest 2.x whose dependencies the Go module proxy serves:
# v2.10.0 needs flux v0.201.0, which the proxy refuses (403).
version="${INFLUXDB_VERSION:-v2.8.0}"
module="github.com/influxdata/influxdb/v2"
cache_root="${INFLUXD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/iot-edge-cloud/influxd}"
bin="$cache_root/$version/influxd"

log() { printf '[build-influxd] %s\n' "$*" >&2; }

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

for tool in go cargo unzip curl; do
  command -v "$tool" >/dev/null || { log "missing '$tool': needed to build influxd $version"; exit 1; }
done
[[ "${1:-}" == "--check" ]] && { log "influxd $version is not cached yet but can be built here"; exit 0; }

start=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/influxd-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

log "downloading $module@$version"
src=$(go_module_source "$module" "$version" "$work")
cd "$src"

# A release may demand a newer Go patch release than this machine has . Patch releases do not change
# the language, so lower the directive to the local toolchain rather than
# download another toolchain (which GOTOOLCHAIN=local forbids anyway).
local_go=$(go env GOVERSION | sed 's/^go//')
wanted_go=$(sed -n 's/^go \([0-9.]*\)$/\1/p' go.mod)
if [[ "$(printf '%s\n%s\n' "$wanted_go" "$local_go" | sort -V | tail -1)" != "$local_go" ]]; then
  log "go.mod asks for go $wanted_go; building with local go $local_go"
  sed -i "s/^go $wanted_go\$/go $local_go/; /^toolchain /d" go.mod
fi

# Flux's Rust library is compiled by InfluxData's pkg-config wrapper (cgo
# calls it through PKG_CONFIG). Flux may pin a Rust toolchain that is not
# installed: use the installed stable one, and keep newer lints as warnings
# (through a rustc wrapper: see rustc-cap-lints.sh for why not RUSTFLAGS).
export GOTOOLCHAIN=local
chmod +x scripts/pkg-config.sh  # zips carry no exec bits
export PKG_CONFIG="$src/scripts/pkg-config.sh"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-stable}"
export RUSTC_WRAPPER="$here/rustc-cap-lints.sh"
export CGO_ENABLED=1

# InfluxDB's GNUmakefile uses COMMON_TAGS on every build and adds `assets`
# only to embed the UI, which is not needed here.
tags=$(sed -n 's/^COMMON_TAGS := //p' GNUmakefile)
[[ -n "$tags" ]] || tags="sqlite_foreign_keys,sqlite_json"
ldflags="-s -w -X main.version=$version -X main.commit=release-$version -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

log "building ./cmd/influxd (tags: $tags); the first build compiles Flux's Rust code and takes a while"
go build -tags "$tags" -ldflags "$ldflags" -o "$work/influxd" ./cmd/influxd >&2

"$work/influxd" version >&2
mkdir -p "$(dirname "$bin")"
mv "$work/influxd" "$bin.tmp.$$" && mv "$bin.tmp.$$" "$bin"
log "built $bin in $(( $(date +%s) - start )) s"
echo "$bin"
