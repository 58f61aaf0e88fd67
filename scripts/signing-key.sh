#!/usr/bin/env bash
# Creates the front end's local token signing key at FILE unless it exists: 32 random bytes,
# base64, readable by this user only. Prints the path. Development and test use only; it is
# never committed (.data/ is git-ignored).
#
# Usage: scripts/signing-key.sh FILE
set -euo pipefail
(( $# == 1 )) || { echo "usage: scripts/signing-key.sh FILE" >&2; exit 2; }
file="$1"
if [[ ! -s "$file" ]]; then
  mkdir -p "$(dirname "$file")"
  (umask 077; head -c 32 /dev/urandom | base64 -w0 >"$file.tmp" && mv "$file.tmp" "$file")
  echo "signing-key.sh: created a local token signing key in $file" >&2
fi
printf '%s\n' "$file"
