#!/usr/bin/env bash
# Writes the secrets docker-compose.yml requires into FILE (default: .env beside it, which
# docker compose reads by itself): a random value for each one FILE does not define yet. Values
# already there are kept (PostgreSQL keeps the passwords it was first given in its data volume).
# The file is readable by this user only and git-ignored. Prints the path.
#
# Usage: scripts/compose-env.sh [FILE]
#   scripts/compose-env.sh && docker compose up -d --build
#   TOKEN=$(scripts/dev-token.sh --compose)   # a token signed with the key in .env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
(( $# <= 1 )) || { echo "usage: scripts/compose-env.sh [FILE]" >&2; exit 2; }
file="${1:-.env}"

password() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32; }
key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }

# Every secret docker-compose.yml requires (${NAME:?...}); a test keeps this list and the file in step.
declare -A secrets=(
  [RM_POSTGRES_PASSWORD]=password
  [RM_APP_DB_PASSWORD]=password
  [RM_FRONTEND_DB_PASSWORD]=password
  [RM_DASHBOARD_PASSWORD]=password
  [RM_GRAFANA_PASSWORD]=password
  [RM_API_SIGNING_KEY]=key
)

(umask 077; touch "$file")
chmod 600 "$file"
# A file edited by hand may lack its last newline: the next line must not be glued onto it.
if [[ -s "$file" && -n "$(tail -c 1 "$file")" ]]; then
  printf '\n' >>"$file"
fi
added=0
for name in $(printf '%s\n' "${!secrets[@]}" | sort); do
  if ! grep -q "^${name}=." "$file"; then
    # Missing or empty (compose's ${NAME:?} refuses an empty value too): drop an empty line, add a value.
    # The copy holds every secret so far: created readable by its owner only, never for a moment by others.
    (umask 077; grep -v "^${name}=\$" "$file" >"$file.tmp") || true
    mv "$file.tmp" "$file"
    chmod 600 "$file"
    printf '%s=%s\n' "$name" "$("${secrets[$name]}")" >>"$file"
    added=$((added + 1))
  fi
done
echo "compose-env.sh: $added new secret(s) in $file" >&2
printf '%s\n' "$file"
