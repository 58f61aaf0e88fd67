#!/usr/bin/env bash
# Runs ReliableMessaging as a silo cluster on this host: N silos (default 3) and the HTTP front end
# as separate processes on 127.0.0.1, against a local PostgreSQL started through scripts/postgres.sh.
#
# Usage:
#   scripts/cluster.sh [options] start [N]        build (unless --no-build), start PostgreSQL, N silos, the front end
#   scripts/cluster.sh [options] stop             stop the front end, the silos and PostgreSQL
#   scripts/cluster.sh [options] status           one line per process; exit 1 if any is down
#   scripts/cluster.sh [options] kill K           SIGKILL silo K (no shutdown, as a crash)
#   scripts/cluster.sh [options] restart K        start silo K again (stopping it first if it runs)
#   scripts/cluster.sh [options] pause K          SIGSTOP silo K (alive, sockets open, answering nothing: a gray failure)
#   scripts/cluster.sh [options] resume K         SIGCONT silo K (it finds itself declared dead and stops)
#   scripts/cluster.sh [options] wait-exit K [S]  wait up to S seconds (default 30) for silo K's process to end; exit 1 if it still runs
#   scripts/cluster.sh [options] hang-db-path K   silo K's way to PostgreSQL delivers nothing and closes nothing (needs --db-path-proxies)
#   scripts/cluster.sh [options] heal-db-path K   cut the connections that lived through the hang and forward new ones again
#   scripts/cluster.sh [options] restart-postgres [SECONDS_DOWN]   fast-stop PostgreSQL, wait, start it
#   scripts/cluster.sh [options] terminate-backends   kill the service database's connections (storage faults)
#   scripts/cluster.sh [options] membership       the membership table rows of the cluster
#   scripts/cluster.sh [options] token [ARGS]     a bearer token for this cluster's front end (ARGS as scripts/dev-token.sh)
#   scripts/cluster.sh [options] audit [ACCOUNT...]   every account's balance against its journal (exit 1 on a difference)
#
# Options (or environment variables), read by `start` and remembered in RUN_DIR/cluster.env:
#   --run-dir DIR        RM_CLUSTER_DIR         logs, pid files, settings (default .data/cluster)
#   --pg-dir DIR         RM_POSTGRES_DIR        PostgreSQL data (default .data/postgres, as scripts/run.sh)
#   --pg-port PORT       RM_POSTGRES_PORT       PostgreSQL port (default 54329)
#   --silo-port PORT     RM_SILO_BASE_PORT      silo K listens on PORT+K-1 (default 11111)
#   --gateway-port PORT  RM_GATEWAY_BASE_PORT   silo K's gateway is PORT+K-1 (default 30000)
#   --api-port PORT      RM_API_PORT            the front end, http://127.0.0.1:PORT (default 5080)
#   --configuration C    RM_CONFIGURATION       Release (default) or Debug build to run
#   --no-build                                  run what is built (tests: scripts/test.sh built it)
#   --clock-offsets LIST RM_SILO_CLOCK_OFFSETS  shift silo K's clock by the K-th entry (Faults:ClockOffset, a test and
#                                               chaos setting), e.g. -00:00:02,00:00:00,00:00:02; each shorter than
#                                               Accounts:MaxClockSkew (default none: every silo on the system clock)
#   --silo-pg-ports LIST RM_SILO_PG_PORTS       silo K reaches PostgreSQL on the K-th entry instead of --pg-port (a test
#                                               and chaos setting: a proxy there can hang one silo's way to the database),
#                                               e.g. ,54400 for silo 2 only (default none: every silo on --pg-port)
#   --db-path-proxies    RM_DB_PATH_PROXIES=1   put a proxy (ReliableMessaging.FaultProxy) on each silo's way to PostgreSQL, for
#                                               hang-db-path and heal-db-path (a test and chaos setting; not with --silo-pg-ports)
#   --owner-pid PID                             stop everything when process PID exits
# The front end checks bearer tokens against RUN_DIR/api-signing.key (created on the first start);
# `token` prints one for it (the chaos test gives it to the ATM simulator as RM_API_TOKEN). Silos and
# the front end talk over mutual TLS with RUN_DIR/cluster-tls.pfx (scripts/dev-cert.sh, first start).
# Silos run with DOTNET_ENVIRONMENT=Cluster (silo-config/appsettings.Cluster.json); only their ports
# and names are per silo (and their clock offsets and PostgreSQL ports). Other Orleans__*/Accounts__*/DatabasePath__*
# variables in the environment reach them too. Requires jq (it reads the JSON configuration) and psql.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

die() { echo "cluster.sh: $*" >&2; exit 1; }
log() { echo "cluster.sh: $*" >&2; }
usage() { sed -n '2,45p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

abs_path() {
  local dir="$1"
  [[ "$dir" = /* ]] || dir="$REPO_ROOT/$dir"
  printf '%s' "${dir%/}"
}

check_number() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1 must be a number, not '$2'"; }

run_dir="$(abs_path "${RM_CLUSTER_DIR:-.data/cluster}")"
opt_pg_dir="" opt_pg_port="" opt_silo_port="" opt_gateway_port="" opt_api_port="" opt_configuration="" opt_clock_offsets="" opt_silo_pg_ports="" opt_db_path_proxies=""
no_build=0 owner_pid=""

while (( $# )); do
  case "$1" in
    --run-dir) (( $# >= 2 )) || die "$1 needs a value"; run_dir="$(abs_path "$2")"; shift 2 ;;
    --pg-dir) (( $# >= 2 )) || die "$1 needs a value"; opt_pg_dir="$2"; shift 2 ;;
    --pg-port) (( $# >= 2 )) || die "$1 needs a value"; opt_pg_port="$2"; shift 2 ;;
    --silo-port) (( $# >= 2 )) || die "$1 needs a value"; opt_silo_port="$2"; shift 2 ;;
    --gateway-port) (( $# >= 2 )) || die "$1 needs a value"; opt_gateway_port="$2"; shift 2 ;;
    --api-port) (( $# >= 2 )) || die "$1 needs a value"; opt_api_port="$2"; shift 2 ;;
    --configuration) (( $# >= 2 )) || die "$1 needs a value"; opt_configuration="$2"; shift 2 ;;
    --clock-offsets) (( $# >= 2 )) || die "$1 needs a value"; opt_clock_offsets="$2"; shift 2 ;;
    --silo-pg-ports) (( $# >= 2 )) || die "$1 needs a value"; opt_silo_pg_ports="$2"; shift 2 ;;
    --db-path-proxies) opt_db_path_proxies=1; shift ;;
    --no-build) no_build=1; shift ;;
    --owner-pid) (( $# >= 2 )) || die "$1 needs a value"; owner_pid="$2"; shift 2 ;;
    -h|--help|help) usage ;;
    --*) die "unknown option $1" ;;
    *) break ;;
  esac
done
(( $# )) || usage
command="$1"; shift

settings="$run_dir/cluster.env"

# `start` decides the settings; every later command reads them back, so `kill 2` needs only --run-dir.
load_settings() {
  [[ -f "$settings" ]] || die "no cluster started in $run_dir (run 'start' first)"
  # shellcheck source=/dev/null
  source "$settings"
}

decide_settings() {
  PG_DIR="$(abs_path "${opt_pg_dir:-${RM_POSTGRES_DIR:-.data/postgres}}")"
  PG_PORT="${opt_pg_port:-${RM_POSTGRES_PORT:-54329}}"
  SILO_BASE_PORT="${opt_silo_port:-${RM_SILO_BASE_PORT:-11111}}"
  GATEWAY_BASE_PORT="${opt_gateway_port:-${RM_GATEWAY_BASE_PORT:-30000}}"
  API_PORT="${opt_api_port:-${RM_API_PORT:-5080}}"
  CONFIGURATION="${opt_configuration:-${RM_CONFIGURATION:-Release}}"
  CLOCK_OFFSETS="${opt_clock_offsets:-${RM_SILO_CLOCK_OFFSETS:-}}"
  SILO_PG_PORTS="${opt_silo_pg_ports:-${RM_SILO_PG_PORTS:-}}"
  DB_PATH_PROXIES="${opt_db_path_proxies:-${RM_DB_PATH_PROXIES:-0}}"
  [[ "$DB_PATH_PROXIES" =~ ^[01]$ ]] || die "RM_DB_PATH_PROXIES must be 0 or 1, not '$DB_PATH_PROXIES'"
  [[ "$DB_PATH_PROXIES" == 0 || -z "$SILO_PG_PORTS" ]] || die "--db-path-proxies decides the silos' PostgreSQL ports: drop --silo-pg-ports"
  check_number --pg-port "$PG_PORT"
  check_number --silo-port "$SILO_BASE_PORT"
  check_number --gateway-port "$GATEWAY_BASE_PORT"
  check_number --api-port "$API_PORT"
  [[ "$CONFIGURATION" =~ ^(Release|Debug)$ ]] || die "--configuration must be Release or Debug"
  local offset offsets
  if [[ -n "$CLOCK_OFFSETS" ]]; then
    IFS=',' read -r -a offsets <<<"$CLOCK_OFFSETS"
    for offset in "${offsets[@]}"; do
      # A TimeSpan as the silo's configuration reads it ([-][d.]hh:mm:ss[.fff]); empty leaves that silo alone.
      [[ -z "$offset" || "$offset" =~ ^-?([0-9]+\.)?[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?$ ]] \
        || die "--clock-offsets: '$offset' is not a time span such as -00:00:02"
    done
  fi
  local port ports
  IFS=',' read -r -a ports <<<"$SILO_PG_PORTS"
  for port in "${ports[@]}"; do
    [[ -z "$port" ]] || check_number --silo-pg-ports "$port"
  done
  # The cluster's identity comes from the cluster profile (or the environment), as the silos see it.
  CLUSTER_ID="${Orleans__ClusterId:-$(json_value "$REPO_ROOT/silo-config/appsettings.Cluster.json" '.Orleans.ClusterId')}"
  [[ -n "$CLUSTER_ID" ]] || CLUSTER_ID="$(json_value "$REPO_ROOT/silo-config/appsettings.json" '.Orleans.ClusterId')"
  [[ -n "$CLUSTER_ID" ]] || die "no Orleans:ClusterId in silo-config"
}

save_settings() {
  mkdir -p "$run_dir"
  {
    printf 'PG_DIR=%q\nPG_PORT=%q\nSILO_BASE_PORT=%q\nGATEWAY_BASE_PORT=%q\n' "$PG_DIR" "$PG_PORT" "$SILO_BASE_PORT" "$GATEWAY_BASE_PORT"
    printf 'API_PORT=%q\nCONFIGURATION=%q\nCLUSTER_ID=%q\nSILO_COUNT=%q\n' "$API_PORT" "$CONFIGURATION" "$CLUSTER_ID" "$SILO_COUNT"
    printf 'CLOCK_OFFSETS=%q\nSILO_PG_PORTS=%q\nDB_PATH_PROXIES=%q\n' "$CLOCK_OFFSETS" "$SILO_PG_PORTS" "$DB_PATH_PROXIES"
  } >"$settings"
}

require_jq() { command -v jq >/dev/null 2>&1 || die "jq not found: it reads the JSON configuration (Debian: apt-get install -y jq)"; }

# The string at jq path $2 of JSON file $1 (e.g. '.Orleans.ClusterId'); empty when the file or the value is missing.
json_value() {
  [[ -f "$1" ]] || return 0
  require_jq
  jq -r "($2 // empty) | strings" "$1"
}

# Silo K's clock offset (the K-th entry of CLOCK_OFFSETS), empty when it has none.
clock_offset() {
  local offsets
  IFS=',' read -r -a offsets <<<"${CLOCK_OFFSETS:-}"
  printf '%s' "${offsets[$1 - 1]:-}"
}

# Every process keeps its own Npgsql pools (100 connections by default), and PostgreSQL accepts 100
# in all: under load N silos and the front end would exhaust it ("too many clients already"). Split
# 90 of them between the processes (a silo divides its share between its providers' pool and its
# journal's) and keep the rest for psql and this script.
MAX_SILOS=17
connection_string() {
  local pool=$(( 90 / (SILO_COUNT + 1) )) role="${1:-rm_app}" port="${2:-$PG_PORT}"
  (( pool >= 5 )) || pool=5
  # rm_app: the least-privilege role of silo-config/sql/50-roles.sql (no DDL, not superuser);
  # the front end passes rm_frontend, which only reads the gateway list.
  printf 'Host=127.0.0.1;Port=%s;Database=reliablemessaging;Username=%s;Maximum Pool Size=%s' "$port" "$role" "$pool"
}

# The port silo K reaches PostgreSQL on: its entry of SILO_PG_PORTS, else the server's own.
silo_pg_port() {
  local ports
  IFS=',' read -r -a ports <<<"${SILO_PG_PORTS:-}"
  printf '%s' "${ports[$1 - 1]:-$PG_PORT}"
}

bin_dir() { printf '%s/src/%s/bin/%s/net10.0' "$REPO_ROOT" "$1" "$CONFIGURATION"; }

psql_bin() {
  local candidate
  if command -v psql >/dev/null 2>&1; then command -v psql; return; fi
  for candidate in /usr/lib/postgresql/*/bin/psql; do
    [[ -x "$candidate" ]] && { printf '%s' "$candidate"; return; }
  done
  die "psql not found (install postgresql-client)"
}

sql() {
  PGCONNECT_TIMEOUT=5 "$(psql_bin)" -X -q -tA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d reliablemessaging "$@"
}

pid_file() { printf '%s/%s.pid' "$run_dir" "$1"; }

signing_key_file() { printf '%s/api-signing.key' "$run_dir"; }

tls_certificate_file() { printf '%s/cluster-tls.pfx' "$run_dir"; }

# When the process PID started (clock ticks after boot, from /proc), or nothing once it is gone.
process_start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # Its name (in parentheses) may hold spaces: the fields after it start with the third.
  stat="${stat##*) }"
  # shellcheck disable=SC2086
  set -- $stat
  printf '%s' "${20}"
}

# The pid of a process this script started, if it still runs. A pid file holds the pid and its start
# time: a pid file left behind (a silo that stepped out, a container restarted with .data/cluster kept)
# may name a pid the system has since given to an unrelated process, which must never be signalled.
running_pid() {
  local file pid started
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 1
  read -r pid started <"$file" || true
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  if [[ -n "$started" ]]; then
    [[ "$(process_start_time "$pid")" == "$started" ]] || return 1
  else
    # A pid file written before start times were kept (a cluster started by an earlier version of this
    # script): the process counts as ours only if its command line is one this script starts.
    local command_line
    command_line="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$command_line" =~ ReliableMessaging\.|cluster\.sh ]] || return 1
  fi
  printf '%s' "$pid"
}

# Detached (own session, no terminal, stdin closed) so that it outlives this script; the pid is
# the process itself because setsid and nohup exec rather than fork here.
launch() {
  local name="$1" pid; shift
  setsid nohup "$@" >>"$run_dir/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid $(process_start_time "$pid")" >"$(pid_file "$name")"
}

check_silo_number() {
  [[ "$1" =~ ^[1-9][0-9]*$ ]] || die "silo number must be 1 or more, not '$1'"
  (( $1 <= SILO_COUNT )) || die "silo $1 does not exist (the cluster has $SILO_COUNT)"
}

silo_port() { echo $(( SILO_BASE_PORT + $1 - 1 )); }
gateway_port() { echo $(( GATEWAY_BASE_PORT + $1 - 1 )); }

newest_generation() {
  sql -c "SELECT coalesce(max(generation), 0) FROM orleansmembershiptable WHERE deploymentid = '$CLUSTER_ID' AND port = $(silo_port "$1");" 2>/dev/null || echo 0
}

proxy_state_file() { printf '%s/proxy-%s.state' "$run_dir" "$1"; }
proxy_control_file() { printf '%s/proxy-%s.control' "$run_dir" "$1"; }

# A line's value (port or mode) from silo K's proxy state file; empty when there is none yet.
proxy_state() {
  local file
  file="$(proxy_state_file "$1")"
  [[ -f "$file" ]] || return 0
  sed -n "s/^$2=//p" "$file"
}

# Silo K's database path proxy, forwarding to PostgreSQL; its port becomes silo K's PostgreSQL port.
launch_proxy() {
  local k="$1" deadline=$((SECONDS + 30)) port
  rm -f "$(proxy_state_file "$k")" "$(proxy_control_file "$k")"
  printf '==== %s starting the database path proxy of silo %s\n' "$(date -u +%FT%TZ)" "$k" >>"$run_dir/proxy-$k.log"
  launch "proxy-$k" dotnet "$(bin_dir ReliableMessaging.FaultProxy)/ReliableMessaging.FaultProxy.dll" \
    --target-port "$PG_PORT" --control-file "$(proxy_control_file "$k")" --state-file "$(proxy_state_file "$k")"
  until port="$(proxy_state "$k" port)"; [[ -n "$port" ]]; do
    running_pid "proxy-$k" >/dev/null || { tail -n 20 "$run_dir/proxy-$k.log" >&2; die "the database path proxy of silo $k exited while starting"; }
    (( SECONDS < deadline )) || die "the database path proxy of silo $k did not start in 30 s (log: $run_dir/proxy-$k.log)"
    sleep 0.2
  done
  printf '%s' "$port"
}

# Asks silo K's proxy for a mode (hung, forwarding) through its control file and waits until it reports it.
switch_proxy() {
  local k="$1" mode="$2" control deadline=$((SECONDS + 10))
  [[ "${DB_PATH_PROXIES:-0}" == 1 ]] || die "the cluster was started without --db-path-proxies: no proxy to switch"
  running_pid "proxy-$k" >/dev/null || die "the database path proxy of silo $k is not running"
  control="$(proxy_control_file "$k")"
  printf '%s\n' "$mode" >"$control.partial" && mv -f "$control.partial" "$control"
  until [[ "$(proxy_state "$k" mode)" == "$mode" ]]; do
    (( SECONDS < deadline )) || die "the database path proxy of silo $k did not report '$mode' in 10 s (log: $run_dir/proxy-$k.log)"
    sleep 0.1
  done
}

launch_silo() {
  local k="$1" offset silo_env=(env)
  offset="$(clock_offset "$k")"
  printf '==== %s starting silo %s%s\n' "$(date -u +%FT%TZ)" "$k" "${offset:+ (clock offset $offset)}" >>"$run_dir/silo-$k.log"
  [[ -z "$offset" ]] || silo_env+=("Faults__ClockOffset=$offset")
  DOTNET_ENVIRONMENT=Cluster \
    ConnectionStrings__ReliableMessaging="$(connection_string rm_app "$(silo_pg_port "$k")")" \
    Orleans__Tls__CertificatePath="$(tls_certificate_file)" \
    Orleans__Name="silo-$k" \
    Orleans__SiloPort="$(silo_port "$k")" \
    Orleans__GatewayPort="$(gateway_port "$k")" \
    launch "silo-$k" "${silo_env[@]}" dotnet "$(bin_dir ReliableMessaging.Silo)/ReliableMessaging.Silo.dll"
}

# Whether silo K's latest run ended because the cluster declared it dead (Orleans then stops the process).
told_dead() {
  awk '/^==== .* starting silo /{dead=0} /I have been told I am dead/{dead=1} END{exit !dead}' "$run_dir/silo-$1.log"
}

# A silo is up when the membership table shows it Active (status 3) with a generation newer than
# the one seen before it was launched: an older, killed generation on the same port does not count.
# One the cluster declared dead while it joined (its peers' probes got no answer from a silo still
# starting on a loaded host) is started again, as its supervisor would, at most twice; any other exit fails.
wait_silo_active() {
  local k="$1" before="$2" deadline=$((SECONDS + ${RM_START_TIMEOUT:-180})) status relaunches=0
  while (( SECONDS < deadline )); do
    if ! running_pid "silo-$k" >/dev/null; then
      if told_dead "$k" && (( relaunches < 2 )); then
        relaunches=$((relaunches + 1))
        log "silo $k was declared dead while joining (its peers' probes went unanswered); starting it again"
        launch_silo "$k"
        continue
      fi
      tail -n 30 "$run_dir/silo-$k.log" >&2
      die "silo $k exited while starting (log: $run_dir/silo-$k.log)"
    fi
    status="$(sql -c "SELECT status FROM orleansmembershiptable WHERE deploymentid = '$CLUSTER_ID' AND port = $(silo_port "$k") AND generation > $before ORDER BY generation DESC LIMIT 1;" 2>/dev/null || true)"
    [[ "$status" == "3" ]] && return 0
    sleep 0.5
  done
  tail -n 30 "$run_dir/silo-$k.log" >&2
  die "silo $k did not become active in time (log: $run_dir/silo-$k.log)"
}

# 200 from the front end's readiness endpoint; curl when installed, else plain bash.
http_ready() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$API_PORT/health/ready" 2>/dev/null
  else
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET /health/ready HTTP/1.0\r\n\r\n" >&3 && head -n 1 <&3 | grep -q " 200 "' _ "$API_PORT" 2>/dev/null
  fi
}

wait_api_ready() {
  local deadline=$((SECONDS + ${RM_START_TIMEOUT:-180}))
  while (( SECONDS < deadline )); do
    running_pid api >/dev/null || { tail -n 30 "$run_dir/api.log" >&2; die "the front end exited while starting (log: $run_dir/api.log)"; }
    http_ready && return 0
    sleep 0.5
  done
  tail -n 30 "$run_dir/api.log" >&2
  die "the front end was not ready in time (log: $run_dir/api.log)"
}

# Graceful stop (SIGTERM lets a silo leave the cluster), then SIGKILL if it hangs.
stop_process() {
  local name="$1" pid i
  pid="$(running_pid "$name")" || { rm -f "$(pid_file "$name")"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  # A paused (SIGSTOPped) silo would only see the SIGTERM once continued.
  kill -CONT "$pid" 2>/dev/null || true
  for (( i = 0; i < 60; i++ )); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop in 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$name")"
}

wait_gone() {
  local pid="$1" i
  for (( i = 0; i < 100; i++ )); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "process $pid is still there after SIGKILL"
}

cmd_start() {
  SILO_COUNT="${1:-3}"
  [[ "$SILO_COUNT" =~ ^[1-9][0-9]*$ ]] || die "start takes a silo count of 1 or more"
  # Each process needs a pool of at least 5 of the 90 connections (connection_string).
  (( SILO_COUNT <= MAX_SILOS )) || die "at most $MAX_SILOS silos share one local PostgreSQL's 90 connections (5 each, and 5 for the front end), not $SILO_COUNT"
  if [[ -f "$settings" ]]; then
    # shellcheck source=/dev/null
    (source "$settings"; for f in "$run_dir"/*.pid; do [[ -f "$f" ]] || continue; running_pid "$(basename "$f" .pid)" >/dev/null && exit 1; done; exit 0) \
      || die "a cluster is already running from $run_dir (run 'stop' first)"
  fi
  decide_settings
  mkdir -p "$run_dir"
  rm -f "$run_dir"/*.pid
  save_settings

  if (( ! no_build )); then
    log "building ($CONFIGURATION)"
    dotnet build "$REPO_ROOT/ReliableMessaging.sln" -c "$CONFIGURATION" -nologo -clp:ErrorsOnly >&2
  fi
  [[ -f "$(bin_dir ReliableMessaging.Silo)/ReliableMessaging.Silo.dll" ]] || die "the silo is not built in $CONFIGURATION (drop --no-build)"
  [[ -f "$(bin_dir ReliableMessaging.Silo)/appsettings.Cluster.json" ]] || die "the silo build has no appsettings.Cluster.json (rebuild it)"
  [[ -f "$(bin_dir ReliableMessaging.Api)/ReliableMessaging.Api.dll" ]] || die "the front end is not built in $CONFIGURATION (drop --no-build)"

  RM_CONFIGURATION="$CONFIGURATION" bash "$SCRIPT_DIR/dev-cert.sh" "$(tls_certificate_file)" >/dev/null

  log "starting PostgreSQL on 127.0.0.1:$PG_PORT (data in $PG_DIR)"
  bash "$SCRIPT_DIR/postgres.sh" start --dir "$PG_DIR" --port "$PG_PORT" >/dev/null

  if [[ -n "$owner_pid" ]]; then
    check_number --owner-pid "$owner_pid"
    # Whoever started the cluster (a test run) may die without stopping it: clean up after it.
    launch watchdog bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec bash "$2" --run-dir "$3" stop' \
      watchdog "$owner_pid" "$SCRIPT_DIR/cluster.sh" "$run_dir"
  fi

  local k port generations=() proxy_ports=()
  if [[ "$DB_PATH_PROXIES" == 1 ]]; then
    [[ -f "$(bin_dir ReliableMessaging.FaultProxy)/ReliableMessaging.FaultProxy.dll" ]] || die "the fault proxy is not built in $CONFIGURATION (drop --no-build)"
    for (( k = 1; k <= SILO_COUNT; k++ )); do
      port="$(launch_proxy "$k")"
      proxy_ports+=("$port")
      log "silo $k reaches PostgreSQL through its database path proxy on port ${proxy_ports[k - 1]}"
    done
    SILO_PG_PORTS="$(IFS=','; printf '%s' "${proxy_ports[*]}")"
    save_settings
  fi

  for (( k = 1; k <= SILO_COUNT; k++ )); do
    generations[k]="$(newest_generation "$k")"
    log "starting silo $k (silo port $(silo_port "$k"), gateway $(gateway_port "$k"))"
    launch_silo "$k"
  done
  log "starting the front end on http://127.0.0.1:$API_PORT"
  printf '==== %s starting the front end\n' "$(date -u +%FT%TZ)" >>"$run_dir/api.log"
  bash "$SCRIPT_DIR/signing-key.sh" "$(signing_key_file)" >/dev/null
  # The front end's gateway list refresh comes from its appsettings.json (2 s); RM_GATEWAY_REFRESH overrides it.
  local api_env=(env)
  [[ -z "${RM_GATEWAY_REFRESH:-}" ]] || api_env+=("Orleans__Gateway__GatewayListRefreshPeriod=$RM_GATEWAY_REFRESH")
  ConnectionStrings__ReliableMessaging="$(connection_string rm_frontend)" \
    Urls="http://127.0.0.1:$API_PORT" \
    Auth__SigningKeyFile="$(signing_key_file)" \
    Orleans__Tls__CertificatePath="$(tls_certificate_file)" \
    Dashboard__Password="${RM_DASHBOARD_PASSWORD:-dashboard}" \
    launch api "${api_env[@]}" dotnet "$(bin_dir ReliableMessaging.Api)/ReliableMessaging.Api.dll"

  for (( k = 1; k <= SILO_COUNT; k++ )); do
    wait_silo_active "$k" "${generations[k]}"
    log "silo $k is active"
  done
  wait_api_ready
  log "cluster of $SILO_COUNT silos ready: API http://127.0.0.1:$API_PORT, dashboard http://127.0.0.1:$API_PORT/dashboard/ (logs in $run_dir)"
}

cmd_stop() {
  [[ -f "$settings" ]] || { log "no cluster in $run_dir; nothing to stop"; return 0; }
  load_settings
  local watchdog k
  # The watchdog would otherwise run `stop` a second time.
  if watchdog="$(running_pid watchdog)" && [[ "$watchdog" != "$$" ]]; then
    kill -TERM "$watchdog" 2>/dev/null || true
  fi
  rm -f "$(pid_file watchdog)"
  stop_process api
  if [[ "${DB_PATH_PROXIES:-0}" == 1 ]]; then
    # A silo whose path still hangs would spend its whole shutdown waiting on it: heal every path first.
    for (( k = 1; k <= SILO_COUNT; k++ )); do
      printf 'forwarding\n' >"$(proxy_control_file "$k")" 2>/dev/null || true
    done
  fi
  for (( k = 1; k <= SILO_COUNT; k++ )); do
    if running_pid "silo-$k" >/dev/null; then
      kill -TERM "$(running_pid "silo-$k")" 2>/dev/null || true
      kill -CONT "$(running_pid "silo-$k")" 2>/dev/null || true
    fi
  done
  for (( k = 1; k <= SILO_COUNT; k++ )); do stop_process "silo-$k"; done
  for (( k = 1; k <= SILO_COUNT; k++ )); do stop_process "proxy-$k"; done
  bash "$SCRIPT_DIR/postgres.sh" stop --dir "$PG_DIR" >/dev/null 2>&1 || log "PostgreSQL in $PG_DIR did not stop cleanly"
  log "stopped"
}

cmd_status() {
  load_settings
  local k pid offset down=0
  for (( k = 1; k <= SILO_COUNT; k++ )); do
    if pid="$(running_pid "silo-$k")"; then
      offset="$(clock_offset "$k")"
      echo "silo $k: running (pid $pid, silo port $(silo_port "$k"), gateway $(gateway_port "$k")${offset:+, clock offset $offset})"
    else
      echo "silo $k: down"; down=1
    fi
  done
  if [[ "${DB_PATH_PROXIES:-0}" == 1 ]]; then
    for (( k = 1; k <= SILO_COUNT; k++ )); do
      if pid="$(running_pid "proxy-$k")"; then
        echo "database path of silo $k: $(proxy_state "$k" mode) (proxy pid $pid, port $(proxy_state "$k" port))"
      else
        echo "database path of silo $k: proxy down"; down=1
      fi
    done
  fi
  if pid="$(running_pid api)"; then echo "front end: running (pid $pid, http://127.0.0.1:$API_PORT)"; else echo "front end: down"; down=1; fi
  echo "postgres: $(bash "$SCRIPT_DIR/postgres.sh" status --dir "$PG_DIR" 2>/dev/null || true)"
  return "$down"
}

cmd_kill() {
  (( $# == 1 )) || die "kill takes a silo number"
  load_settings
  check_silo_number "$1"
  local pid
  pid="$(running_pid "silo-$1")" || die "silo $1 is not running"
  printf '==== %s SIGKILL\n' "$(date -u +%FT%TZ)" >>"$run_dir/silo-$1.log"
  kill -KILL "$pid"
  wait_gone "$pid"
  rm -f "$(pid_file "silo-$1")"
  log "killed silo $1 (pid $pid)"
}

# A stopped process keeps its TCP connections (the kernel still acknowledges), so only timeouts and
# the membership probes notice it: the gray failure the cluster profile is tuned for.
cmd_pause() {
  (( $# == 1 )) || die "pause takes a silo number"
  load_settings
  check_silo_number "$1"
  local pid
  pid="$(running_pid "silo-$1")" || die "silo $1 is not running"
  printf '==== %s SIGSTOP\n' "$(date -u +%FT%TZ)" >>"$run_dir/silo-$1.log"
  kill -STOP "$pid"
  log "paused silo $1 (pid $pid)"
}

# Resumes a paused silo. If it was declared dead meanwhile it stops itself; its pid file stays until
# `restart` or `stop`, which cope with a process that is gone.
cmd_resume() {
  (( $# == 1 )) || die "resume takes a silo number"
  load_settings
  check_silo_number "$1"
  local pid
  pid="$(running_pid "silo-$1")" || die "silo $1 is not running"
  kill -CONT "$pid"
  printf '==== %s SIGCONT\n' "$(date -u +%FT%TZ)" >>"$run_dir/silo-$1.log"
  log "resumed silo $1 (pid $pid)"
}

cmd_wait_exit() {
  (( $# >= 1 && $# <= 2 )) || die "wait-exit takes a silo number and optionally seconds"
  local seconds="${2:-30}"
  check_number "seconds" "$seconds"
  load_settings
  check_silo_number "$1"
  local deadline=$((SECONDS + seconds))
  while running_pid "silo-$1" >/dev/null; do
    (( SECONDS < deadline )) || { log "silo $1 still runs after $seconds s"; return 1; }
    sleep 0.2
  done
  rm -f "$(pid_file "silo-$1")"
  log "silo $1 has exited"
}

cmd_hang_db_path() {
  (( $# == 1 )) || die "hang-db-path takes a silo number"
  load_settings
  check_silo_number "$1"
  switch_proxy "$1" hung
  printf '==== %s database path hung\n' "$(date -u +%FT%TZ)" >>"$run_dir/silo-$1.log"
  log "silo $1's way to PostgreSQL hangs"
}

cmd_heal_db_path() {
  (( $# == 1 )) || die "heal-db-path takes a silo number"
  load_settings
  check_silo_number "$1"
  switch_proxy "$1" forwarding
  printf '==== %s database path healed\n' "$(date -u +%FT%TZ)" >>"$run_dir/silo-$1.log"
  log "silo $1's way to PostgreSQL works again"
}

cmd_restart() {
  (( $# == 1 )) || die "restart takes a silo number"
  load_settings
  check_silo_number "$1"
  if [[ "${DB_PATH_PROXIES:-0}" == 1 ]]; then
    # It could not join (the membership table is in PostgreSQL): say so now, not after the start timeout.
    running_pid "proxy-$1" >/dev/null || die "the database path proxy of silo $1 is not running: silo $1 cannot reach PostgreSQL"
    [[ "$(proxy_state "$1" mode)" != hung ]] || die "silo $1's way to PostgreSQL hangs: heal-db-path $1 first"
  fi
  stop_process "silo-$1"
  local before
  before="$(newest_generation "$1")"
  launch_silo "$1"
  wait_silo_active "$1" "$before"
  log "silo $1 is active again (pid $(running_pid "silo-$1"))"
}

cmd_restart_postgres() {
  local down="${1:-3}"
  check_number "seconds down" "$down"
  load_settings
  bash "$SCRIPT_DIR/postgres.sh" stop --dir "$PG_DIR" >/dev/null
  log "PostgreSQL stopped; starting it again in $down s"
  sleep "$down"
  bash "$SCRIPT_DIR/postgres.sh" start --dir "$PG_DIR" --port "$PG_PORT" >/dev/null
  log "PostgreSQL is back"
}

cmd_terminate_backends() {
  load_settings
  local count
  count="$(sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'reliablemessaging' AND pid <> pg_backend_pid();")"
  # A cut that cut nothing is no fault: a chaos run must not count it as one.
  [[ "$count" =~ ^[0-9]+$ && "$count" -gt 0 ]] || die "no connection to the service database was terminated (found: '${count}')"
  log "terminated $count connection(s) to the service database"
}

cmd_token() {
  load_settings
  [[ -s "$(signing_key_file)" ]] || die "no signing key in $run_dir (run 'start' first)"
  Auth__SigningKeyFile="$(signing_key_file)" Auth__SigningKey="" Auth__Authority="" \
    dotnet "$(bin_dir ReliableMessaging.Api)/ReliableMessaging.Api.dll" token "$@"
}

cmd_membership() {
  load_settings
  sql -F ' ' -c "SELECT address || ':' || port, generation, CASE status WHEN 0 THEN 'None' WHEN 1 THEN 'Created' WHEN 2 THEN 'Joining' WHEN 3 THEN 'Active' WHEN 4 THEN 'ShuttingDown' WHEN 5 THEN 'Stopping' WHEN 6 THEN 'Dead' ELSE status::text END, siloname FROM orleansmembershiptable WHERE deploymentid = '$CLUSTER_ID' ORDER BY port, generation;"
}

cmd_audit() {
  load_settings
  DOTNET_ENVIRONMENT=Cluster \
    ConnectionStrings__ReliableMessaging="$(connection_string)" \
    Orleans__ClusterId="$CLUSTER_ID" \
    Orleans__Tls__CertificatePath="$(tls_certificate_file)" \
    dotnet "$(bin_dir ReliableMessaging.Audit)/ReliableMessaging.Audit.dll" "$@"
}

case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill) cmd_kill "$@" ;;
  restart) cmd_restart "$@" ;;
  pause) cmd_pause "$@" ;;
  resume) cmd_resume "$@" ;;
  wait-exit) cmd_wait_exit "$@" ;;
  hang-db-path) cmd_hang_db_path "$@" ;;
  heal-db-path) cmd_heal_db_path "$@" ;;
  restart-postgres) cmd_restart_postgres "$@" ;;
  terminate-backends) cmd_terminate_backends ;;
  membership) cmd_membership ;;
  token) cmd_token "$@" ;;
  audit) cmd_audit "$@" ;;
  *) usage ;;
esac
