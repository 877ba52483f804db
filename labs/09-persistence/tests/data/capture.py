# The writes whose transactions capture.sh keeps: one of each transaction type lab 09 reads.
import sys
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl, OPEN_ACL_UNSAFE
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=10)
zk.create("/app", b"v1")                                    # create (1)
zk.create("/app/seq-", b"s", sequence=True)                 # /app/seq-0000000000
zk.create("/app/seq-", b"t", sequence=True)                 # /app/seq-0000000001
zk.create("/app/c2", b"with stat", include_data=True)       # create2 (15)
zk.set("/app", b"v2")                                       # setData (5)
zk.set_acls("/app/seq-0000000000", [make_digest_acl("alice", "secret", all=True)])  # setACL (7)
zk.delete("/app/seq-0000000001")                            # delete (2)
try:
    zk.create("/app", b"again")                             # error (-1): NodeExists
except Exception:
    pass
t = zk.transaction()                                        # multi (14)
t.create("/app/m", b"m"); t.set_data("/app", b"v3"); t.check("/app/c2", 0); t.delete("/app/c2")
t.commit()
t = zk.transaction()                                        # a failed multi: errors inside
t.create("/app/n", b""); t.delete("/app/none")
t.commit()
other = KazooClient(hosts=sys.argv[1]); other.start(timeout=10)  # createSession (-10)
other.create("/app/eph", b"e", ephemeral=True)
other.create("/app/eph-seq-", b"", ephemeral=True, sequence=True)
other.stop(); other.close()                                 # closeSession (-11), ephemerals go
zk.create("/app/after", "ü".encode())
zk.stop(); zk.close()
