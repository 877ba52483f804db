#!/bin/sh
# What every host needs before ZooKeeper or Kafka: names, Java, the clock, open ports.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=vagrant/provision/lib.sh
. "$here/lib.sh"
need KL_HOST KL_HOSTS KL_JAVA_PACKAGE

step "common 1/5: /etc/hosts lists every host of topology $KL_TOPOLOGY"
if [ "${KL_TARGET:-vm}" = docker ]; then
  note "in Docker the network's DNS resolves container names: /etc/hosts is left alone"
else
  # Debian maps a machine's own name to 127.0.1.1, Vagrant (without hostname: true) to
  # 127.0.X.1, some images add it to the 127.0.0.1 line. ZooKeeper would then bind its quorum
  # ports to loopback, the other servers could not reach it, and the ensemble would never
  # form. Delete the 127.0.X.1 lines and take the name off the 127.0.0.1 line; then add every
  # host with its private-network address.
  sed -i -e '/^127\.0\.[1-9][0-9]*\.1[[:space:]]/d' \
    -e "/^127\.0\.0\.1[[:space:]]/s/[[:space:]]$KL_HOST\([[:space:]]\|\$\)/\1/g" "$KL_ROOT/etc/hosts"
  for pair in $KL_HOSTS; do
    ip="${pair%%=*}"
    name="${pair#*=}"
    sed -i "/[[:space:]]$name\$/d" "$KL_ROOT/etc/hosts"
    printf '%s %s\n' "$ip" "$name" >> "$KL_ROOT/etc/hosts"
  done
fi

if for_real; then
  step "common 2/5: packages — Java ($KL_JAVA_PACKAGE), curl, netcat for four-letter words"
  # The book used OpenJDK 8, which Debian 12 does not ship; it has OpenJDK 17. ZooKeeper 3.5.9
  # and Kafka 2.6.0 were released for Java 8 and 11 (Kafka supports 17 from 3.1): if one does
  # not start, set java_package in the topology to a vendor's Java 11 (e.g. temurin-11-jre).
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$KL_JAVA_PACKAGE" curl ca-certificates \
    netcat-openbsd procps tzdata >/dev/null

  step "common 3/5: time zone ${KL_TIMEZONE:-UTC}, so log times match the team's clocks"
  ln -sf "/usr/share/zoneinfo/${KL_TIMEZONE:-UTC}" /etc/localtime
  printf '%s\n' "${KL_TIMEZONE:-UTC}" > /etc/timezone

  step "common 4/5: firewall — open 2181 (clients), 2888 (quorum), 3888 (election), Kafka's ports"
  if command -v ufw >/dev/null 2>&1 && ufw status | grep -q active; then
    for port in 2181 2888 3888 9092 19090:19099; do ufw allow "$port/tcp" >/dev/null; done
  elif command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then
    for port in 2181 2888 3888 9092 19090-19099; do firewall-cmd -q --permanent --add-port="$port/tcp"; done
    firewall-cmd -q --reload
  else
    note "no active firewall on this host: nothing to open"
  fi

  step "common 5/5: java -version"
  java -version 2>&1 | sed 's/^/    /'
fi
