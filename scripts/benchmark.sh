#!/usr/bin/env bash
# Runs the benchmark (pgbench baseline and every scenario, side by side on one local PostgreSQL)
# and writes docs/benchmarks.md. Extra arguments: --duration S --warmup S --window N.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build ReliableMessaging.sln -c Release -nologo -clp:ErrorsOnly
dotnet src/ReliableMessaging.Benchmarks/bin/Release/net10.0/ReliableMessaging.Benchmarks.dll --out docs/benchmarks.md "$@"
