# Sourced by the build scripts: go_module_source <module> <version> <work dir>
# fetches the module's zip from the Go module proxy and unpacks a writable
# copy into <work dir>; prints the source folder. `go install module@version`
# refuses modules with replace directives, hence a build from the source.
go_module_source() {
  local module="$1" version="$2" work="$3" zip
  # go reports an error when the module asks for a newer Go (the callers handle
  # that) but still fetches the zip, so read the path rather than the exit code.
  zip=$( (GOTOOLCHAIN=local go mod download -json "$module@$version" || true) \
    | sed -n 's/^[[:space:]]*"Zip": "\(.*\)",\{0,1\}$/\1/p')
  [[ -f "$zip" ]] || { printf 'go mod download gave no zip for %s@%s\n' "$module" "$version" >&2; return 1; }
  unzip -q "$zip" -d "$work"
  chmod -R u+w "$work/$module@$version"
  printf '%s\n' "$work/$module@$version"
}
