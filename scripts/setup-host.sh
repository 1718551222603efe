#!/usr/bin/env bash
# Prepares a Debian/Ubuntu host for Hearth (as root, elevating itself with sudo when needed; idempotent): packages, libvirt without systemd, /dev/kvm.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Root already (a root shell, a container, CI): go on. Otherwise elevate once through sudo, where there is one.
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo --preserve-env=DEBIAN_FRONTEND bash "$0" "$@"
  fi
  echo "setup-host.sh installs packages and starts libvirt: run it as root (there is no sudo here)" >&2
  exit 1
fi

# The last line is what `npm test` drives besides Hearth: Debian's awscli and Debian's chromium (the UI tests never
# download a browser). --no-install-recommends matters for chromium: it recommends udev, whose configure step fails
# in containers and leaves apt broken.
PACKAGES=(qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev
  busybox-static cpio squashfs-tools python3 gcc libc6-dev file openssh-server openssh-client
  awscli chromium fonts-liberation)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The image build downloads the guest kernel with apt-get: the package lists must know it.
if ! apt-cache policy linux-image-cloud-amd64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  echo "== apt-get update (for the guest kernel package)"
  apt-get update -qq
fi

# libvirt's QEMU driver runs guests as libvirt-qemu; without systemd nobody else creates it.
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
# Without udev /dev/kvm stays root-only; libvirt then finds KVM "gone" at every start and re-probes QEMU for ~90 s.
if [ -e /dev/kvm ]; then
  getent group kvm >/dev/null || groupadd -r kvm
  chgrp kvm /dev/kvm && chmod 660 /dev/kvm
  id -nG libvirt-qemu | grep -qw kvm || usermod -aG kvm libvirt-qemu
fi
mkdir -p /var/log/libvirt /var/lib/libvirt /var/cache/libvirt

if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "== starting virtlogd and libvirtd"
  pgrep -x virtlogd >/dev/null || virtlogd -d
  # A libvirtd that no longer answers goes first, and fully: a new one started beside it cannot take its pid file.
  if pgrep -x libvirtd >/dev/null; then
    pkill -x libvirtd || true
    for _ in $(seq 1 50); do pgrep -x libvirtd >/dev/null || break; sleep 0.2; done
    pkill -KILL -x libvirtd 2>/dev/null || true
  fi
  libvirtd -d
  for _ in $(seq 1 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
fi
virsh -c qemu:///system version

# VMs left behind by an earlier run (a crashed host, an interrupted test) go first.
for dom in $(virsh -c qemu:///system list --all --name | grep '^hearth-' || true); do
  virsh -c qemu:///system destroy "$dom" >/dev/null 2>&1 || true
  virsh -c qemu:///system undefine "$dom" >/dev/null 2>&1 || true
done
