#!/usr/bin/env bash
# Builds the guest's root filesystem: Debian bookworm (mmdebstrap) with what a Vagrant box brings
# (systemd as init, sudo, a `vagrant` user with passwordless sudo, python3) plus ansible-core and
# python3-kubernetes, which the Vagrantfile's ansible-bootstrap provisioner would otherwise apt-get
# (installed here so warm runs skip it; the provisioner still runs and finds them).
# Output: $VM_ROOTFS_TAR. Idempotent: a stamp of this script skips the build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

mkdir -p "$VM_CACHE" "$VM_LOGS"
want=$(cat "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if [[ -f "$VM_ROOTFS_TAR" && "$(cat "$VM_ROOTFS_TAR.stamp" 2>/dev/null)" == "$want" ]]; then
  vm_say "rootfs up to date ($VM_ROOTFS_TAR)"; exit 0
fi
command -v mmdebstrap >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends mmdebstrap >/dev/null
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror="${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}"
start=$SECONDS
log="$VM_LOGS/rootfs.log"
vm_say "building the bookworm guest rootfs (cold ~3 min; log $log)"
pkgs=systemd,systemd-sysv,dbus,sudo,python3,python3-apt,ansible-core,python3-kubernetes,iproute2,iputils-ping,ca-certificates,procps,kmod,less
# Units a VM has but this container must not run: udev (renames the host's NICs), networking/ssh
# (the harness configures the veth; commands run by nsenter), apt's timers (dpkg lock races).
masked="systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket networking.service ssh.service
 systemd-networkd.service systemd-resolved.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer
 getty@tty1.service console-getty.service"
mmdebstrap --mode=root --variant=minbase --arch=amd64 --include="$pkgs" \
  --aptopt='APT::Install-Recommends "false"' \
  --customize-hook='chroot "$1" useradd --create-home --shell /bin/bash --uid 1000 --user-group vagrant' \
  --customize-hook='echo "vagrant ALL=(ALL) NOPASSWD: ALL" >"$1/etc/sudoers.d/vagrant" && chmod 0440 "$1/etc/sudoers.d/vagrant"' \
  --customize-hook="echo $VM_NAME >\"\$1/etc/hostname\"" \
  --customize-hook="printf '127.0.0.1\tlocalhost\n127.0.1.1\t$VM_NAME\n::1\tlocalhost ip6-localhost ip6-loopback\n' >\"\$1/etc/hosts\"" \
  --customize-hook='printf "# UNCONFIGURED FSTAB\n" >"$1/etc/fstab"' \
  --customize-hook="for u in $(echo $masked); do ln -sf /dev/null \"\$1/etc/systemd/system/\$u\"; done" \
  "$DEBIAN_SUITE" "$VM_CACHE/rootfs.new.tar" \
  "deb $mirror $DEBIAN_SUITE main" "deb $mirror $DEBIAN_SUITE-updates main" \
  "deb ${mirror%/debian}/debian-security $DEBIAN_SUITE-security main" >"$log" 2>&1 ||
  { tail -n 30 "$log" >&2; vm_die "mmdebstrap failed (log: $log)"; }
mv "$VM_CACHE/rootfs.new.tar" "$VM_ROOTFS_TAR"
echo "$want" >"$VM_ROOTFS_TAR.stamp"
vm_say "rootfs built in $((SECONDS - start))s ($(du -h "$VM_ROOTFS_TAR" | cut -f1))"
