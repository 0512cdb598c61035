#!/usr/bin/env bash
# Build a Debian bookworm libvirt box for test/vagrant/run.sh (a stand-in for the
# Vagrantfile's default libvirt box generic/ubuntu2404, which needs the internet).
#   usage: build-box.sh OUT.box
# The image: one ext4 partition, GRUB (BIOS), Debian's cloud kernel, systemd +
# systemd-networkd (DHCP on eth0), openssh-server, sudo, rsync, a `vagrant` user
# (password vagrant, passwordless sudo) authorized with Vagrant's insecure public
# key as shipped in Debian's vagrant package (kept: the box sets insert_key = false),
# and ansible-core + python3-kubernetes: exactly what
# the Vagrantfile's ansible-bootstrap provisioner would otherwise install.
set -euo pipefail

OUT="${1:?usage: build-box.sh OUT.box}"
SUITE=bookworm
DISK_GIB=20
INSECURE_KEY=/usr/share/rubygems-integration/all/gems/vagrant-2.3.4/keys/vagrant.pub
[[ -r $INSECURE_KEY ]] || INSECURE_KEY="$(find /usr/share/rubygems-integration /usr/lib/ruby -path '*/keys/vagrant.pub' -print -quit 2>/dev/null)"
[[ -r $INSECURE_KEY ]] || { echo "error: Vagrant's insecure public key (keys/vagrant.pub of the vagrant package) not found" >&2; exit 1; }
# The host's own apt sources (Debian's archive or a mirror of it).
SOURCES=/etc/apt/sources.list.d/debian.sources
[[ -f $SOURCES ]] || SOURCES=/etc/apt/sources.list

PACKAGES=(
  systemd-sysv udev dbus kmod iproute2 netbase procps passwd e2fsprogs
  linux-image-cloud-amd64 initramfs-tools grub-pc
  openssh-server sudo rsync
  ansible-core python3-kubernetes
)

WORK="$(mktemp -d "${OUT%/*}/box-build.XXXXXX")"
MNT="$WORK/mnt"
LOOP=""
DISK=""
cleanup() {
  set +e
  for m in dev/pts dev proc sys ""; do mountpoint -q "$MNT/$m" && umount "$MNT/$m"; done
  [[ -n $LOOP ]] && losetup -d "$LOOP"
  [[ -n $DISK ]] && losetup -d "$DISK"
  rm -rf "$WORK"
}
trap cleanup EXIT

truncate -s "${DISK_GIB}G" "$WORK/disk.raw"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$WORK/disk.raw"
# Partition scanning of loop devices does not work in every container, so the
# partition gets its own loop device at its offset; GRUB finds it by UUID.
DISK="$(losetup -f --show "$WORK/disk.raw")"
LOOP="$(losetup -f --show --offset $((2048 * 512)) "$WORK/disk.raw")"
mkfs.ext4 -q -L vagrant-root "$LOOP"
UUID="$(blkid -s UUID -o value "$LOOP")"
mkdir -p "$MNT"
mount "$LOOP" "$MNT"
rmdir "$MNT/lost+found"

# Before the packages are configured (initramfs-tools reads them): no fsck at boot,
# an initramfs with just the modules to mount the root disk (emulated boots are slow).
setup_hook="
  printf 'UUID=$UUID / ext4 errors=remount-ro 0 0\n' > \"\$1/etc/fstab\"
  mkdir -p \"\$1/etc/initramfs-tools\"
  printf 'virtio_pci\nvirtio_blk\n' > \"\$1/etc/initramfs-tools/modules\"
  mkdir -p \"\$1/etc/initramfs-tools/conf.d\"
  echo MODULES=list > \"\$1/etc/initramfs-tools/conf.d/box.conf\"
"
customize_hook="
  set -e
  echo bookworm > \"\$1/etc/hostname\"
  printf '127.0.0.1 localhost\n127.0.1.1 bookworm\n' > \"\$1/etc/hosts\"
  printf '[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n' > \"\$1/etc/systemd/network/10-eth0.network\"
  chroot \"\$1\" systemctl enable systemd-networkd.service
  chroot \"\$1\" systemctl disable systemd-networkd-wait-online.service
  chroot \"\$1\" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service e2scrub_all.timer
  echo 'UseDNS no' > \"\$1/etc/ssh/sshd_config.d/vagrant.conf\"
  chroot \"\$1\" useradd --create-home --uid 1000 --shell /bin/bash vagrant
  echo vagrant:vagrant | chroot \"\$1\" chpasswd
  printf 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n' > \"\$1/etc/sudoers.d/vagrant\"
  chmod 0440 \"\$1/etc/sudoers.d/vagrant\"
  install -d -m 0700 -o 1000 -g 1000 \"\$1/home/vagrant/.ssh\"
  install -m 0600 -o 1000 -g 1000 '$INSECURE_KEY' \"\$1/home/vagrant/.ssh/authorized_keys\"
  rm -f \"\$1/etc/resolv.conf\"
  chroot \"\$1\" apt-get clean
"
mmdebstrap --variant=minbase --mode=root \
  --aptopt='APT::Install-Recommends "false"' --dpkgopt=force-confold \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --include="$(IFS=,; echo "${PACKAGES[*]}")" \
  --setup-hook="$setup_hook" \
  --customize-hook="$customize_hook" \
  "$SUITE" "$MNT" "$SOURCES"

# GRUB into the disk's MBR gap. grub-probe resolves a loop device to its backing
# file, so neither grub-install's core.img nor update-grub can find the root file
# system: core.img is rebuilt to search it by UUID, and grub.cfg is written.
mount --bind /dev "$MNT/dev"
mount -t proc proc "$MNT/proc"
mount -t sysfs sys "$MNT/sys"
chroot "$MNT" grub-install --target=i386-pc "$DISK"
printf 'search.fs_uuid %s root\nset prefix=($root)/boot/grub\n' "$UUID" >"$MNT/boot/grub/load.cfg"
chroot "$MNT" grub-mkimage -O i386-pc -c /boot/grub/load.cfg -p /boot/grub \
  -o /boot/grub/i386-pc/core.img biosdisk part_msdos ext2 search_fs_uuid
chroot "$MNT" grub-bios-setup --skip-fs-probe -d /boot/grub/i386-pc "$DISK"
umount "$MNT/sys" "$MNT/proc" "$MNT/dev"
cat >"$MNT/boot/grub/grub.cfg" <<EOF
set default=0
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
insmod part_msdos
insmod ext2
search --no-floppy --fs-uuid --set=root $UUID
linux /vmlinuz root=UUID=$UUID ro console=ttyS0,115200 net.ifnames=0 biosdevname=0
initrd /initrd.img
boot
EOF

# The checks the box is for: a kernel with virtiofs, GRUB booting it by UUID.
test -e "$MNT/vmlinuz" -a -e "$MNT/initrd.img" || { echo "error: no /vmlinuz or /initrd.img in the image" >&2; exit 1; }
grep -Eq '^CONFIG_VIRTIO_FS=(y|m)' "$MNT"/boot/config-* || { echo "error: the box kernel has no virtiofs (CONFIG_VIRTIO_FS)" >&2; exit 1; }
# Freed blocks (the downloaded .debs) become holes: a smaller qcow2 to upload.
rm -rf "$MNT"/var/lib/apt/lists/* "$MNT"/var/cache/apt/*.bin
fstrim "$MNT" || true
umount "$MNT"
losetup -d "$LOOP"; LOOP=""
losetup -d "$DISK"; DISK=""

mkdir "$WORK/box"
qemu-img convert -f raw -O qcow2 "$WORK/disk.raw" "$WORK/box/box.img"
printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %d}\n' "$DISK_GIB" >"$WORK/box/metadata.json"
cat >"$WORK/box/Vagrantfile" <<'EOF'
# Box defaults (the project's Vagrantfile overrides anything it sets itself).
Vagrant.configure("2") do |config|
  # User `vagrant`, authorized with Vagrant's insecure key. Keep it: replacing it
  # with a generated key pair costs ~45 s of emulated SSH on every first boot.
  config.ssh.username = "vagrant"
  config.ssh.insert_key = false
  config.vm.provider :libvirt do |lv|
    lv.disk_bus = "virtio"
  end
end
EOF
tar -C "$WORK/box" -cf "$OUT.tmp" metadata.json Vagrantfile box.img
mv "$OUT.tmp" "$OUT"
echo "box: $OUT ($(du -h "$OUT" | cut -f1))"
