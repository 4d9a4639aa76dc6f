#!/usr/bin/env bash
# Development TLS material, made with openssl: a CA and a server certificate
# it signs, for localhost and 127.0.0.1 (plus DEV_CERT_SANS, e.g.
# "DNS:influxdb,DNS:api"). Idempotent: an existing set that still verifies,
# covers the asked names and is valid for 30 more days is kept as is.
#
#   scripts/dev-certs.sh [folder]        # default .local/certs
#
# Writes ca.key, ca.crt (trust this one: INFLUX_CA_FILE, IOT_API_CA_FILE,
# NODE_EXTRA_CA_CERTS, curl --cacert), server.key, server.crt (API_TLS_*,
# influxd --tls-cert/--tls-key). Never use these outside development.
set -euo pipefail

dir="${1:-.local/certs}"
sans="DNS:localhost,IP:127.0.0.1${DEV_CERT_SANS:+,$DEV_CERT_SANS}"
days=825

mkdir -p "$dir"
cd "$dir"

valid() {
  [[ -s ca.key && -s ca.crt && -s server.key && -s server.crt && -s sans.txt ]] || return 1
  [[ "$(cat sans.txt)" == "$sans" ]] || return 1
  openssl x509 -in ca.crt -noout -checkend $((30 * 86400)) >/dev/null || return 1
  openssl x509 -in server.crt -noout -checkend $((30 * 86400)) >/dev/null || return 1
  openssl verify -CAfile ca.crt server.crt >/dev/null 2>&1 || return 1
  # The key must belong to the certificate.
  [[ "$(openssl x509 -in server.crt -noout -pubkey)" == "$(openssl pkey -in server.key -pubout)" ]]
}

if valid; then
  echo "dev-certs: $PWD is up to date"
  exit 0
fi

umask 077
rm -f ca.key ca.crt ca.srl server.key server.csr server.crt sans.txt
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
  -keyout ca.key -out ca.crt -subj "/CN=iot-edge-cloud development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
ext="$(mktemp)"
trap 'rm -f "$ext"' EXIT
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth" "subjectAltName=$sans" >"$ext"
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
  -extfile "$ext" -out server.crt 2>/dev/null
rm -f server.csr ca.srl
# Certificates are public; keys stay private to the user.
chmod 644 ca.crt server.crt
printf '%s' "$sans" >sans.txt
echo "dev-certs: wrote $PWD/{ca.crt,ca.key,server.crt,server.key} for $sans"
