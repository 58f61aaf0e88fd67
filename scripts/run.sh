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

# Every port this run listens on must be free: a silo or front end that cannot bind one ends the run
# at once, and a PostgreSQL already serving .data/postgres (scripts/cluster.sh shares it) is not ours.
silo_port=11111 gateway_port=30000 metrics_port="${Telemetry__PrometheusPort:-9464}"
for port in "$silo_port" "$gateway_port" "$metrics_port" "$api_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
    echo "run.sh: port ${port} is in use (is scripts/run.sh or scripts/cluster.sh already running? 'scripts/cluster.sh stop' stops a cluster)" >&2
    exit 1
  fi
done

echo "==> Building"
dotnet build ReliableMessaging.sln -c Release -nologo -clp:ErrorsOnly

# Stop at the end only a server this run started: one already running belongs to whoever started it.
pg_ours=1
if bash scripts/postgres.sh status --dir "$pg_dir" >/dev/null 2>&1; then
  pg_ours=0
  echo "    (already running: left running when this run stops)"
fi

pids=()
exit_status=0
stop_all() {
  trap - INT TERM EXIT
  # A second Ctrl-C or a TERM while the silo shuts down (it can take half a minute) must not leave
  # PostgreSQL running.
  trap '' INT TERM
  echo
  echo "==> Stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # A process that has not stopped within a minute is killed.
  local waited=0
  while (( waited < 60 )); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 1
    waited=$((waited + 1))
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if (( pg_ours )); then
    bash scripts/postgres.sh stop --dir "$pg_dir" >/dev/null || true
    echo "==> Stopped. Data kept in .data/postgres."
  else
    echo "==> Stopped. PostgreSQL was already running before this run and is still running."
  fi
  exit "$exit_status"
}
trap 'exit_status=130; stop_all' INT
trap 'exit_status=143; stop_all' TERM
trap stop_all EXIT

echo "==> Starting PostgreSQL on 127.0.0.1:${pg_port} (data in .data/postgres)"
mkdir -p "$root/.data"
bash scripts/signing-key.sh "$Auth__SigningKeyFile" >/dev/null
bash scripts/postgres.sh start --dir "$pg_dir" --port "$pg_port" >/dev/null

echo "==> Starting the silo (silo port ${silo_port}, gateway ${gateway_port}, metrics on http://127.0.0.1:${metrics_port}/metrics)"
Telemetry__PrometheusPort="$metrics_port" dotnet src/ReliableMessaging.Silo/bin/Release/net10.0/ReliableMessaging.Silo.dll &
pids+=($!)

echo "==> Starting the front end on http://localhost:${api_port}"
# rm_frontend: the front end only reads the gateway list, and its role can write nothing.
ConnectionStrings__ReliableMessaging="Host=127.0.0.1;Port=${pg_port};Database=reliablemessaging;Username=rm_frontend" \
  Urls="http://127.0.0.1:${api_port}" dotnet src/ReliableMessaging.Api/bin/Release/net10.0/ReliableMessaging.Api.dll &
pids+=($!)

echo "==> Running. API: http://localhost:${api_port}/accounts  OpenAPI: http://localhost:${api_port}/openapi/v1.json"
echo "    Dashboard: http://localhost:${api_port}/dashboard/ (user 'operator', password '${Dashboard__Password}')"
echo "    Metrics (Prometheus): http://localhost:${api_port}/metrics (front end), http://127.0.0.1:${metrics_port}/metrics (silo)"
echo "    Token: TOKEN=\$(scripts/dev-token.sh), then curl -H \"Authorization: Bearer \$TOKEN\" http://localhost:${api_port}/accounts/alice"
echo "    Press Ctrl-C to stop."
# Returns when the silo or the front end ends on its own (a signal runs its trap instead): that is a
# failure, and the run's exit status says so.
wait -n "${pids[@]}" && ended=0 || ended=$?
echo "run.sh: a process of the run ended on its own (exit ${ended}); stopping the rest" >&2
exit_status=$(( ended == 0 ? 1 : ended ))
