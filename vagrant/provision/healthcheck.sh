#!/bin/sh
# Docker health check of one host: ZooKeeper answers ruok and srvr, and a Kafka broker (if this
# image has one) answers a metadata request.
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
      # Asks the cluster's metadata (which brokers there are), then each broker's API versions.
      "$bin/kafka-broker-api-versions.sh" --bootstrap-server "127.0.0.1:${KL_KAFKA_PORT:-9092}" >/dev/null 2>&1 || exit 1
    elif [ -x /usr/local/bin/kafka-server-run ]; then
      # The lab flavor's broker: no Apache tools in the image, so check that it listens.
      nc -z -w 2 127.0.0.1 "${KL_KAFKA_PORT:-9092}" || exit 1
    fi
    ;;
esac
exit 0
