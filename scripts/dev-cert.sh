#!/usr/bin/env bash
# Writes a development certificate for the cluster's TLS (Orleans:Tls:CertificatePath): a
# self-signed certificate with its key, PKCS#12, readable by this user only, valid for a year.
# Every silo and front end of one deployment gets the same file; a process without it can neither
# join the cluster nor call a grain. Does nothing when FILE exists. Development only: a real
# deployment brings its own certificate. Made by the silo itself (no openssl needed).
#
# Usage: scripts/dev-cert.sh FILE [PASSWORD]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
(( $# >= 1 && $# <= 2 )) || { echo "usage: scripts/dev-cert.sh FILE [PASSWORD]" >&2; exit 2; }
[[ -s "$1" ]] && { printf '%s\n' "$1"; exit 0; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dll="src/ReliableMessaging.Silo/bin/${RM_CONFIGURATION:-Release}/net10.0/ReliableMessaging.Silo.dll"
if [[ ! -f "$dll" ]]; then
  echo "dev-cert.sh: building the silo first" >&2
  dotnet build src/ReliableMessaging.Silo/ReliableMessaging.Silo.csproj -c "${RM_CONFIGURATION:-Release}" -nologo -clp:ErrorsOnly >&2
fi
exec dotnet "$dll" dev-cert "$@"
