#!/bin/sh
# Builds kafkalab's Vagrant box for libvirt, offline, from Debian's packages only: no box is
# downloaded from a registry. The result is cached under a folder named after the hash of what
# went into it (this script), like the Docker images of docker/build-images.sh, so a second run
# costs nothing. Prints that folder on its last line:
#
#   BOX_DIR/kafkalab.box      the box: metadata.json + box.img (qcow2 of an ext4 root file system)
#   BOX_DIR/vmlinuz, initrd.img   the box's kernel, booted directly by libvirt (no bootloader)
#   BOX_DIR/vagrant_key[.pub]     the key pair of the box's `vagrant` user, made here (never
#                                 committed: every build has its own)
#   BOX_DIR/packages/             a local apt repository of what provisioning installs (Java,
#                                 Debian's zookeeper, ...), for VMs that have no route to a Debian
#                                 mirror (see vagrant/test-up.sh)
#
#   sh vagrant/box/build-box.sh          (as root; needs debootstrap, e2fsprogs, qemu-utils)
#
# KAFKALAB_BOX_CACHE: where the box folders go (default /var/cache/kafkalab).
# KL_DEBIAN_MIRROR: the Debian mirror (default http://deb.debian.org/debian).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
cache="${KAFKALAB_BOX_CACHE:-/var/cache/kafkalab}"
mirror="${KL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build-box: %s\n' "$*" >&2; exit 1; }

# What the box has: a minimal Debian with systemd (Vagrant and the provisioning scripts expect
# it), sshd and sudo (Vagrant logs in as `vagrant` and becomes root), a kernel for VMs, ip and
# rsync (Vagrant's rsync synced folder).
BOX_PACKAGES="systemd-sysv,udev,dbus,openssh-server,sudo,linux-image-cloud-amd64,iproute2,rsync"
# What vagrant/provision/*.sh install (common.sh: Java and tools; zookeeper.sh: Debian's
# zookeeper), installed into the box too: under QEMU's software emulation, installing Java alone
# takes a VM over five minutes (its post-install scripts run Java). The provisioning steps still
# run `apt-get install`, which then finds them there; their .deb files also make the box's local
# repository, so a VM without a Debian mirror can install them again.
PROVISION_PACKAGES="openjdk-17-jre-headless curl ca-certificates netcat-openbsd procps tzdata zookeeper"

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and chroot need it)"
for tool in debootstrap mkfs.ext4 qemu-img ssh-keygen; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: apt-get install debootstrap e2fsprogs qemu-utils openssh-client"
done

hash="$(cat "$here/build-box.sh" "$here/apt-index.sh" | sha256sum | cut -c1-12)"
box_dir="$cache/box-$hash"
if [ -f "$box_dir/kafkalab.box" ]; then
  log "$box_dir exists: nothing to build"
  printf '%s\n' "$box_dir"
  exit 0
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/build-XXXXXX")"
root="$work/rootfs"
out="$work/box"
mkdir -p "$out/packages"
cleanup() {
  # A chroot's /proc must be unmounted before its folder can be deleted.
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "debootstrap --variant=minbase bookworm with $BOX_PACKAGES (about a minute)"
debootstrap --variant=minbase --include="$BOX_PACKAGES" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

log "the vagrant user: passwordless sudo, and a key pair made for this box"
chroot "$root" useradd --create-home --shell /bin/bash vagrant
printf 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n' > "$root/etc/sudoers.d/vagrant"
chmod 440 "$root/etc/sudoers.d/vagrant"
ssh-keygen -q -t ed25519 -N '' -C "kafkalab box $hash" -f "$out/vagrant_key"
mkdir -p "$root/home/vagrant/.ssh"
cp "$out/vagrant_key.pub" "$root/home/vagrant/.ssh/authorized_keys"
chmod 700 "$root/home/vagrant/.ssh"
chmod 600 "$root/home/vagrant/.ssh/authorized_keys"
chroot "$root" chown -R vagrant:vagrant /home/vagrant/.ssh

log "network, ssh host keys, machine id, file systems"
# DHCP on every ethernet interface; Vagrant adds a file of its own (50-vagrant-*.network, read
# first) for a private network with a fixed address.
cat > "$root/etc/systemd/network/99-kafkalab-dhcp.network" <<'NET'
[Match]
Name=en*

[Network]
DHCP=ipv4
NET
chroot "$root" systemctl enable systemd-networkd >/dev/null 2>&1
# Every VM of the box gets its own host key, made when sshd first starts: one ed25519 key,
# quick to make even under software emulation (an RSA key takes many seconds there). The
# drop-in replaces Debian's ExecStartPre (`sshd -t`, which fails without a key) and runs it
# after the key exists.
rm -f "$root"/etc/ssh/ssh_host_*
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\n' > "$root/etc/ssh/sshd_config.d/kafkalab-host-key.conf"
mkdir -p "$root/etc/systemd/system/ssh.service.d"
cat > "$root/etc/systemd/system/ssh.service.d/host-key.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'test -s /etc/ssh/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key'
ExecStartPre=/usr/sbin/sshd -t
UNIT
# Empty: systemd makes a new machine id at first boot, so VMs of one box differ (DHCP leases
# are keyed by it).
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$root/etc/fstab"
printf 'kafkalab\n' > "$root/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"

log "installing what provisioning installs, and keeping its .deb files: $PROVISION_PACKAGES"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
# shellcheck disable=SC2086 # a list of package names
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -qq -y --no-install-recommends $PROVISION_PACKAGES >"$work/install.log" 2>&1 ||
  { tail -n 20 "$work/install.log" >&2; die "installing $PROVISION_PACKAGES failed"; }
umount "$root/proc"
mv "$root"/var/cache/apt/archives/*.deb "$out/packages/"
# A VM of this box is thrown away, not power-cut safe: dpkg need not wait for every write to
# reach the disk, which under emulation makes an install several times faster.
printf 'force-unsafe-io\n' > "$root/etc/dpkg/dpkg.cfg.d/kafkalab-unsafe-io"
sh "$here/apt-index.sh" "$out/packages"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/etc/resolv.conf"

log "kernel and initrd, for libvirt's direct kernel boot"
# One kernel is installed (linux-image-cloud-amd64's); the globs name its files.
for file in "$root"/boot/vmlinuz-*; do cp "$file" "$out/vmlinuz"; done
for file in "$root"/boot/initrd.img-*; do cp "$file" "$out/initrd.img"; done
chmod 644 "$out/vmlinuz" "$out/initrd.img"

log "disk image: ext4 of the root folder, 4 GiB sparse, compressed into qcow2"
truncate -s 4G "$work/disk.raw"
mkfs.ext4 -q -F -L root -d "$root" "$work/disk.raw"
qemu-img convert -c -O qcow2 "$work/disk.raw" "$out/box.img"
rm -f "$work/disk.raw"
printf '{"provider":"libvirt","format":"qcow2","virtual_size":4}\n' > "$out/metadata.json"
tar -C "$out" -cf "$out/kafkalab.box" metadata.json box.img
rm -f "$out/box.img"

# Readable by libvirt's qemu user (it reads vmlinuz and initrd.img), the key by root only.
chmod 755 "$out" "$out/packages"
chmod 600 "$out/vagrant_key"
mv "$out" "$box_dir"
# Boxes of older versions of this script are of no use any more.
for old in "$cache"/box-*; do
  [ "$old" = "$box_dir" ] || rm -rf "$old"
done
log "built $box_dir ($(du -sh "$box_dir" | cut -f1))"
printf '%s\n' "$box_dir"
