#!/usr/bin/env bash
# Audits the journal: for every account (or the accounts named), the committed balance must equal
# the sum of its journal rows, with every record present exactly once (sequences 1..N, no gaps).
#   scripts/audit.sh [ACCOUNT_ID ...]
#   scripts/audit.sh resolve-held-transfer [--by OPERATOR] SOURCE_ACCOUNT TRANSFER_ID completed|refunded REASON...
#     (an operator ends a transfer held because its destination cannot tell whether the credit
#     landed, error 1029; see README "A held transfer's way out")
# Reads the same configuration as the silo (silo-config/appsettings.json, overridable with
# environment variables such as ConnectionStrings__ReliableMessaging), so on the embedded default it
# audits what scripts/run.sh is running. Exit code: 0 clean, 1 differences, 2 could not run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# A build that fails is "could not run" (2), not "differences" (1, what dotnet run would exit with).
dotnet build src/ReliableMessaging.Audit -c Release -nologo -clp:ErrorsOnly >&2 || exit 2
exec dotnet run --no-build --project src/ReliableMessaging.Audit -c Release -- "$@"
