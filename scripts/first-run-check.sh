#!/usr/bin/env bash
# The README's first run, checked as a newcomer does it: Hearth started with `npm start` under a fresh, nonexistent
# home directory (no data directory, no owner key), waited for the documented way, then a fixture task imported
# and invoked with the CLI. Any step that fails fails the check. Run after setup and `npm ci` (as .ci/run does).
set -euo pipefail
cd "$(dirname "$0")/.."

home="$(mktemp -d)/home"   # does not exist yet: Hearth creates what it needs
port="${FIRST_RUN_PORT:-7899}"
log="$(mktemp)"
export HOME="$home" HEARTH_PORT="$port" HEARTH_URL="http://127.0.0.1:$port"
unset HEARTH_DATA XDG_DATA_HOME

echo "== first run: npm start with HOME=$home (port $port)"
setsid npm start >"$log" 2>&1 &
server=$!
stop() {
  kill -TERM -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap 'stop; echo "--- npm start said:"; tail -40 "$log"' EXIT

t0=$(date +%s)
npx hearth wait --timeout 600
echo "ready after $(($(date +%s) - t0)) s"
data="$home/.local/share/hearth"
test "$(stat -c %a "$data")" = 700 || { echo "the data directory is not 0700: $(stat -c %a "$data")"; exit 1; }
test -f "$data/owner.key" || { echo "no owner key in $data"; exit 1; }

npx hearth profile create newcomer >/dev/null
npx hearth import ../shared/fixtures/tasks/echo-node
t1=$(date +%s%N)
out="$(npx hearth invoke echo --payload '{"first":"run"}')"
echo "first invocation answered in $((($(date +%s%N) - t1) / 1000000)) ms: $out"
grep -Eq '"first": *"run"' <<<"$out" || { echo "unexpected answer: $out"; exit 1; }

trap - EXIT
stop
echo "== first run: ok"
