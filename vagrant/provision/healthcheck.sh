#!/bin/sh
# Docker health check of one host: ZooKeeper answers ruok, and a Kafka broker (if this image
# has Kafka) answers a request for its API versions.
set -eu
case " ${KL_ROLES:-} " in
  *" zookeeper "*)
    [ "$(printf ruok | nc -w 2 127.0.0.1 "${KL_ZK_CLIENT_PORT:-2181}")" = imok ] || exit 1
    # imok only says the process runs; srvr says whether it is part of a quorum.
    printf srvr | nc -w 2 127.0.0.1 "${KL_ZK_CLIENT_PORT:-2181}" | grep -q '^Mode: ' || exit 1
    ;;
esac
case " ${KL_ROLES:-} " in
  *" kafka "*)
    bin="${KL_KAFKA_INSTALL_DIR:-/usr/local/kafka}/bin"
    if [ -x "$bin/kafka-broker-api-versions.sh" ]; then
      "$bin/kafka-broker-api-versions.sh" --bootstrap-server "127.0.0.1:${KL_KAFKA_PORT:-9092}" >/dev/null 2>&1 || exit 1
    fi
    ;;
esac
exit 0
