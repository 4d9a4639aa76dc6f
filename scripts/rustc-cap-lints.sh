#!/usr/bin/env bash
# RUSTC_WRAPPER for the influxd build: Flux's crates `deny(warnings)`, and a
# newer rustc than Flux pins adds lints that then fail the build. RUSTFLAGS
# cannot fix this, since cargo does not pass it to host crates (flux-core is
# a build dependency) when --target is given; a wrapper sees every rustc call.
rustc="$1"; shift
for arg in "$@"; do
  [[ "$arg" == --cap-lints* ]] && exec "$rustc" "$@"
done
case " $* " in
  *" --crate-name "*) exec "$rustc" "$@" --cap-lints=warn ;;
  *) exec "$rustc" "$@" ;;
esac
