#!/bin/sh
# Install and configure ZooKeeper on one host: the lesson of the slides' "ZooKeeper 설치".
#
#   sh zookeeper.sh install     the software, a service user, folders, a launcher and a unit
#   sh zookeeper.sh configure   zoo.cfg and myid for this host
#   sh zookeeper.sh start       enable and start the zookeeper-server unit (VMs)
#   sh zookeeper.sh unit        print the systemd unit
#
# KL_FLAVOR chooses which server runs; zoo.cfg, myid, the user, the unit and the checks are
# the same for all three, so a flavor is a switch, not a copy:
#   apache  the Apache release tarball of KL_ZK_VERSION (the book's way), SHA-512 checked
#   debian  Debian's zookeeper package (offline, used for the Docker images on this machine)
#   lab     your own coordinator from the labs (part III), `KL_LAB_BIN_DIR/kafkalab-tools zookeeper-server-start`,
#           started with the path of zoo.cfg as QuorumPeerMain is; zkCli.sh and zkServer.sh
#           still come from Debian's package, because real clients must work against it
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=vagrant/provision/lib.sh
. "$here/lib.sh"
# shellcheck source=vagrant/provision/fetch.sh
. "$here/fetch.sh"

KL_FLAVOR="${KL_FLAVOR:-apache}"
KL_LAB_BIN_DIR="${KL_LAB_BIN_DIR:-/opt/kafkalab/bin}"
need KL_ZK_INSTALL_DIR KL_ZK_USER
conf="$KL_ZK_INSTALL_DIR/conf"

install() {
  step "ZooKeeper 1/4: a system user '$KL_ZK_USER' to run the server (never root)"
  id "$KL_ZK_USER" >/dev/null 2>&1 ||
    useradd --system --home-dir "$KL_ZK_INSTALL_DIR" --shell /usr/sbin/nologin "$KL_ZK_USER"

  case "$KL_FLAVOR" in
    apache)
      need KL_ZK_VERSION
      step "ZooKeeper 2/4: the Apache ZooKeeper $KL_ZK_VERSION release into $KL_ZK_INSTALL_DIR"
      file="apache-zookeeper-$KL_ZK_VERSION-bin.tar.gz"
      tarball="$(fetch_release "zookeeper/zookeeper-$KL_ZK_VERSION" "$file")" ||
        die "cannot get $file: put it and $file.sha512 in $KL_CACHE_DIR, or allow downloads"
      mkdir -p "$KL_ZK_INSTALL_DIR"
      tar -xzf "$tarball" -C "$KL_ZK_INSTALL_DIR" --strip-components=1
      classpath="$KL_ZK_INSTALL_DIR/lib/*:$conf"
      bin="$KL_ZK_INSTALL_DIR/bin"
      ;;
    debian)
      step "ZooKeeper 2/4: Debian's zookeeper package (offline flavor; version $(apt-cache policy zookeeper 2>/dev/null | sed -n 's/ *Candidate: //p'))"
      install_debian_package
      # Debian's zookeeper.jar names the jars it needs in its manifest, as Debian's own
      # /etc/zookeeper/conf/environment does; /etc/zookeeper/conf holds log4j.properties.
      classpath="/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"
      ;;
    lab)
      step "ZooKeeper 2/4: kafkalab's own coordinator ($KL_LAB_BIN_DIR/kafkalab-tools zookeeper-server-start) as the server; Debian's package for the client tools"
      install_debian_package
      [ -x "$KL_LAB_BIN_DIR/kafkalab-tools" ] ||
        note "$KL_LAB_BIN_DIR/kafkalab-tools is not there yet: the server starts once it is (labs 08-09 run it standalone; from lab 10 the server.N lines make the hosts one ensemble)"
      ;;
    *) die "KL_FLAVOR=$KL_FLAVOR: use apache, debian or lab" ;;
  esac
  case "$KL_FLAVOR" in
    lab) server="'$KL_LAB_BIN_DIR/kafkalab-tools' zookeeper-server-start '$conf/zoo.cfg'" ;;
    *) server="java -Dzookeeper.log.dir=/var/log/zookeeper -Dzookeeper.root.logger=INFO,CONSOLE \\
  -cp '$classpath' org.apache.zookeeper.server.quorum.QuorumPeerMain '$conf/zoo.cfg'" ;;
  esac

  step "ZooKeeper 3/4: folders for the config and the logs, owned by $KL_ZK_USER"
  mkdir -p "$conf" /var/log/zookeeper
  chown -R "$KL_ZK_USER:$KL_ZK_USER" "$conf" /var/log/zookeeper

  step "ZooKeeper 4/4: a launcher and the systemd unit zookeeper-server"
  # One launcher for VMs (run by systemd) and containers (run by the entrypoint). It runs the
  # server in the foreground, so systemd or Docker sees it exit.
  write_file /usr/local/bin/zookeeper-server-run <<RUN
#!/bin/sh
# ZooKeeper server of flavor $KL_FLAVOR, written by kafkalab's zookeeper.sh
exec $server
RUN
  # zkServer.sh and zkCli.sh on the PATH, pointed at our zoo.cfg, as in the slides.
  write_file /usr/local/bin/zkServer.sh <<RUN
#!/bin/sh
ZOOCFGDIR='$conf' exec '$bin/zkServer.sh' "\$@"
RUN
  write_file /usr/local/bin/zkCli.sh <<RUN
#!/bin/sh
exec '$bin/zkCli.sh' "\$@"
RUN
  chmod 755 /usr/local/bin/zookeeper-server-run /usr/local/bin/zkServer.sh /usr/local/bin/zkCli.sh
  unit | write_file /etc/systemd/system/zookeeper-server.service
}

# Debian's zookeeper package: the server (debian flavor) or only its client tools (lab).
install_debian_package() {
  # Installed already when a host changes flavor (the Docker lab image is the debian one
  # reinstalled as lab, and its apt lists are gone).
  dpkg-query -W -f '${Status}' zookeeper 2>/dev/null | grep -q 'ok installed' ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zookeeper >/dev/null
  mkdir -p "$KL_ZK_INSTALL_DIR"
  bin=/usr/share/zookeeper/bin
  # Debian's zkServer.sh always reads /etc/zookeeper/conf/zoo.cfg: point it at ours.
  ln -sf "$conf/zoo.cfg" /etc/zookeeper/conf/zoo.cfg
}

configure() {
  need KL_ZK_DATA_DIR
  step "ZooKeeper: zoo.cfg ($conf/zoo.cfg) — the same on every server of the ensemble"
  render_zoo_cfg | write_file "$conf/zoo.cfg"
  step "ZooKeeper: myid $KL_ZK_ID in $KL_ZK_DATA_DIR — which server.N line is this host"
  render_myid | write_file "$KL_ZK_DATA_DIR/myid"
  if for_real; then
    # The data folder belongs to the server: it writes snapshots and its transaction log there.
    chown -R "$KL_ZK_USER:$KL_ZK_USER" "$conf" "$KL_ZK_DATA_DIR"
  fi
}

start() {
  if has_systemd; then
    step "ZooKeeper: systemctl enable --now zookeeper-server"
    systemctl daemon-reload
    systemctl enable --now zookeeper-server
    note "check: systemctl status zookeeper-server; zkServer.sh status"
  else
    note "no systemd here: the container entrypoint starts zookeeper-server-run"
  fi
}

# The systemd unit, like the book's zookeeper-server.
unit() {
  render_unit zookeeper-server "ZooKeeper server" "$KL_ZK_USER" /usr/local/bin/zookeeper-server-run
}

case "${1:-}" in
  install) install ;;
  unit) unit ;;
  configure) configure ;;
  start) start ;;
  *) die "usage: zookeeper.sh install|configure|start|unit" ;;
esac
