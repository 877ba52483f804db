#!/bin/sh
# Captures the golden files of tests/zookeeper_files.rs from Debian's ZooKeeper 3.8:
# a standalone server on 127.0.0.1, the writes of capture.py, a restart (which writes a
# snapshot of the whole tree), then its transaction log and snapshots copied here.
# Usage: sh capture.sh   (needs java, /usr/share/java/zookeeper.jar, python3 with kazoo)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/zoo.cfg" <<CFG
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
start() {
  # preAllocSize in KB: small files to keep in git (ZooKeeper's default is 64 MiB).
  java -Dzookeeper.preAllocSize=1 -cp '/usr/share/java/*:/etc/zookeeper/conf' \
    org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg" >"$dir/zk.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do
    python3 -c "
import socket, sys
try:
    s = socket.create_connection(('127.0.0.1', $port), 2); s.sendall(b'ruok')
    sys.exit(0 if s.recv(4) == b'imok' else 1)
except OSError:
    sys.exit(1)" && return 0
    sleep 0.2
  done
  echo "ZooKeeper did not start" >&2; exit 1
}
start
python3 "$here/capture.py" "127.0.0.1:$port"
kill "$pid"; wait "$pid" || true
start
kill "$pid"; wait "$pid" || true
ls -l "$dir/data/version-2"
rm -f "$here"/zk38-log.* "$here"/zk38-snapshot.*
for f in "$dir"/data/version-2/log.*; do cp "$f" "$here/zk38-$(basename "$f")"; done
for f in "$dir"/data/version-2/snapshot.*; do cp "$f" "$here/zk38-$(basename "$f")"; done
ls -l "$here"
