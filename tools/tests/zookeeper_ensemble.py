"""A kazoo client driven line by line from stdin, for the ensemble fault tests
(zookeeper_ensemble.rs). Each command prints one JSON line.

    write PATH N      create PATH, then N children n-00000.. (each acknowledged before the next)
    count PATH        sync PATH, then the number of its children
    data PATH         sync PATH, then its data as text (null when missing)
    try_write PATH S  one create of PATH that may take S seconds; ok or the error's name
    session           the session id
    quit

argv[1] is the connect string (one host or several). Every wait is bounded.
"""
import json
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError
from kazoo.retry import KazooRetry


def main():
    zk = KazooClient(
        hosts=sys.argv[1],
        timeout=30,
        connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=0.5, deadline=90),
        command_retry=KazooRetry(max_tries=200, delay=0.1, max_delay=0.5, deadline=90),
    )
    zk.start(timeout=90)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], words[1:]
        if cmd == "quit":
            break
        try:
            out = run(zk, cmd, args)
        except Exception as e:  # report, do not die: the test decides
            out = {"error": type(e).__name__}
        print(json.dumps(out), flush=True)
    zk.stop()


def create(zk, path, data):
    # A create retried after a connection loss may have been applied the first time.
    try:
        zk.retry(zk.create, path, data)
    except NodeExistsError:
        pass


def run(zk, cmd, args):
    if cmd == "write":
        path, n = args[0], int(args[1])
        zk.retry(zk.ensure_path, path)
        for i in range(n):
            create(zk, "%s/n-%05d" % (path, i), b"v%d" % i)
        return {"acked": n}
    if cmd == "count":
        zk.retry(zk.sync, args[0])
        try:
            return {"count": len(zk.retry(zk.get_children, args[0]))}
        except NoNodeError:
            return {"count": None}
    if cmd == "data":
        zk.retry(zk.sync, args[0])
        try:
            return {"data": zk.retry(zk.get, args[0])[0].decode()}
        except NoNodeError:
            return {"data": None}
    if cmd == "try_write":
        path, secs = args[0], float(args[1])
        try:
            zk.create_async(path, b"minority").get(timeout=secs)
            return {"ok": True}
        except Exception as e:
            return {"ok": False, "error": type(e).__name__}
    if cmd == "session":
        return {"session": zk.client_id[0]}
    return {"error": "unknown command " + cmd}


main()
