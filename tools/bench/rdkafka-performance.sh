#!/usr/bin/env bash
# librdkafka's own benchmark, `rdkafka_performance`, against our broker: the same broker
# measured with a client that is not ours, so a slow figure can be blamed on the right side.
#
#   tools/bench/rdkafka-performance.sh build            # build it (once), print its path
#   tools/bench/rdkafka-performance.sh measure [N]      # start our broker, produce and consume N
#                                                       # 100-byte records (default 2000000)
#
# Where the source comes from: the `rdkafka-sys` crate ships librdkafka's source. `build`
# asks cargo for that crate (a throwaway manifest outside the repository, `cargo fetch`),
# copies its `librdkafka/` folder into the cache and builds the static library and
# examples/rdkafka_performance there. Nothing of it goes into the repository.
#
# Cache: ${KAFKALAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kafkalab}/librdkafka-<version>/.
# `kafkalab bench` looks for the binary there too.
#
# `measure` needs our release tools: KAFKALAB_TOOLS, or it builds them with
# `cargo build --release -p kafkalab-tools` in this repository.
set -euo pipefail

RDKAFKA_SYS_VERSION="${RDKAFKA_SYS_VERSION:-4.10.0+2.12.1}"
LIBRDKAFKA_VERSION="${RDKAFKA_SYS_VERSION#*+}"
CACHE="${KAFKALAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kafkalab}"
SRC="$CACHE/librdkafka-$LIBRDKAFKA_VERSION"
BIN="$SRC/examples/rdkafka_performance"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"

log() { echo "[rdkafka-performance] $*" >&2; }

build() {
    if [ -x "$BIN" ]; then
        echo "$BIN"
        return
    fi
    command -v cc >/dev/null && command -v make >/dev/null || {
        log "needs a C compiler and make: apt-get install build-essential"
        exit 1
    }
    local fetch="$CACHE/rdkafka-sys-fetch"
    mkdir -p "$fetch/src"
    cat >"$fetch/Cargo.toml" <<EOF
[package]
name = "rdkafka-sys-fetch"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
rdkafka-sys = "=$RDKAFKA_SYS_VERSION"
[workspace]
EOF
    : >"$fetch/src/lib.rs"
    log "fetching rdkafka-sys $RDKAFKA_SYS_VERSION with cargo"
    (cd "$fetch" && cargo fetch --quiet)
    # The crate's unpacked source, wherever this cargo keeps its registry.
    local crate
    crate="$(cd "$fetch" && cargo metadata --format-version 1 --quiet |
        python3 -c 'import json,sys
m = json.load(sys.stdin)
print(next(p["manifest_path"] for p in m["packages"] if p["name"] == "rdkafka-sys"))')"
    crate="$(dirname "$crate")"
    [ -f "$crate/librdkafka/configure" ] || {
        log "$crate has no librdkafka/ source"
        exit 1
    }
    rm -rf "$SRC.tmp"
    cp -r "$crate/librdkafka" "$SRC.tmp"
    log "building librdkafka $LIBRDKAFKA_VERSION in $SRC (a few minutes)"
    (
        cd "$SRC.tmp"
        # Plaintext only: the benchmark talks to 127.0.0.1 and needs no TLS, SASL or zstd.
        # The log's name must not be configure.*: mklove's configure loads every such file in
        # its folder as a module, and fails on a log it takes for one.
        ./configure --disable-ssl --disable-gssapi --disable-sasl --disable-curl \
            --disable-zstd --disable-lz4-ext --disable-regex-ext >kafkalab-configure.out 2>&1
        make -j"$(nproc)" -C src lib >kafkalab-make.out 2>&1
        make -C examples rdkafka_performance >>kafkalab-make.out 2>&1
    ) || {
        log "the build failed; see $SRC.tmp/kafkalab-configure.out and $SRC.tmp/kafkalab-make.out"
        exit 1
    }
    mv "$SRC.tmp" "$SRC"
    echo "$BIN"
}

tools_bin() {
    if [ -n "${KAFKALAB_TOOLS:-}" ]; then
        echo "$KAFKALAB_TOOLS"
        return
    fi
    cargo build --quiet --release -p kafkalab-tools --manifest-path "$REPO/Cargo.toml" \
        --message-format json |
        python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "kafkalab-tools" and m.get("executable"):
        print(m["executable"])'
}

measure() {
    local n="${1:-2000000}" rdk tools dir port broker
    rdk="$(build)"
    tools="$(tools_bin)"
    dir="$(mktemp -d)"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    cat >"$dir/server.properties" <<EOF
broker.id=1
listeners=PLAINTEXT://127.0.0.1:$port
log.dirs=$dir/logs
num.partitions=1
EOF
    "$tools" kafka-server-start "$dir/server.properties" >"$dir/broker.log" 2>&1 &
    broker=$!
    trap 'kill -TERM $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$dir"' EXIT
    for _ in $(seq 100); do
        grep -q "kafkalab broker started" "$dir/broker.log" && break
        sleep 0.1
    done
    grep -q "kafkalab broker started" "$dir/broker.log" || {
        log "the broker did not start: $(cat "$dir/broker.log")"
        exit 1
    }
    "$tools" kafka-topics --bootstrap-server "127.0.0.1:$port" --create --topic rdk \
        --partitions 1 --replication-factor 1 >/dev/null
    log "librdkafka $LIBRDKAFKA_VERSION, $n 100-byte records, one partition, acks=1, broker 127.0.0.1:$port"
    # -l: per-message delivery latency, written one µs figure a line to the -A file.
    "$rdk" -P -t rdk -p 0 -b "127.0.0.1:$port" -s 100 -c "$n" -a 1 -l -A "$dir/produce.lat" -q |
        grep -E "messages produced|msgs/s" | tail -1
    sort -n "$dir/produce.lat" | awk '{ v[NR] = $1 } END {
        if (NR) printf "produce latency p50 %.3f ms, p99 %.3f ms\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }'
    "$rdk" -C -t rdk -p 0 -b "127.0.0.1:$port" -o beginning -c "$n" -q |
        grep -E "messages .*consumed" | tail -1
}

case "${1:-}" in
build) build ;;
measure) shift; measure "$@" ;;
*)
    echo "usage: $0 build | measure [RECORDS]" >&2
    exit 2
    ;;
esac
