#!/bin/sh
# Builds kafkalab's Docker images on this machine, with no registry:
#   1. kafkalab/debian-base:bookworm  Debian made by debootstrap from Debian's packages
#   2. kafkalab/node:<hash>           the base after vagrant/provision/provision.sh install,
#                                     also tagged kafkalab/node:latest
# A build is skipped when an image of the same content exists. Prints the node image's name.
#
#   sh docker/build-images.sh [study|book]      (KL_FLAVOR=debian|apache, default debian)
#
# Apache tarballs placed in vagrant/.cache (kafka_2.12-2.6.0.tgz and its .sha512) are copied
# into the build; without them the image has ZooKeeper from Debian and no Kafka.
set -eu
repo="$(cd "$(dirname "$0")/.." && pwd)"
topology="${1:-study}"
flavor="${KL_FLAVOR:-debian}"
mirror="${KL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
base=kafkalab/debian-base:bookworm
log() { printf '==> %s\n' "$*" >&2; }

if ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null 2>&1 || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
  rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap --variant=minbase bookworm (about a minute)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  # Keep images small: no documentation, and apt lists are deleted after each install.
  tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
  log "imported $base"
fi

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp -r "$repo/vagrant/provision" "$context/provision"
cp "$repo/docker/Dockerfile" "$repo/docker/entrypoint.sh" "$context/"
mkdir -p "$context/cache"
if [ -d "$repo/vagrant/.cache" ]; then
  find "$repo/vagrant/.cache" -maxdepth 1 -type f -name '*.t*gz*' -exec cp {} "$context/cache/" \;
fi
# The install-time settings of the topology: versions, install folders, users, Java, zone.
# Data folders are made when a container starts, so topologies with the same versions and
# install folders share one image.
first_host="$(ruby "$repo/vagrant/topology.rb" hosts "$topology" | head -n 1)"
ruby "$repo/vagrant/topology.rb" env "$topology" "$first_host" docker |
  grep -E '^KL_(JAVA_PACKAGE|TIMEZONE|ZK_VERSION|ZK_INSTALL_DIR|ZK_USER|KAFKA_VERSION|KAFKA_SCALA|KAFKA_INSTALL_DIR|KAFKA_USER)=' \
  > "$context/install.env"
printf "KL_TOPOLOGY='image'\nKL_HOST='image'\nKL_HOSTS='none'\n" >> "$context/install.env"

hash="$( (cd "$context" && find . -type f | LC_ALL=C sort | xargs sha256sum; echo "$flavor") | sha256sum | cut -c1-12)"
image="kafkalab/node:$hash"
if docker image inspect "$image" >/dev/null 2>&1; then
  log "$image exists: nothing to build"
else
  log "building $image (flavor $flavor) from vagrant/provision"
  docker build -q --build-arg "FLAVOR=$flavor" -t "$image" "$context" >/dev/null
fi
docker tag "$image" kafkalab/node:latest
echo "$image"
