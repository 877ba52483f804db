#!/bin/sh
# Container entrypoint: what systemd and the configure steps do on a VM. Configure this host
# from its KL_* settings (set by the Compose file), start its services, and stop the container
# when any of them stops, so Docker and the tests see it.
set -eu
p=/opt/kafkalab/provision
# shellcheck source=vagrant/provision/lib.sh
. "$p/lib.sh"
need KL_HOST KL_ROLES

for role in zookeeper kafka; do
  if has_role "$role"; then sh "$p/$role.sh" configure; fi
done

pids=""
stop() {
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
}
trap 'stop; exit 0' TERM INT

if has_role zookeeper; then
  step "starting zookeeper-server as $KL_ZK_USER"
  runuser -u "$KL_ZK_USER" -- /usr/local/bin/zookeeper-server-run &
  pids="$pids $!"
fi

if has_role kafka; then
  if [ -x /usr/local/bin/kafka-server-run ]; then
    # A broker gives up if ZooKeeper does not answer in time: wait for a serving member first.
    step "waiting for a ZooKeeper quorum before starting kafka-server"
    zk="${KL_KAFKA_ZK_CONNECT%%/*}"
    tries=0
    until (
      for hp in $(printf '%s' "$zk" | tr ',' ' '); do
        printf srvr | nc -w 2 "${hp%:*}" "${hp#*:}" 2>/dev/null | grep -q '^Mode: ' && exit 0
      done
      exit 1
    ); do
      tries=$((tries + 1))
      [ "$tries" -le 120 ] || die "no ZooKeeper server of $zk is serving after 120 s"
      sleep 1
    done
    runuser -u "$KL_KAFKA_USER" -- /usr/local/bin/kafka-server-run &
    pids="$pids $!"
  else
    note "SKIPPED: this image has no Kafka (the release was not in the cache when it was built)"
  fi
fi

[ -n "$pids" ] || die "nothing to run on $KL_HOST (roles: $KL_ROLES)"
# Wait until one service ends, then end the others and the container with it.
while :; do
  for pid in $pids; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" && status=0 || status=$?
      note "a service (pid $pid) stopped with status $status: stopping the container"
      stop
      exit "$status"
    fi
  done
  sleep 1
done
