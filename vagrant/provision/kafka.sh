#!/bin/sh
# Install and configure a Kafka broker on one host: the lesson of the slides' "Kafka 설치".
#
#   sh kafka.sh install     the broker (see KL_FLAVOR), a service user, folders, launcher, unit
#   sh kafka.sh configure   server.properties for this host
#   sh kafka.sh start       enable and start the kafka-server unit (VMs)
#   sh kafka.sh unit        print the systemd unit
#
# KL_FLAVOR chooses which broker runs; server.properties, the user, the unit and the checks are
# the same, so a flavor is a switch, not a copy:
#   apache, debian  the Apache release kafka_SCALA-VERSION.tgz, SHA-512 checked, taken from
#                   KL_CACHE_DIR when it is there (debian is the offline mode: only from there)
#   lab             your own broker from the labs (parts II and IV), started with the path of
#                   server.properties as kafka-server-start.sh is:
#                   KL_LAB_BIN_DIR/kafkalab-tools kafka-server-start (the binary of the labs'
#                   servers and tools; build it with `cargo build --release -p kafkalab-tools`)
# KL_KAFKA_FLAVOR, when set, picks the broker apart from ZooKeeper: KL_FLAVOR=debian with
# KL_KAFKA_FLAVOR=lab runs your brokers on Debian's ZooKeeper (vagrant/test-up.sh does).
# With KL_OPTIONAL_KAFKA=1 (the Docker images), a release that cannot be had is skipped with a
# message instead of failing: ZooKeeper still works.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=vagrant/provision/lib.sh
. "$here/lib.sh"
# shellcheck source=vagrant/provision/fetch.sh
. "$here/fetch.sh"

KL_FLAVOR="${KL_KAFKA_FLAVOR:-${KL_FLAVOR:-apache}}"
KL_LAB_BIN_DIR="${KL_LAB_BIN_DIR:-/opt/kafkalab/bin}"
need KL_KAFKA_INSTALL_DIR KL_KAFKA_USER
config="$KL_KAFKA_INSTALL_DIR/config/server.properties"

# A broker is installed once its launcher is written (step 4).
installed() { [ -x /usr/local/bin/kafka-server-run ]; }

install() {
  need KL_KAFKA_VERSION KL_KAFKA_SCALA
  step "Kafka 1/4: a system user '$KL_KAFKA_USER' to run the broker"
  id "$KL_KAFKA_USER" >/dev/null 2>&1 ||
    useradd --system --home-dir "$KL_KAFKA_INSTALL_DIR" --shell /usr/sbin/nologin "$KL_KAFKA_USER"

  case "$KL_FLAVOR" in
    lab)
      step "Kafka 2/4: kafkalab's own broker ($KL_LAB_BIN_DIR/kafkalab-tools kafka-server-start) in place of Apache Kafka"
      [ -x "$KL_LAB_BIN_DIR/kafkalab-tools" ] ||
        note "$KL_LAB_BIN_DIR/kafkalab-tools is not there yet: the broker starts once it is (cargo build --release -p kafkalab-tools)"
      server="'$KL_LAB_BIN_DIR/kafkalab-tools' kafka-server-start '$config'"
      ;;
    apache | debian)
      step "Kafka 2/4: the Apache Kafka $KL_KAFKA_VERSION (Scala $KL_KAFKA_SCALA) release into $KL_KAFKA_INSTALL_DIR"
      file="kafka_$KL_KAFKA_SCALA-$KL_KAFKA_VERSION.tgz"
      if ! tarball="$(fetch_release "kafka/$KL_KAFKA_VERSION" "$file")"; then
        if [ "${KL_OPTIONAL_KAFKA:-0}" = 1 ]; then
          note "SKIPPED: $file is not in $KL_CACHE_DIR and cannot be downloaded here (KL_OFFLINE=$KL_OFFLINE)."
          note "This image has ZooKeeper but no Kafka. Put $file and $file.sha512 in the cache to add it."
          return 0
        fi
        die "cannot get $file: put it and $file.sha512 in $KL_CACHE_DIR, or allow downloads"
      fi
      mkdir -p "$KL_KAFKA_INSTALL_DIR"
      tar -xzf "$tarball" -C "$KL_KAFKA_INSTALL_DIR" --strip-components=1
      server="'$KL_KAFKA_INSTALL_DIR/bin/kafka-server-start.sh' '$config'"
      ;;
    *) die "KL_FLAVOR=$KL_FLAVOR: use apache, debian or lab" ;;
  esac

  step "Kafka 3/4: the install folder, owned by $KL_KAFKA_USER (it writes logs/ there)"
  mkdir -p "$KL_KAFKA_INSTALL_DIR/config" "$KL_KAFKA_INSTALL_DIR/logs"
  chown -R "$KL_KAFKA_USER:$KL_KAFKA_USER" "$KL_KAFKA_INSTALL_DIR"

  step "Kafka 4/4: a launcher and the systemd unit kafka-server"
  write_file /usr/local/bin/kafka-server-run <<RUN
#!/bin/sh
# Kafka broker of flavor $KL_FLAVOR, written by kafkalab's kafka.sh
# 1 GiB of heap, as in the book; the page cache gets the rest of the memory.
export KAFKA_HEAP_OPTS="\${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
exec $server
RUN
  chmod 755 /usr/local/bin/kafka-server-run
  unit | write_file /etc/systemd/system/kafka-server.service
}

configure() {
  if for_real && ! installed; then
    note "SKIPPED: Kafka is not installed on $KL_HOST, so there is no server.properties to write"
    return 0
  fi
  step "Kafka: server.properties ($config) with broker.id $KL_KAFKA_BROKER_ID"
  render_server_properties | write_file "$config"
  if for_real; then
    step "Kafka: the log folder $KL_KAFKA_LOG_DIRS, where the partitions' segments go"
    mkdir -p "$KL_KAFKA_LOG_DIRS"
    chown -R "$KL_KAFKA_USER:$KL_KAFKA_USER" "$config" "$KL_KAFKA_LOG_DIRS"
  fi
}

start() {
  if ! installed; then
    note "SKIPPED: Kafka is not installed on $KL_HOST"
  elif has_systemd; then
    step "Kafka: systemctl enable --now kafka-server"
    systemctl daemon-reload
    systemctl enable --now kafka-server
    note "check: systemctl status kafka-server; ls /brokers/ids in the ZooKeeper shell"
  else
    note "no systemd here: the container entrypoint starts kafka-server-run"
  fi
}

# The systemd unit, like the book's kafka-server.
unit() {
  render_unit kafka-server "Kafka broker" "$KL_KAFKA_USER" /usr/local/bin/kafka-server-run
}

case "${1:-}" in
  install) install ;;
  unit) unit ;;
  configure) configure ;;
  start) start ;;
  *) die "usage: kafka.sh install|configure|start|unit" ;;
esac
