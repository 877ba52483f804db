#!/bin/sh
# The slides' last check: create a topic with replication factor 3, send a message through it,
# read it back. Runs on the last Kafka host once every broker is up.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=vagrant/provision/lib.sh
. "$here/lib.sh"
need KL_HOST KL_KAFKA_INSTALL_DIR KL_KAFKA_PORT KL_KAFKA_ZK_CONNECT
bin="$KL_KAFKA_INSTALL_DIR/bin"
server="$KL_HOST:$KL_KAFKA_PORT"
topic=kafkalab-smoke
if [ ! -x "$bin/kafka-topics.sh" ]; then
  # The lab flavor runs your broker, and the offline debian flavor may have no Kafka at all:
  # Apache's console tools are not there to run this check with.
  note "SKIPPED: no Apache Kafka tools in $bin (flavor ${KL_FLAVOR:-apache}); check the brokers with:"
  note "zkCli.sh -server $KL_HOST:2181 ls /${KL_KAFKA_ZK_CONNECT#*/}/brokers/ids   (expect [1, 2, 3])"
  exit 0
fi

step "smoke test 1/4: wait until three brokers are registered under /brokers/ids"
tries=0
until [ "$("$bin/zookeeper-shell.sh" "$KL_KAFKA_ZK_CONNECT" ls /brokers/ids 2>/dev/null |
  tail -n 1 | tr -cd ',' | wc -c)" -ge 2 ]; do
  tries=$((tries + 1))
  [ "$tries" -le 60 ] || die "fewer than three brokers registered after 120 s; see journalctl -u kafka-server"
  sleep 2
done
"$bin/zookeeper-shell.sh" "$KL_KAFKA_ZK_CONNECT" ls /brokers/ids 2>/dev/null | tail -n 1 | sed 's/^/    /'

step "smoke test 2/4: kafka-topics.sh --create --topic $topic --partitions 3 --replication-factor 3"
"$bin/kafka-topics.sh" --bootstrap-server "$server" --create --if-not-exists \
  --topic "$topic" --partitions 3 --replication-factor 3
"$bin/kafka-topics.sh" --bootstrap-server "$server" --describe --topic "$topic" | sed 's/^/    /'

step "smoke test 3/4: produce one message"
message="hello from $KL_HOST at $(date +%s)"
printf '%s\n' "$message" | "$bin/kafka-console-producer.sh" --bootstrap-server "$server" --topic "$topic"

step "smoke test 4/4: consume it back"
"$bin/kafka-console-consumer.sh" --bootstrap-server "$server" --topic "$topic" \
  --from-beginning --timeout-ms 30000 2>/dev/null | grep -qxF "$message" ||
  die "the message did not come back through $topic"
note "OK: the message came back through a topic replicated on three brokers"
