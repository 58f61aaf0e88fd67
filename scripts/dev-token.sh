#!/usr/bin/env bash
# Prints a bearer token for the front end of scripts/run.sh, signed with its local key
# (.data/api-signing.key, created by scripts/run.sh on its first run, or here if missing).
#
# Usage: scripts/dev-token.sh [--scopes a,b] [--accounts x,y] [--expires-in 1h] [--subject NAME] [--key-file FILE | --compose]
#   no arguments: every scope (accounts:read, accounts:write, accounts:open, transfers:write) on
#   every account, valid for 1 hour, subject "dev".
#   --scopes      only these scopes
#   --accounts    only these account IDs (claim rm_accounts); any other account is refused with 403
#   --expires-in  lifetime: 90s, 30m, 1h, 7d (at most 30d: a token cannot be revoked)
#   --subject     the caller identity (token "sub") recorded with the operations
#   --key-file    another key file, which must exist (default .data/api-signing.key, made if missing;
#                 or RM_SIGNING_KEY_FILE); a relative path is taken from the current folder
#   --compose     the key docker-compose.yml gives the front end: RM_API_SIGNING_KEY from .env
#                 (scripts/compose-env.sh writes it)
# With RM_API_SIGNING_KEY set (a base64 key), that key is used instead of a file.
#
#   TOKEN=$(scripts/dev-token.sh)
#   curl -H "Authorization: Bearer $TOKEN" localhost:5080/accounts/alice
set -euo pipefail
# A key file named relative to where the caller stands, before the cd to the repository root.
absolute() { [[ "$1" == /* ]] && printf '%s' "$1" || printf '%s/%s' "$(pwd)" "$1"; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
given_key_file=""
[[ -z "${RM_SIGNING_KEY_FILE:-}" ]] || given_key_file="$(absolute "$RM_SIGNING_KEY_FILE")"
args=()
while (( $# )); do
  case "$1" in
    --key-file) (( $# >= 2 )) || { echo "dev-token.sh: --key-file needs a value" >&2; exit 2; }; given_key_file="$(absolute "$2")"; shift 2 ;;
    --compose)
      RM_API_SIGNING_KEY="$(sed -n 's/^RM_API_SIGNING_KEY=//p' "$root/.env" 2>/dev/null | tail -n 1)"
      [[ -n "$RM_API_SIGNING_KEY" ]] || { echo "dev-token.sh: no RM_API_SIGNING_KEY in $root/.env: run scripts/compose-env.sh first" >&2; exit 2; }
      shift ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Only the default key is made here when missing: a key file named on purpose that is not there is a
# mistake (a new key would sign tokens that the front end refuses with 401, and nothing would say why).
key_file="${given_key_file:-$root/.data/api-signing.key}"
if [[ -z "${RM_API_SIGNING_KEY:-}" ]]; then
  if [[ -n "$given_key_file" ]]; then
    [[ -s "$key_file" ]] || { echo "dev-token.sh: no signing key in $key_file" >&2; exit 2; }
  else
    bash scripts/signing-key.sh "$key_file" >/dev/null
  fi
fi

dll="$root/src/ReliableMessaging.Api/bin/Release/net10.0/ReliableMessaging.Api.dll"
if [[ ! -f "$dll" ]]; then
  echo "dev-token.sh: building the front end first" >&2
  dotnet build "$root/src/ReliableMessaging.Api/ReliableMessaging.Api.csproj" -c Release -nologo -clp:ErrorsOnly >&2
fi

# The front end's own token command: same appsettings (issuer, audience), this key.
if [[ -n "${RM_API_SIGNING_KEY:-}" ]]; then
  Auth__SigningKey="$RM_API_SIGNING_KEY" Auth__SigningKeyFile="" Auth__Authority="" exec dotnet "$dll" token "${args[@]}"
fi
Auth__SigningKeyFile="$key_file" Auth__SigningKey="" Auth__Authority="" exec dotnet "$dll" token "${args[@]}"
