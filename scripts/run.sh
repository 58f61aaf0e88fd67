#!/usr/bin/env bash
# Runs ReliableMessaging on its embedded default: a local PostgreSQL from this machine's binaries
# with its data in .data/postgres (kept between runs), the schema applied, the silo, and the
# HTTP front end with the Orleans Dashboard on http://localhost:5080.
# Ctrl-C stops everything cleanly; the next run finds the accounts where they were.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"

pg_dir="$root/.data/postgres"
pg_port="${RM_POSTGRES_PORT:-54329}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
api_port="${RM_API_PORT:-5080}"
export Dashboard__Password="${RM_DASHBOARD_PASSWORD:-dashboard}"
# The front end checks bearer tokens against a local key made on the first run (scripts/dev-token.sh signs with it).
export Auth__SigningKeyFile="$root/.data/api-signing.key"
# rm_app: the least-privilege role the schema creates for silos (silo-config/sql/50-roles.sql).
export ConnectionStrings__ReliableMessaging="Host=127.0.0.1;Port=${pg_port};Database=reliablemessaging;Username=rm_app"

echo "==> Building"
dotnet build ReliableMessaging.sln -c Release -nologo -clp:ErrorsOnly

echo "==> Starting PostgreSQL on 127.0.0.1:${pg_port} (data in .data/postgres)"
mkdir -p "$root/.data"
bash scripts/signing-key.sh "$Auth__SigningKeyFile" >/dev/null
bash scripts/postgres.sh start --dir "$pg_dir" --port "$pg_port" >/dev/null

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "==> Stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/postgres.sh stop --dir "$pg_dir" >/dev/null || true
  echo "==> Stopped. Data kept in .data/postgres."
}
trap stop_all INT TERM EXIT

echo "==> Starting the silo (silo port 11111, gateway 30000, metrics on http://127.0.0.1:9464/metrics)"
Telemetry__PrometheusPort="${Telemetry__PrometheusPort:-9464}" dotnet src/ReliableMessaging.Silo/bin/Release/net10.0/ReliableMessaging.Silo.dll &
pids+=($!)

echo "==> Starting the front end on http://localhost:${api_port}"
# rm_frontend: the front end only reads the gateway list, and its role can write nothing.
ConnectionStrings__ReliableMessaging="Host=127.0.0.1;Port=${pg_port};Database=reliablemessaging;Username=rm_frontend" \
  Urls="http://127.0.0.1:${api_port}" dotnet src/ReliableMessaging.Api/bin/Release/net10.0/ReliableMessaging.Api.dll &
pids+=($!)

echo "==> Running. API: http://localhost:${api_port}/accounts  OpenAPI: http://localhost:${api_port}/openapi/v1.json"
echo "    Dashboard: http://localhost:${api_port}/dashboard/ (user 'operator', password '${Dashboard__Password}')"
echo "    Metrics (Prometheus): http://localhost:${api_port}/metrics (front end), http://127.0.0.1:9464/metrics (silo)"
echo "    Token: TOKEN=\$(scripts/dev-token.sh), then curl -H \"Authorization: Bearer \$TOKEN\" http://localhost:${api_port}/accounts/alice"
echo "    Press Ctrl-C to stop."
wait -n "${pids[@]}" || true
