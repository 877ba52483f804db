# shellcheck shell=sh
# kafkalab provisioning library: logging and the config files every host needs.
# Sourced by common.sh, zookeeper.sh, kafka.sh and smoke-test.sh. Every setting comes from a
# KL_* environment variable, made from the topology file by vagrant/topology.rb.
#
# KL_ROOT: a folder that stands for "/" (default: the real root). The tests set it to render
# the files of every host into a temporary folder and compare them with the topology.

KL_ROOT="${KL_ROOT:-}"

step() { printf '\n==> [%s] %s\n' "${KL_HOST:-?}" "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'kafkalab provision: %s\n' "$*" >&2; exit 1; }

# need VAR...: stop with a clear message if a setting is missing.
need() {
  for var in "$@"; do
    eval "value=\${$var:-}"
    # shellcheck disable=SC2154 # value is set by the eval above
    [ -n "$value" ] || die "$var is not set: run this through the Vagrantfile or Compose, or set it (see vagrant/topology.rb)"
  done
}

# has_role ROLE: is this host a zookeeper / kafka host?
has_role() {
  case " ${KL_ROLES:-} " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

# Writes stdin to KL_ROOT/PATH, creating its folder.
write_file() {
  mkdir -p "$(dirname "$KL_ROOT$1")"
  cat > "$KL_ROOT$1"
}

# Whether we may change the real system (not when rendering into KL_ROOT).
for_real() { [ -z "$KL_ROOT" ]; }

# Whether systemd runs this machine (a VM: yes; a container: no, the entrypoint starts services).
has_systemd() { [ -d /run/systemd/system ]; }

render_zoo_cfg() {
  need KL_HOST KL_TOPOLOGY KL_ZK_TICK_TIME KL_ZK_INIT_LIMIT KL_ZK_SYNC_LIMIT KL_ZK_DATA_DIR KL_ZK_CLIENT_PORT KL_ZK_SERVERS
  cat <<CFG
# zoo.cfg of $KL_HOST (topology $KL_TOPOLOGY), written by kafkalab's zookeeper.sh
# The basic time unit in ms; initLimit and syncLimit count these ticks.
tickTime=$KL_ZK_TICK_TIME
# Ticks a follower may take to connect to the leader and catch up.
initLimit=$KL_ZK_INIT_LIMIT
# Ticks a follower may fall behind the leader before it is dropped.
syncLimit=$KL_ZK_SYNC_LIMIT
# Snapshots, the transaction log and the myid file live here.
dataDir=$KL_ZK_DATA_DIR
# Clients (Kafka brokers, zkCli.sh) connect here.
clientPort=$KL_ZK_CLIENT_PORT
maxClientCnxns=60
# Keep 3 snapshots and purge older ones every hour, or the disk fills up.
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
# Four-letter words for checks: echo ruok | nc HOST $KL_ZK_CLIENT_PORT answers imok.
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf
# ZooKeeper 3.5+ also starts an admin web server on port 8080; Kafka does not need it.
admin.enableServer=false
# The ensemble: server.N=host:quorumPort:electionPort. N is the myid of that host.
CFG
  for server in $KL_ZK_SERVERS; do
    printf 'server.%s\n' "$server"
  done
}

render_myid() {
  need KL_ZK_ID
  printf '%s\n' "$KL_ZK_ID"
}

render_server_properties() {
  need KL_HOST KL_TOPOLOGY KL_KAFKA_BROKER_ID KL_KAFKA_PORT KL_KAFKA_EXTERNAL_HOST KL_KAFKA_EXTERNAL_PORT KL_KAFKA_LOG_DIRS KL_KAFKA_ZK_CONNECT
  cat <<PROPS
# server.properties of $KL_HOST (topology $KL_TOPOLOGY), written by kafkalab's kafka.sh
# Unique in the cluster; the broker registers under /brokers/ids/$KL_KAFKA_BROKER_ID in ZooKeeper.
broker.id=$KL_KAFKA_BROKER_ID
# Two listeners. INTERNAL: brokers and clients inside the cluster network reach $KL_HOST by
# name. EXTERNAL: clients on your own machine reach $KL_KAFKA_EXTERNAL_HOST:$KL_KAFKA_EXTERNAL_PORT.
# A client connects to whatever address it is *advertised*, so each listener advertises an
# address that works from where its clients are.
listeners=INTERNAL://0.0.0.0:$KL_KAFKA_PORT,EXTERNAL://0.0.0.0:$KL_KAFKA_EXTERNAL_PORT
advertised.listeners=INTERNAL://$KL_HOST:$KL_KAFKA_PORT,EXTERNAL://$KL_KAFKA_EXTERNAL_HOST:$KL_KAFKA_EXTERNAL_PORT
listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT
inter.broker.listener.name=INTERNAL
# Where the partition logs (segments, indexes) are stored.
log.dirs=$KL_KAFKA_LOG_DIRS
num.partitions=1
# Three brokers: replicate the internal topics three times, and require two in-sync copies.
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
min.insync.replicas=2
log.retention.hours=168
log.segment.bytes=1073741824
# The ZooKeeper ensemble, with a chroot path so several clusters can share it.
zookeeper.connect=$KL_KAFKA_ZK_CONNECT
zookeeper.connection.timeout.ms=18000
PROPS
  # Settings of this host only, as key=value words: tests shorten the timers that decide how
  # soon a dead broker loses its leaderships (zookeeper.session.timeout.ms) and a stalled
  # follower its place in the ISR (replica.lag.time.max.ms).
  if [ -n "${KL_KAFKA_EXTRA_PROPERTIES:-}" ]; then
    printf '# KL_KAFKA_EXTRA_PROPERTIES\n'
    # shellcheck disable=SC2086 # one property a word
    printf '%s\n' $KL_KAFKA_EXTRA_PROPERTIES
  fi
}

# render_unit NAME DESCRIPTION USER EXEC: a systemd unit like the book's, running in the foreground.
render_unit() {
  cat <<UNIT
[Unit]
Description=$2 (kafkalab)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$3
Group=$3
ExecStart=$4
Restart=on-failure
RestartSec=5
LimitNOFILE=100000
SyslogIdentifier=$1

[Install]
WantedBy=multi-user.target
UNIT
}
