//! Step 5, against a real Debian ZooKeeper 3.8: our codecs, driven by a scripted peer in this
//! test, take part in a real election, then follow a real leader (first test) or lead a real
//! follower (second test). The ensemble is `server.1` (Debian's ZooKeeper), `server.2` or
//! `server.3` (this test) and a third server that is nobody: ZooKeeper cannot reach a quorum
//! without us. The scripted peer is not a server (no log, no tree); it only sends and answers
//! packets in the order PROTOCOL.md describes. Skipped without Java and ZooKeeper, unless
//! `KAFKALAB_REQUIRE_ALL=1`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use kafkalab_testkit::{free_port, tool, tool_path};
use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::stat::Acl;
use lab10_ensemble::wire::election::{
    self, ElectionStreamDecoder, FromPeer, InitialMessage, Notification, PeerState,
    NOTIFICATION_VERSION,
};
use lab10_ensemble::wire::packets::{
    decode_int, encode_int, ForwardedRequest, FromLeader, LeaderStreamDecoder, Proposal, TxnHeader,
};
use lab10_ensemble::wire::quorum_packet::{
    LearnerInfo, PacketType, QuorumPacket, LEARNER_PROTOCOL_VERSION,
};
use lab10_ensemble::wire::{Decoded, Result as WireResult};

/// Every wait in this test ends by this long.
const PATIENCE: Duration = Duration::from_secs(30);

struct Ports {
    client: u16,
    quorum: [u16; 3],
    election: [u16; 3],
}

/// The quorum config as ZooKeeper writes it (`QuorumMaj.toString`).
fn config_text(p: &Ports) -> String {
    let mut text = String::new();
    for i in 0..3 {
        text.push_str(&format!(
            "server.{}=127.0.0.1:{}:{}:participant\n",
            i + 1,
            p.quorum[i],
            p.election[i]
        ));
    }
    text.push_str("version=0");
    text
}

/// Debian's ZooKeeper as server 1 of the three.
struct RealPeer {
    child: Child,
    log: std::path::PathBuf,
}

impl RealPeer {
    fn start(dir: &Path, p: &Ports) -> RealPeer {
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("myid"), "1\n").unwrap();
        let mut cfg = format!(
            "tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={}\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nadmin.enableServer=false\n",
            data.display(),
            p.client
        );
        for i in 0..3 {
            cfg.push_str(&format!(
                "server.{}=127.0.0.1:{}:{}\n",
                i + 1,
                p.quorum[i],
                p.election[i]
            ));
        }
        let config = dir.join("zoo.cfg");
        std::fs::write(&config, cfg).unwrap();
        let log = dir.join("zookeeper.log");
        let child = Command::new("java")
            .args([
                "-cp",
                // slf4j-simple first, so that the log says why if this test fails.
                "/usr/share/java/slf4j-simple.jar:/usr/share/java/*:/etc/zookeeper/conf",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            ])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        RealPeer { child, log }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for RealPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking connection that reads whole items with one of the wire decoders.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn connect(port: u16, deadline: Instant) -> Conn {
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(stream) => {
                    stream
                        .set_read_timeout(Some(Duration::from_millis(200)))
                        .unwrap();
                    return Conn {
                        stream,
                        buf: Vec::new(),
                    };
                }
                Err(e) => assert!(Instant::now() < deadline, "connect to {port}: {e}"),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next item, or `None` when the deadline passes first.
    fn next<T>(
        &mut self,
        mut decode: impl FnMut(&[u8]) -> WireResult<Decoded<T>>,
        deadline: Instant,
    ) -> Option<T> {
        loop {
            if let Some((item, used)) = decode(&self.buf).expect("bytes from ZooKeeper decode") {
                self.buf.drain(..used);
                return Some(item);
            }
            if Instant::now() > deadline {
                return None;
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!("ZooKeeper closed the connection"),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }
}

fn four_letter(port: u16, word: &str) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(word.as_bytes());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Election: as server `sid`, connect to server 1 (we are the larger sid, so our connection is
/// the one kept) and vote for `leader` until server 1 reports the state `until`.
fn vote_until(
    p: &Ports,
    sid: i64,
    leader: i64,
    until: PeerState,
    deadline: Instant,
) -> Option<Notification> {
    let mut conn = Conn::connect(p.election[0], deadline);
    let addr = format!("127.0.0.1:{}", p.election[sid as usize - 1]);
    conn.send(&InitialMessage::new(sid, &addr).encode());
    let vote = Notification {
        state: PeerState::Looking,
        leader,
        zxid: 0,
        election_epoch: 1,
        peer_epoch: 0,
        version: NOTIFICATION_VERSION,
        config: Some(config_text(p).into_bytes()),
    };
    conn.send(&election::encode_frame(&vote));
    let mut dec = ElectionStreamDecoder::opened();
    let mut round = 1;
    while Instant::now() < deadline {
        // A server that already leads answers only a LOOKING notification, so say the vote
        // again whenever server 1 has been quiet for a while.
        let Some(item) = conn.next(
            |b| dec.decode(b),
            Instant::now() + Duration::from_millis(500),
        ) else {
            let again = Notification {
                election_epoch: round,
                ..vote.clone()
            };
            conn.send(&election::encode_frame(&again));
            continue;
        };
        let FromPeer::Notification(n) = item else {
            panic!("a hello on a connection we opened");
        };
        if n.state == until {
            return Some(n);
        }
        if n.election_epoch > round {
            // Server 1 started a new round: vote again in it.
            round = n.election_epoch;
            let again = Notification {
                election_epoch: round,
                ..vote.clone()
            };
            conn.send(&election::encode_frame(&again));
        }
    }
    None
}

#[test]
fn step5_our_codecs_follow_a_real_zookeeper_leader() {
    if !tool("java", "apt-get install default-jre-headless")
        || !tool_path("/usr/share/java/zookeeper.jar", "apt-get install zookeeper")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = Ports {
        client: free_port(),
        quorum: [free_port(), free_port(), free_port()],
        election: [free_port(), free_port(), free_port()],
    };
    let real = RealPeer::start(dir.path(), &p);
    let deadline = Instant::now() + PATIENCE;
    let leading = vote_until(&p, 2, 1, PeerState::Leading, deadline)
        .unwrap_or_else(|| panic!("server 1 never said it leads\n{}", real.log_tail()));
    assert_eq!(leading.leader, 1);
    assert_eq!(leading.config_text().unwrap(), config_text(&p));

    // Discovery and sync, as a follower with nothing logged.
    let mut conn = Conn::connect(p.quorum[0], deadline);
    let info = LearnerInfo {
        server_id: 2,
        protocol_version: LEARNER_PROTOCOL_VERSION,
        config_version: 0,
    };
    conn.send(&QuorumPacket::new(PacketType::FollowerInfo, 0, Some(info.encode())).encode());
    let mut dec = LeaderStreamDecoder::new();
    let mut seen = Vec::new();
    let mut next = |conn: &mut Conn, seen: &mut Vec<&'static str>| -> FromLeader {
        let item = conn.next(|b| dec.decode(b), deadline).unwrap_or_else(|| {
            panic!(
                "ZooKeeper sent nothing more after {seen:?}\n{}",
                real.log_tail()
            )
        });
        seen.push(match &item {
            FromLeader::Packet(p) => p.kind.name(),
            FromLeader::Snapshot(_) => "(snapshot)",
        });
        item
    };
    let FromLeader::Packet(leader_info) = next(&mut conn, &mut seen) else {
        panic!("a snapshot before LEADERINFO")
    };
    assert_eq!(leader_info.kind, PacketType::LeaderInfo);
    assert_eq!(leader_info.zxid, 0x1_0000_0000, "epoch 1");
    assert_eq!(
        decode_int(leader_info.data.as_deref().unwrap(), "LEADERINFO").unwrap(),
        0x10000
    );
    conn.send(&QuorumPacket::new(PacketType::AckEpoch, 0, Some(encode_int(0))).encode());
    let new_leader_zxid = loop {
        match next(&mut conn, &mut seen) {
            FromLeader::Packet(p) if p.kind == PacketType::NewLeader => break p.zxid,
            _ => {}
        }
    };
    assert_eq!(new_leader_zxid, 0x1_0000_0000);
    conn.send(&QuorumPacket::new(PacketType::Ack, new_leader_zxid, None).encode());
    loop {
        if let FromLeader::Packet(p) = next(&mut conn, &mut seen) {
            if p.kind == PacketType::UpToDate {
                break;
            }
        }
    }
    conn.send(&QuorumPacket::new(PacketType::Ack, new_leader_zxid, None).encode());
    assert!(matches!(seen[1], "DIFF" | "SNAP"), "sync mode: {seen:?}");
    eprintln!("from the real leader during sync: {seen:?}");

    // Broadcast: answer pings and ACK proposals in a thread, write with a client meanwhile.
    let (tx, rx) = mpsc::channel::<QuorumPacket>();
    let done = Arc::new(AtomicBool::new(false));
    let done_reader = Arc::clone(&done);
    let follower = std::thread::spawn(move || {
        let mut dec = LeaderStreamDecoder::new();
        // Until the client is done: a follower that hangs up costs the leader its quorum.
        while Instant::now() < deadline && !done_reader.load(Ordering::SeqCst) {
            let Some(FromLeader::Packet(p)) = conn.next(
                |b| dec.decode(b),
                Instant::now() + Duration::from_millis(300),
            ) else {
                continue;
            };
            match p.kind {
                PacketType::Ping => conn
                    .send(&QuorumPacket::new(PacketType::Ping, p.zxid, Some(Vec::new())).encode()),
                PacketType::Proposal => {
                    conn.send(&QuorumPacket::new(PacketType::Ack, p.zxid, None).encode())
                }
                _ => {}
            }
            if tx.send(p).is_err() {
                return;
            }
        }
    });
    let srvr = four_letter(p.client, "srvr");
    assert!(srvr.contains("Mode: leader"), "{srvr}\n{}", real.log_tail());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let created = rt.block_on(async {
        let mut zk =
            lab08_znodes::client::ZkClient::connect(&format!("127.0.0.1:{}", p.client), 10_000)
                .await
                .unwrap();
        let path = zk.create("/with-our-ack", b"hi", 0).await;
        let _ = zk.close().await;
        path
    });
    done.store(true, Ordering::SeqCst);
    follower.join().expect("the follower thread");
    assert_eq!(
        created.unwrap_or_else(|e| panic!("create: {e}\n{}", real.log_tail())),
        "/with-our-ack"
    );
    let packets: Vec<QuorumPacket> = rx.try_iter().collect();
    let proposals: Vec<Proposal> = packets
        .iter()
        .filter(|p| p.kind == PacketType::Proposal)
        .map(|p| Proposal::decode(p.data.as_deref().unwrap()).unwrap())
        .collect();
    // createSession, then the create our ACK let commit.
    let create = proposals
        .iter()
        .find(|p| p.header.kind == 1)
        .expect("a create proposal");
    assert_eq!(&create.txn[4..17], b"/with-our-ack");
    assert_eq!(create.header.zxid >> 32, 1);
    let commit = packets
        .iter()
        .position(|p| p.kind == PacketType::Commit && p.zxid == create.header.zxid)
        .expect("the create's COMMIT");
    let proposal = packets
        .iter()
        .position(|p| p.kind == PacketType::Proposal && p.zxid == create.header.zxid)
        .unwrap();
    assert!(proposal < commit, "PROPOSAL, our ACK, then COMMIT");
}

/// The txn record our leader makes of a forwarded request, as ZooKeeper's prep stage would:
/// `None` for what this scripted leader does not handle.
fn txn_for(request: &ForwardedRequest) -> Option<Vec<u8>> {
    match request.kind {
        // createSession: CreateSessionTxn { timeOut } is the request's own int.
        -10 => Some(request.request.clone()),
        // closeSession: CloseSessionTxn { paths2Delete } (no ephemerals here).
        -11 => Some(0i32.to_be_bytes().to_vec()),
        // create: CreateRequest { path, data, acl, flags } becomes CreateTxn { path, data,
        // acl, ephemeral, parentCVersion }; the parent is the root, whose cversion was 0.
        1 => {
            let mut i = InputArchive::new(&request.request);
            let path = i.read_path().unwrap();
            let data = i.read_buffer().unwrap();
            let n = i.read_count().unwrap().unwrap_or(0);
            let acl: Vec<Acl> = (0..n).map(|_| Acl::read(&mut i).unwrap()).collect();
            let flags = i.read_int().unwrap();
            assert_eq!(flags, 0, "a persistent node");
            let mut o = OutputArchive::new();
            o.write_string(Some(&path));
            o.write_buffer(data.as_deref());
            o.write_int(acl.len() as i32);
            for a in &acl {
                a.write(&mut o);
            }
            o.write_bool(false);
            o.write_int(1);
            Some(o.into_bytes())
        }
        _ => None,
    }
}

#[test]
fn step5_a_real_zookeeper_follows_our_codecs() {
    if !tool("java", "apt-get install default-jre-headless")
        || !tool_path("/usr/share/java/zookeeper.jar", "apt-get install zookeeper")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = Ports {
        client: free_port(),
        quorum: [free_port(), free_port(), free_port()],
        election: [free_port(), free_port(), free_port()],
    };
    // We are server 3; listen before ZooKeeper looks for its leader.
    let listener = std::net::TcpListener::bind(("127.0.0.1", p.quorum[2])).unwrap();
    listener.set_nonblocking(true).unwrap();
    let real = RealPeer::start(dir.path(), &p);
    let deadline = Instant::now() + PATIENCE;
    let following = vote_until(&p, 3, 3, PeerState::Following, deadline)
        .unwrap_or_else(|| panic!("server 1 never followed us\n{}", real.log_tail()));
    assert_eq!(following.leader, 3);

    let stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "server 1 never connected\n{}",
                    real.log_tail()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    let read = |conn: &mut Conn| -> QuorumPacket {
        conn.next(QuorumPacket::decode, deadline)
            .unwrap_or_else(|| panic!("server 1 sent nothing\n{}", real.log_tail()))
    };

    // Discovery and sync, as a leader with nothing logged.
    let info = read(&mut conn);
    assert_eq!((info.kind, info.zxid), (PacketType::FollowerInfo, 0));
    assert_eq!(
        LearnerInfo::decode(info.data.as_deref().unwrap())
            .unwrap()
            .server_id,
        1
    );
    let epoch_zxid = 0x1_0000_0000;
    conn.send(
        &QuorumPacket::new(
            PacketType::LeaderInfo,
            epoch_zxid,
            Some(encode_int(0x10000)),
        )
        .encode(),
    );
    let ack_epoch = read(&mut conn);
    assert_eq!((ack_epoch.kind, ack_epoch.zxid), (PacketType::AckEpoch, 0));
    assert_eq!(
        decode_int(ack_epoch.data.as_deref().unwrap(), "ACKEPOCH").unwrap(),
        0
    );
    conn.send(&QuorumPacket::new(PacketType::Diff, 0, None).encode());
    conn.send(
        &QuorumPacket::new(
            PacketType::NewLeader,
            epoch_zxid,
            Some(config_text(&p).into_bytes()),
        )
        .encode(),
    );
    let ack = read(&mut conn);
    assert_eq!(
        (ack.kind, ack.zxid),
        (PacketType::Ack, epoch_zxid),
        "ACK of NEWLEADER"
    );
    conn.send(&QuorumPacket::new(PacketType::UpToDate, -1, None).encode());
    let ack = read(&mut conn);
    assert_eq!(
        (ack.kind, ack.zxid),
        (PacketType::Ack, epoch_zxid),
        "ACK of UPTODATE"
    );

    // Broadcast: ping every half tick, turn forwarded requests into proposals (no digest),
    // commit each on the follower's ACK (it and we are the quorum).
    let (tx, rx) = mpsc::channel::<QuorumPacket>();
    let done = Arc::new(AtomicBool::new(false));
    let done_leader = Arc::clone(&done);
    let leader = std::thread::spawn(move || {
        let mut last_zxid = epoch_zxid;
        let mut next_ping = Instant::now();
        while Instant::now() < deadline && !done_leader.load(Ordering::SeqCst) {
            if Instant::now() >= next_ping {
                conn.send(&QuorumPacket::new(PacketType::Ping, last_zxid, None).encode());
                next_ping = Instant::now() + Duration::from_millis(250);
            }
            let Some(packet) = conn.next(
                QuorumPacket::decode,
                Instant::now() + Duration::from_millis(50),
            ) else {
                continue;
            };
            match packet.kind {
                PacketType::Request => {
                    let request =
                        ForwardedRequest::decode(packet.data.as_deref().unwrap()).unwrap();
                    if let Some(txn) = txn_for(&request) {
                        last_zxid += 1;
                        let proposal = Proposal {
                            header: TxnHeader {
                                client_id: request.session_id,
                                cxid: request.cxid,
                                zxid: last_zxid,
                                time: std::time::SystemTime::now()
                                    .duration_since(std::time::UNIX_EPOCH)
                                    .unwrap()
                                    .as_millis() as i64,
                                kind: request.kind,
                            },
                            txn,
                            digest: None,
                        };
                        conn.send(
                            &QuorumPacket::new(
                                PacketType::Proposal,
                                last_zxid,
                                Some(proposal.encode()),
                            )
                            .encode(),
                        );
                    }
                }
                PacketType::Ack => {
                    conn.send(&QuorumPacket::new(PacketType::Commit, packet.zxid, None).encode())
                }
                _ => {}
            }
            if tx.send(packet).is_err() {
                return;
            }
        }
    });

    let srvr = four_letter(p.client, "srvr");
    assert!(
        srvr.contains("Mode: follower"),
        "{srvr}\n{}",
        real.log_tail()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        let mut zk =
            lab08_znodes::client::ZkClient::connect(&format!("127.0.0.1:{}", p.client), 10_000)
                .await
                .map_err(|e| format!("connect: {e}"))?;
        let path = zk
            .create("/led-by-us", b"hi", 0)
            .await
            .map_err(|e| format!("create: {e}"))?;
        let (data, stat) = zk
            .get("/led-by-us")
            .await
            .map_err(|e| format!("get: {e}"))?;
        zk.close().await.map_err(|e| format!("close: {e}"))?;
        Ok::<_, String>((path, data, stat))
    });
    // While we still lead: the follower's own counters.
    let mntr = four_letter(p.client, "mntr");
    done.store(true, Ordering::SeqCst);
    leader.join().expect("the leader thread");
    let (path, data, stat) = result.unwrap_or_else(|e| panic!("{e}\n{}", real.log_tail()));
    assert_eq!(path, "/led-by-us");
    assert_eq!(data, b"hi");
    // Our zxids: createSession 0x100000001, create 0x100000002.
    assert_eq!(stat.czxid, 0x1_0000_0002);
    let requests: Vec<i32> = rx
        .try_iter()
        .filter(|p| p.kind == PacketType::Request)
        .map(|p| {
            ForwardedRequest::decode(p.data.as_deref().unwrap())
                .unwrap()
                .kind
        })
        .collect();
    assert_eq!(requests, vec![-10, 1, -11]);
    assert!(mntr.contains("zk_server_state\tfollower"), "{mntr}");
    // Our proposals carry no digest: the follower took them, with nothing to compare.
    assert!(mntr.contains("zk_digest_mismatches_count\t0"), "{mntr}");
}
