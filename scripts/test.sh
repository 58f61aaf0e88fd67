#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine with the .NET 10 SDK.
# Installs what the tests need (PostgreSQL's server binaries, Debian's chromium, jq) when missing; every test that needs
# PostgreSQL starts its own throwaway server through scripts/postgres.sh.
#   scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Ledger]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Assigned first: set -e does not stop on a failing substitution inside echo's arguments.
bindir="$(bash scripts/postgres.sh install)"
echo "==> PostgreSQL server binaries: $bindir"

# The dashboard browser test drives Debian's headless Chromium (Playwright never downloads a browser).
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "==> Installing Debian's chromium for the browser test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser test needs /usr/bin/chromium: run 'sudo apt-get install -y chromium'." >&2
    exit 1
  fi
fi

# The deployment tests run scripts/cluster.sh, which reads the JSON configuration with jq.
if ! command -v jq >/dev/null; then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "==> Installing jq for scripts/cluster.sh"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
  else
    echo "scripts/cluster.sh needs jq: run 'sudo apt-get install -y jq'." >&2
    exit 1
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Every process of the run (test hosts, and the silos, front ends and proxies the deployment tests start)
# lives seconds to minutes, and the suite is bound by the machine's CPU: the JIT's profile-guided tier
# (instrument hot methods, then compile them again) costs such processes more than it saves them.
# Measured alone: the Api tests 15 % less CPU, the main tests 17 %, same wall time. Production keeps
# .NET's default.
export DOTNET_TieredPGO=0
echo "==> Building"
dotnet build ReliableMessaging.sln -c Release -nologo -clp:ErrorsOnly

results="$(mktemp -d)"
lane="" current=""
# Both lanes run as process groups of their own (job control on while each starts), so an interrupted run
# stops their dotnet test and test hosts too, not only a subshell. Neither sees a Ctrl-C (it reaches the
# terminal's foreground group, this script): the script waits on them with `wait`, which a trapped signal
# interrupts at once, and its exit stops both groups. (A project in the foreground would catch Ctrl-C,
# cancel its run and exit normally, and bash would go on to the next one.)
trap 'for group in "$lane" "$current"; do [[ -z "$group" ]] || kill -- "-$group" 2>/dev/null; done; rm -rf "$results"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "==> Testing"
# Two lanes, one per core: the deployment tests (their chaos run alone takes 5 minutes) start at once,
# then the browser tests; the other test projects run one after another beside them. dotnet test over
# the solution started the chaos run last, behind two short projects, which made the whole run 1.5
# minutes longer; the browser tests beside the chaos run made the second lane the long one (8 of the
# last CI run's 10 minutes) and Chromium slow enough to time out there.
run_tests() {
  local project="$1"; shift
  dotnet test "$project" -c Release --no-build -nologo --logger "console;verbosity=normal" \
    --logger "trx;LogFilePrefix=rm-$(basename "$project" .csproj)" --results-directory "$results" "$@"
}
deployment="tests/ReliableMessaging.Deployment.Tests/ReliableMessaging.Deployment.Tests.csproj"
browser="tests/ReliableMessaging.Browser.Tests/ReliableMessaging.Browser.Tests.csproj"
status=0
set -m
(
  lane_status=0
  run_tests "$deployment" "$@" || lane_status=$?
  run_tests "$browser" "$@" || lane_status=$?
  exit "$lane_status"
) &
lane=$!
set +m
for project in tests/*/*.Tests.csproj; do
  [[ "$project" == "$deployment" || "$project" == "$browser" ]] && continue
  set -m
  run_tests "$project" "$@" &
  current=$!
  set +m
  wait "$current" || status=$?
  current=""
done
wait "$lane" || status=$?
lane=""

# One closing line that any CI can read: "N passed, N failed, N skipped".
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  get() { local v; v="$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters")"; echo "${v:-0}"; }
  passed=$((passed + $(get passed))) failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
# The failed tests again, with the start of their messages: a CI that keeps only the log's tail still
# names them (the two lanes interleave their output, so a failure scrolls far up).
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  awk -f scripts/failed-tests.awk "$trx"
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if (( passed == 0 && status == 0 )); then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
