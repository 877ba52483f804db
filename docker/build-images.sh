#!/bin/sh
# Builds kafkalab's Docker images on this machine, with no registry:
#   1. kafkalab/debian-base:bookworm  Debian made by debootstrap from Debian's packages
#   2. kafkalab/node:<hash>           the base after vagrant/provision/provision.sh install,
#                                     also tagged kafkalab/node:latest
#   3. kafkalab/node:<hash>-lab-<hash>  KL_FLAVOR=lab only: image 2 (flavor debian) with your
#                                     kafkalab-tools in /opt/kafkalab/bin and the lab flavor's
#                                     launchers; tagged kafkalab/node:latest instead
# A build is skipped when an image of the same content exists. Prints the name of the image
# the containers run (KL_TAG_LATEST=0: without tagging it kafkalab/node:latest, as tests do).
#
#   sh docker/build-images.sh [study|book]      (KL_FLAVOR=debian|apache|lab, default debian)
#
# The lab flavor runs the labs' servers. KL_LAB_BIN names the kafkalab-tools binary to put in
# (default target/release/kafkalab-tools, from `cargo build --release -p kafkalab-tools`; it must
# run on Debian 12, so build it on Debian 12 or older). Image 3 is image 2 plus one small layer:
# Java and Debian's ZooKeeper (for zkCli.sh) are installed once, and a new build of the binary
# costs seconds.
#
# Apache tarballs placed in vagrant/.cache (kafka_2.12-2.6.0.tgz and its .sha512) are copied
# into the build; without them the image has ZooKeeper from Debian and no Kafka.
set -eu
repo="$(cd "$(dirname "$0")/.." && pwd)"
topology="${1:-study}"
flavor="${KL_FLAVOR:-debian}"
case "$flavor" in
  lab)
    lab_bin="${KL_LAB_BIN:-$repo/target/release/kafkalab-tools}"
    [ -x "$lab_bin" ] || { echo "KL_FLAVOR=lab: $lab_bin is missing; build it (cargo build --release -p kafkalab-tools) or set KL_LAB_BIN" >&2; exit 1; }
    ;;
  debian | apache) ;;
  *) echo "KL_FLAVOR=$flavor: use debian, apache or lab" >&2; exit 1 ;;
esac
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

# The lab flavor starts from the offline flavor's image (see image 3).
node_flavor="$flavor"
[ "$flavor" != lab ] || node_flavor=debian
hash="$( (cd "$context" && find . -type f | LC_ALL=C sort | xargs sha256sum; echo "$node_flavor") | sha256sum | cut -c1-12)"
image="kafkalab/node:$hash"
if docker image inspect "$image" >/dev/null 2>&1; then
  log "$image exists: nothing to build"
else
  log "building $image (flavor $node_flavor) from vagrant/provision"
  docker build -q --build-arg "FLAVOR=$node_flavor" -t "$image" "$context" >/dev/null
fi

if [ "$flavor" = lab ]; then
  lab_context="$(mktemp -d)"
  trap 'rm -rf "$context" "$lab_context"' EXIT
  cp "$lab_bin" "$lab_context/kafkalab-tools"
  cp "$repo/docker/Dockerfile.lab" "$lab_context/Dockerfile"
  lab_image="$image-lab-$( (cd "$lab_context" && sha256sum kafkalab-tools Dockerfile) | sha256sum | cut -c1-12)"
  if docker image inspect "$lab_image" >/dev/null 2>&1; then
    log "$lab_image exists: nothing to build"
  else
    log "building $lab_image: $image with $lab_bin"
    docker build -q --build-arg "NODE=$image" -t "$lab_image" "$lab_context" >/dev/null
  fi
  image="$lab_image"
fi
[ "${KL_TAG_LATEST:-1}" = 0 ] || docker tag "$image" kafkalab/node:latest
echo "$image"
