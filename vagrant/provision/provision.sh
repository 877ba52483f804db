#!/bin/sh
# The whole install of one host, in the order of the slides: common, ZooKeeper, Kafka.
# The Vagrantfile runs it with the host's KL_* settings from the topology file.
#
#   sh provision.sh            install, configure and start every role of this host
#   sh provision.sh install    only install (what a Docker image build does)
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=vagrant/provision/lib.sh
. "$here/lib.sh"
phase="${1:-all}"

sh "$here/common.sh"
for role in zookeeper kafka; do
  has_role "$role" || continue
  sh "$here/$role.sh" install
  if [ "$phase" = all ]; then
    sh "$here/$role.sh" configure
    sh "$here/$role.sh" start
  fi
done
if [ "$phase" = all ] && [ "${KL_SMOKE_TEST:-0}" = 1 ]; then
  sh "$here/smoke-test.sh"
fi
