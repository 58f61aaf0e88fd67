#!/usr/bin/env bash
# Manage a local, throwaway or dev PostgreSQL instance for the Orleans silos,
# built from the PostgreSQL binaries installed on this machine, and apply the
# Orleans ADO.NET schema from silo-config/sql/.
#
# Usage:
#   scripts/postgres.sh start        --dir DIR --port PORT [--db NAME]
#   scripts/postgres.sh stop         --dir DIR
#   scripts/postgres.sh status       --dir DIR
#   scripts/postgres.sh apply-schema --port PORT [--db NAME]
#   scripts/postgres.sh install      (install the server binaries if missing; print their folder)
#
# DIR holds the cluster (DIR/data) and its log (DIR/postgres.log). A relative
# DIR is taken relative to the repository root, so the script behaves the same
# from any working directory. The server only listens on 127.0.0.1 (no unix
# socket: its path may not exceed 107 bytes, which a deep checkout's DIR does,
# and every client here uses TCP) and trusts every local connection: never use
# it for anything but development and tests.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
SQL_DIR="$REPO_ROOT/silo-config/sql"
DEFAULT_DB="reliablemessaging"
PG_SUPERUSER="postgres"

BINDIR=""

die() { echo "postgres.sh: $*" >&2; exit 1; }
log() { echo "postgres.sh: $*" >&2; }

usage() {
    sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

need_value() { (( $# >= 2 )) || die "$1 needs a value"; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# initdb and postgres refuse to run as root, so as root everything that touches
# the data directory runs as the postgres OS user.
as_db_owner() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Prints the bin directory of the newest server installation, or nothing.
detect_bindir() {
    local candidate best="" best_ver=-1 ver
    for candidate in /usr/lib/postgresql/*/bin; do
        [[ -x "$candidate/pg_ctl" && -x "$candidate/initdb" ]] || continue
        ver="$(basename "$(dirname "$candidate")")"
        [[ "$ver" =~ ^[0-9]+$ ]] || continue
        if (( ver > best_ver )); then
            best_ver=$ver
            best=$candidate
        fi
    done
    if [[ -z "$best" ]] && command -v pg_config >/dev/null 2>&1; then
        candidate="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$candidate" && -x "$candidate/pg_ctl" && -x "$candidate/initdb" ]]; then
            best=$candidate
        fi
    fi
    printf '%s' "$best"
}

# An existing cluster must be run by the major version that created it.
bindir_for_data() {
    local data="$1" ver
    if [[ -f "$data/PG_VERSION" ]]; then
        ver="$(tr -d '[:space:]' < "$data/PG_VERSION")"
        if [[ -x "/usr/lib/postgresql/$ver/bin/pg_ctl" ]]; then
            printf '%s' "/usr/lib/postgresql/$ver/bin"
            return
        fi
    fi
    detect_bindir
}

require_server_binaries() {
    local data="$1"
    BINDIR="$(bindir_for_data "$data")"
    if [[ -z "$BINDIR" ]] && is_root && command -v apt-get >/dev/null 2>&1; then
        log "PostgreSQL server binaries not found; installing the 'postgresql' package"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
        BINDIR="$(bindir_for_data "$data")"
    fi
    if [[ -z "$BINDIR" ]]; then
        cat >&2 <<'MSG'
postgres.sh: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found.
Install them, then run this script again:
  Debian/Ubuntu:  sudo apt-get install -y postgresql
  Fedora/RHEL:    sudo dnf install -y postgresql-server
  macOS:          brew install postgresql@16
They are searched in /usr/lib/postgresql/<version>/bin, then in `pg_config --bindir`.
MSG
        exit 1
    fi
}

psql_bin() {
    if [[ -n "$BINDIR" && -x "$BINDIR/psql" ]]; then
        printf '%s' "$BINDIR/psql"
    elif command -v psql >/dev/null 2>&1; then
        command -v psql
    else
        die "psql not found (install the PostgreSQL client, e.g. 'apt-get install -y postgresql-client')"
    fi
}

pg_isready_bin() {
    if [[ -n "$BINDIR" && -x "$BINDIR/pg_isready" ]]; then
        printf '%s' "$BINDIR/pg_isready"
    elif command -v pg_isready >/dev/null 2>&1; then
        command -v pg_isready
    fi
}

resolve_dir() {
    local dir="$1"
    [[ -n "$dir" ]] || die "--dir is required"
    [[ "$dir" = /* ]] || dir="$REPO_ROOT/$dir"
    # Goes into pg_ctl's -o string, which is re-split by a shell.
    [[ "$dir" != *"'"* ]] || die "--dir must not contain single quotes"
    printf '%s' "${dir%/}"
}

check_port() {
    [[ "$1" =~ ^[0-9]+$ ]] && (( $1 > 0 && $1 < 65536 )) || die "invalid --port '$1'"
}

is_running() {
    local data="$1"
    [[ -f "$data/PG_VERSION" ]] || return 1
    as_db_owner "$BINDIR/pg_ctl" status -D "$data" >/dev/null 2>&1
}

# Port recorded by the running postmaster (4th line of postmaster.pid).
running_port() {
    sed -n '4p' "$1/postmaster.pid" 2>/dev/null | tr -d '[:space:]'
}

run_psql() {
    local port="$1" db="$2"; shift 2
    # -X: ignore ~/.psqlrc; client_min_messages hides the NOTICEs that
    # "IF NOT EXISTS" emits on re-runs, so applying twice is silent.
    PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
        "$(psql_bin)" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d "$db" -q "$@"
}

wait_ready() {
    local port="$1" isready i
    isready="$(pg_isready_bin)"
    for (( i = 0; i < 60; i++ )); do
        if [[ -n "$isready" ]]; then
            "$isready" -q -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" && return 0
        else
            run_psql "$port" postgres -tAc 'SELECT 1' >/dev/null 2>&1 && return 0
        fi
        sleep 1
    done
    die "server on 127.0.0.1:$port did not become ready within 60s"
}

ensure_database() {
    local port="$1" db="$2" exists
    # Passed through psql variables (stdin, not -c) so the name is quoted safely.
    exists="$(printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'dbname';" \
        | run_psql "$port" postgres -tA -v dbname="$db")"
    if [[ "$exists" != "1" ]]; then
        log "creating database $db"
        printf '%s\n' 'CREATE DATABASE :"dbname";' | run_psql "$port" postgres -v dbname="$db"
    fi
}

# Applied to a live database, a file's DDL (CREATE OR REPLACE TRIGGER on the journal) waits for its
# table's lock behind a prune batch (a batch runs for at most 10 s), and every insert of the table queues behind that
# wait. So each statement gives a lock up after 1 s (the file is one transaction, rolled back whole; the
# journal's inserts wait a few seconds at most, as a file may hold one lock while the next statement
# waits for another) and the file is applied again, for up to about 3 minutes. Messages in English
# (lc_messages=C), so that the lock timeout is recognised whatever the server's language.
SCHEMA_LOCK_TIMEOUT="1s"
SCHEMA_LOCK_ATTEMPTS=60

apply_file() {
    local port="$1" db="$2" file="$3" attempt output
    for (( attempt = 1; attempt <= SCHEMA_LOCK_ATTEMPTS; attempt++ )); do
        if output="$(PGOPTIONS="${PGOPTIONS:-} -c lock_timeout=$SCHEMA_LOCK_TIMEOUT -c lc_messages=C" run_psql "$port" "$db" -1 -f "$file" 2>&1)"; then
            [[ -z "$output" ]] || printf '%s\n' "$output" >&2
            return 0
        fi
        if [[ "$output" != *"lock timeout"* ]]; then
            printf '%s\n' "$output" >&2
            return 1
        fi
        log "$(basename "$file"): a table it changes is busy (lock not granted within $SCHEMA_LOCK_TIMEOUT, attempt $attempt of $SCHEMA_LOCK_ATTEMPTS); trying again"
        sleep 2
    done
    printf '%s\n' "$output" >&2
    return 1
}

apply_schema() {
    local port="$1" db="$2" file found=0
    [[ -d "$SQL_DIR" ]] || die "schema directory $SQL_DIR not found"
    # The glob expands in name order, which is the intended apply order.
    for file in "$SQL_DIR"/*.sql; do
        [[ -e "$file" ]] || continue
        found=1
        apply_file "$port" "$db" "$file" || die "applying $file failed"
    done
    (( found )) || die "no *.sql files in $SQL_DIR"
}

cmd_start() {
    local dir="" port="" db="$DEFAULT_DB"
    while (( $# )); do
        case "$1" in
            --dir) need_value "$@"; dir="$2"; shift 2 ;;
            --port) need_value "$@"; port="$2"; shift 2 ;;
            --db) need_value "$@"; db="$2"; shift 2 ;;
            *) usage ;;
        esac
    done
    dir="$(resolve_dir "$dir")"
    [[ -n "$port" ]] || die "--port is required"
    check_port "$port"
    [[ -n "$db" ]] || die "--db must not be empty"

    local data="$dir/data"
    require_server_binaries "$data"

    mkdir -p "$dir"
    if is_root; then
        id -u postgres >/dev/null 2>&1 \
            || die "running as root but there is no 'postgres' OS user to run the server (create one, e.g. 'useradd --system --create-home postgres')"
        chown -R postgres:postgres "$dir"
        runuser -u postgres -- test -w "$dir" \
            || die "the postgres OS user cannot write to $dir (check the permissions of its parent directories)"
    fi

    if [[ ! -f "$data/PG_VERSION" ]]; then
        log "initialising cluster in $data"
        as_db_owner "$BINDIR/initdb" -D "$data" --auth=trust -U "$PG_SUPERUSER" \
            --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi

    if is_running "$data"; then
        local actual
        actual="$(running_port "$data")"
        if [[ -n "$actual" && "$actual" != "$port" ]]; then
            die "the cluster in $data is already running on port $actual, not $port"
        fi
        log "already running on port $port"
    else
        as_db_owner "$BINDIR/pg_ctl" start -w -D "$data" -l "$dir/postgres.log" \
            -o "-p $port -k '' -c listen_addresses=127.0.0.1 -c fsync=on" >/dev/null \
            || { tail -n 20 "$dir/postgres.log" >&2 || true; die "pg_ctl start failed (see $dir/postgres.log)"; }
    fi

    wait_ready "$port"
    ensure_database "$port" "$db"
    apply_schema "$port" "$db"
    echo "Host=127.0.0.1;Port=$port;Database=$db;Username=$PG_SUPERUSER"
}

# The --dir value of a command that takes no other option (empty when not given). Runs in the
# caller's shell, so a wrong option exits the script, not a subshell.
DIR_OPTION=""
parse_dir_option() {
    DIR_OPTION=""
    while (( $# )); do
        case "$1" in
            --dir) need_value "$@"; DIR_OPTION="$2"; shift 2 ;;
            *) usage ;;
        esac
    done
}

cmd_stop() {
    parse_dir_option "$@"
    local dir
    dir="$(resolve_dir "$DIR_OPTION")"
    local data="$dir/data"
    [[ -f "$data/PG_VERSION" ]] || { log "no cluster in $data; nothing to stop"; return 0; }
    BINDIR="$(bindir_for_data "$data")"
    if [[ -z "$BINDIR" ]]; then
        [[ -f "$data/postmaster.pid" ]] && die "server binaries not found; cannot stop the server running in $data"
        return 0
    fi
    if is_running "$data"; then
        as_db_owner "$BINDIR/pg_ctl" stop -w -D "$data" -m fast >/dev/null
        log "stopped"
    else
        log "not running"
    fi
}

cmd_status() {
    parse_dir_option "$@"
    local dir
    dir="$(resolve_dir "$DIR_OPTION")"
    local data="$dir/data"
    BINDIR="$(bindir_for_data "$data")"
    if [[ -n "$BINDIR" ]] && is_running "$data"; then
        echo "running (port $(running_port "$data"), data $data)"
        return 0
    fi
    echo "not running (data $data)"
    return 1
}

cmd_apply_schema() {
    local port="" db="$DEFAULT_DB"
    while (( $# )); do
        case "$1" in
            --port) need_value "$@"; port="$2"; shift 2 ;;
            --db) need_value "$@"; db="$2"; shift 2 ;;
            *) usage ;;
        esac
    done
    [[ -n "$port" ]] || die "--port is required"
    check_port "$port"
    [[ -n "$db" ]] || die "--db must not be empty"
    BINDIR="$(detect_bindir)"
    apply_schema "$port" "$db"
}

main() {
    (( $# )) || usage
    local cmd="$1"; shift
    case "$cmd" in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        apply-schema) cmd_apply_schema "$@" ;;
        install) require_server_binaries ""; echo "$BINDIR" ;;
        -h|--help|help) usage ;;
        *) usage ;;
    esac
}

main "$@"
