#!/usr/bin/env bash
# The README's first command as a user with sudo rather than root: setup-host.sh elevates itself, the image is
# built by that user, and Hearth runs its VMs under the user's own libvirt (qemu:///session). Then a fixture task
# is imported and invoked with the CLI, as scripts/first-run-check.sh does for root. Run as root after `npm ci`
# (as .ci/run does): it creates the user, gives it sudo and a clone of this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run this as root: it creates the user it runs as" >&2; exit 1; }

user="${FIRST_RUN_USER:-hearth-newcomer}"
port="${FIRST_RUN_USER_PORT:-7898}"
fixture="$(cd ../shared/fixtures/tasks/echo-node && pwd)"

if ! command -v sudo >/dev/null 2>&1; then
  apt-get install -y -qq sudo >/dev/null || { apt-get update -qq && apt-get install -y -qq sudo >/dev/null; }
fi
id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
echo "$user ALL=(ALL) NOPASSWD:ALL" >"/etc/sudoers.d/$user"
chmod 440 "/etc/sudoers.d/$user"
home="$(getent passwd "$user" | cut -d: -f6)"

repo="$home/hearth"
rm -rf "$repo" "$home/.local/share/hearth" "$home/task"
git clone -q "$PWD" "$repo"
# The packages npm ci put here (npm install then only checks them) and the downloaded kernel package: the check
# is about running as a user, not about the registry.
cp -a node_modules "$repo/"
mkdir -p "$repo/vm-images"
[ -d vm-images/cache ] && cp -a vm-images/cache "$repo/vm-images/"
cp -r "$fixture" "$home/task"
chown -R "$user:" "$home"

# A Hearth left by an earlier run of this check would answer in place of the new one.
pkill -KILL -u "$user" -f "bin/hearth.mjs" 2>/dev/null || true

log="$(mktemp)"
chmod 644 "$log"
as_user() { su - "$user" -c "cd hearth && export HEARTH_PORT=$port HEARTH_URL=http://127.0.0.1:$port ELECTRON_SKIP_BINARY_DOWNLOAD=1 && $1"; }

echo "== first run as $user (sudo, qemu:///session): the README's first command (port $port)"
setsid su - "$user" -c "cd hearth && export HEARTH_PORT=$port ELECTRON_SKIP_BINARY_DOWNLOAD=1 && bash scripts/setup-host.sh && npm install --no-audit --no-fund && npm start" >"$log" 2>&1 &
server=$!
# su starts the user's commands in a session of their own: they are stopped by user, not by process group.
stop_hearth() {
  pkill -TERM -u "$user" -f "bin/hearth.mjs" 2>/dev/null || true
  for _ in $(seq 60); do pgrep -u "$user" -f "bin/hearth.mjs" >/dev/null || break; sleep 0.5; done
  pkill -KILL -u "$user" -f "bin/hearth.mjs" 2>/dev/null || true
}
stop() {
  stop_hearth
  kill -TERM -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  # Hearth destroys its VMs when it stops; anything left (a kill during a boot) goes here.
  su - "$user" -c 'for d in $(virsh -q -c qemu:///session list --name 2>/dev/null); do virsh -q -c qemu:///session destroy "$d" >/dev/null 2>&1; done' || true
}
trap 'stop; echo "--- the first command said:"; tail -40 "$log"' EXIT

t0=$(date +%s)
as_user "npx hearth wait --timeout 900"
echo "ready after $(($(date +%s) - t0)) s"
data="$home/.local/share/hearth"
test "$(stat -c %a "$data")" = 700 || { echo "the data directory is not 0700: $(stat -c %a "$data")"; exit 1; }
test "$(stat -c %U "$data")" = "$user" || { echo "the data directory belongs to $(stat -c %U "$data")"; exit 1; }
grep -q "qemu:///session answers" "$log" || { echo "the doctor did not check the user's own libvirt"; exit 1; }

as_user "npx hearth profile create newcomer >/dev/null"
as_user "npx hearth import ~/task"
t1=$(date +%s%N)
out="$(as_user "npx hearth invoke echo --payload '{\"first\":\"run\"}'")"
echo "first invocation answered in $((($(date +%s%N) - t1) / 1000000)) ms: $out"
grep -Eq '"first": *"run"' <<<"$out" || { echo "unexpected answer: $out"; exit 1; }
pgrep -u "$user" -f qemu-system >/dev/null || { echo "no QEMU runs as $user"; exit 1; }

trap - EXIT
stop
echo "== first run as $user: ok"
