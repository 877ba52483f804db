#!/bin/sh
# Points apt at one local repository only, for VMs with no route to a Debian mirror (the test
# in vagrant/test-up.sh runs its VMs in a network namespace with no way out, and serves the
# packages that box/build-box.sh downloaded). The install steps then run unchanged: their
# `apt-get install` finds Java and zookeeper there.
#
#   sh offline-apt.sh URL        e.g. http://192.168.56.1:8080/ (a "flat" repository: ./Packages)
set -eu
url="${1:?usage: offline-apt.sh URL}"
printf '\n==> [%s] apt: packages only from %s (no Debian mirror is reachable)\n' "$(hostname)" "$url"
# A flat repository without a signed Release file: trusted because it is ours, made from
# Debian's signed archive by build-box.sh.
printf 'deb [trusted=yes] %s ./\n' "$url" > /etc/apt/sources.list.d/kafkalab-offline.list
for list in /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources; do
  if [ -f "$list" ]; then mv "$list" "$list.kafkalab-off"; fi
done
