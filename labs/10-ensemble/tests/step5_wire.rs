//! Step 5: the wire of ZooKeeper 3.8's quorum. Every golden file in `tests/data/` is bytes a
//! recording proxy saw between three Debian ZooKeeper 3.8.0 servers on 127.0.0.1 (how, and
//! what each file holds: PROTOCOL.md). Each test decodes a file whole, re-encodes it byte for
//! byte, and checks the fields ZooKeeper's own logs printed for the same run.

use lab10_ensemble::wire::election::{
    self, connection_survives, ElectionStreamDecoder, FromPeer, InitialMessage, Notification,
    PeerState, PROTOCOL_VERSION_V1, PROTOCOL_VERSION_V2,
};
use lab10_ensemble::wire::packets::{
    decode_int, decode_ping_sessions, encode_ping_sessions, ForwardedRequest, FromLeader,
    LeaderStreamDecoder, Proposal, RevalidateAnswer, RevalidateRequest, SnapStream,
};
use lab10_ensemble::wire::quorum_packet::{
    LearnerInfo, PacketType, QuorumPacket, LEARNER_PROTOCOL_VERSION,
};
use lab10_ensemble::wire::WireError;

fn golden(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An election connection's bytes from one side: the initial message (if this side
/// connected), then the notifications. Asserts that re-encoding gives the same bytes.
fn election_stream(bytes: &[u8], connected: bool) -> (Option<InitialMessage>, Vec<Notification>) {
    // The bytes the connecting side sent are what the accepting side reads.
    let mut dec = if connected {
        ElectionStreamDecoder::accepted()
    } else {
        ElectionStreamDecoder::opened()
    };
    let mut at = 0;
    let mut out = Vec::new();
    let mut hello = None;
    let mut notes = Vec::new();
    while at < bytes.len() {
        let (item, used) = dec
            .decode(&bytes[at..])
            .unwrap()
            .expect("whole items only in a finished capture");
        match item {
            FromPeer::Hello(m) => {
                assert!(hello.is_none() && notes.is_empty(), "the hello comes first");
                out.extend(m.encode());
                hello = Some(m);
            }
            FromPeer::Notification(n) => {
                out.extend(election::encode_frame(&n));
                notes.push(n);
            }
        }
        at += used;
    }
    assert_eq!(out, bytes, "re-encoding gives the captured bytes");
    (hello, notes)
}

/// A quorum connection's bytes from the learner: packets back to back.
fn learner_packets(bytes: &[u8]) -> Vec<QuorumPacket> {
    let mut at = 0;
    let mut out = Vec::new();
    let mut packets = Vec::new();
    while at < bytes.len() {
        let (p, used) = QuorumPacket::decode(&bytes[at..])
            .unwrap()
            .expect("whole packets only");
        out.extend(p.encode());
        packets.push(p);
        at += used;
    }
    assert_eq!(out, bytes, "re-encoding gives the captured bytes");
    packets
}

/// A quorum connection's bytes from the leader: packets, and a snapshot after SNAP.
fn leader_items(bytes: &[u8]) -> Vec<FromLeader> {
    let mut dec = LeaderStreamDecoder::new();
    let mut at = 0;
    let mut out = Vec::new();
    let mut items = Vec::new();
    while at < bytes.len() {
        let (item, used) = dec.decode(&bytes[at..]).unwrap().expect("whole items only");
        out.extend(item.encode());
        items.push(item);
        at += used;
    }
    assert_eq!(out, bytes, "re-encoding gives the captured bytes");
    items
}

fn packet(item: &FromLeader) -> &QuorumPacket {
    match item {
        FromLeader::Packet(p) => p,
        FromLeader::Snapshot(_) => panic!("a snapshot where a packet was expected"),
    }
}

fn kinds(packets: &[&QuorumPacket]) -> Vec<&'static str> {
    packets.iter().map(|p| p.kind.name()).collect()
}

#[test]
fn step5_initial_message_of_a_3_8_server() {
    let bytes = golden("election_handshake_sid1_to_sid2.bin");
    let (m, used) = InitialMessage::decode(&bytes).unwrap().unwrap();
    assert_eq!(used, 35);
    assert_eq!(m.protocol_version, PROTOCOL_VERSION_V1);
    assert_eq!(m.protocol_version, -65536);
    assert_eq!(m.sid, 1);
    assert_eq!(m.addresses, vec!["127.0.0.1:37031".to_string()]);
    assert_eq!(m.encode(), bytes);
    assert_eq!(InitialMessage::new(1, "127.0.0.1:37031").encode(), bytes);
    // Sid 1 connected to sid 2, sent this, and hung up: the smaller sid never keeps it.
    assert!(!connection_survives(1, 2));
    assert!(connection_survives(3, 1));
}

#[test]
fn step5_initial_message_prefixes_ask_for_more() {
    let bytes = golden("election_handshake_sid1_to_sid2.bin");
    for cut in 0..bytes.len() {
        assert_eq!(
            InitialMessage::decode(&bytes[..cut]).unwrap(),
            None,
            "{cut} bytes"
        );
    }
}

#[test]
fn step5_initial_message_v2_and_legacy() {
    let m = InitialMessage {
        protocol_version: PROTOCOL_VERSION_V2,
        sid: 7,
        addresses: vec!["10.0.0.1:3888".into(), "10.0.1.1:3888".into()],
    };
    let bytes = m.encode();
    assert_eq!(
        InitialMessage::decode(&bytes).unwrap(),
        Some((m, bytes.len()))
    );
    // A pre-3.5 server sends only its sid.
    let legacy = 3i64.to_be_bytes();
    let (m, used) = InitialMessage::decode(&legacy).unwrap().unwrap();
    assert_eq!((m.sid, m.addresses.len(), used), (3, 0, 8));
}

#[test]
fn step5_bad_initial_messages_are_refused() {
    let mut bytes = (-65534i64).to_be_bytes().to_vec();
    bytes.extend(1i64.to_be_bytes());
    assert_eq!(
        InitialMessage::decode(&bytes),
        Err(WireError::UnknownProtocolVersion(-65534))
    );
    let mut bytes = PROTOCOL_VERSION_V1.to_be_bytes().to_vec();
    bytes.extend(1i64.to_be_bytes());
    bytes.extend(4096i32.to_be_bytes());
    assert_eq!(
        InitialMessage::decode(&bytes),
        Err(WireError::BadAddressLength(4096))
    );
    let bad = InitialMessage::new(1, "no-port-here").encode();
    assert!(matches!(
        InitialMessage::decode(&bad),
        Err(WireError::BadAddress(_))
    ));
}

#[test]
fn step5_notifications_of_the_first_election() {
    // Sid 3 connected to sid 1 (the larger sid keeps the connection).
    let (hello, from3) = election_stream(&golden("election_sid3_to_sid1.c2s.bin"), true);
    let hello = hello.unwrap();
    assert_eq!(
        (hello.sid, hello.addresses[0].as_str()),
        (3, "127.0.0.1:37033")
    );
    assert_eq!(from3.len(), 7);
    let first = &from3[0];
    assert_eq!(first.state, PeerState::Looking);
    assert_eq!(
        (
            first.leader,
            first.zxid,
            first.election_epoch,
            first.peer_epoch
        ),
        (3, 0, 1, 0)
    );
    assert_eq!(first.version, 2);
    assert_eq!(first.encode().len(), 182);
    let config = first.config_text().unwrap();
    assert_eq!(
        config,
        "server.1=127.0.0.1:37121:37131:participant\n\
         server.2=127.0.0.1:37122:37132:participant\n\
         server.3=127.0.0.1:37023:37033:participant\n\
         version=0"
    );
    // Then sid 3 announces that it leads.
    assert_eq!(from3[1].state, PeerState::Leading);
    assert_eq!(from3[1].leader, 3);

    let (none, from1) = election_stream(&golden("election_sid3_to_sid1.s2c.bin"), false);
    assert!(none.is_none());
    assert_eq!(from1.len(), 9);
    // Sid 1 starts by voting for itself, then for sid 3.
    assert_eq!((from1[0].leader, from1[0].election_epoch), (1, 1));
    assert_eq!((from1[1].leader, from1[1].election_epoch), (3, 1));
    assert!(from1.iter().all(|n| n.state == PeerState::Looking));
}

#[test]
fn step5_notifications_after_the_leader_died() {
    let (hello, from2) = election_stream(&golden("election_after_kill_sid2_to_sid1.c2s.bin"), true);
    assert_eq!(hello.unwrap().sid, 2);
    let last = from2.last().unwrap();
    assert_eq!(last.state, PeerState::Looking);
    assert_eq!(
        (last.leader, last.zxid, last.election_epoch, last.peer_epoch),
        (2, 0x1_0000_000b, 3, 1)
    );
    let (_, from1) = election_stream(&golden("election_after_kill_sid2_to_sid1.s2c.bin"), false);
    // Sid 1 first answers as a follower of the old leader 3, then votes itself, then for 2.
    assert_eq!(from1[0].state, PeerState::Following);
    assert_eq!(from1[0].leader, 3);
    let votes: Vec<i64> = from1.iter().map(|n| n.leader).collect();
    assert_eq!(votes, vec![3, 3, 1, 2]);
}

#[test]
fn step5_old_notification_shapes_are_read() {
    let full = Notification {
        state: PeerState::Looking,
        leader: 2,
        zxid: 0x3_0000_0005,
        election_epoch: 4,
        peer_epoch: 3,
        version: 2,
        config: Some(b"version=0".to_vec()),
    }
    .encode();
    let n28 = Notification::decode(&full[..28]).unwrap();
    assert_eq!((n28.peer_epoch, n28.version, n28.config), (3, 0, None));
    let n40 = Notification::decode(&full[..40]).unwrap();
    assert_eq!((n40.peer_epoch, n40.version, n40.config), (3, 0, None));
    assert_eq!(
        Notification::decode(&full[..27]),
        Err(WireError::ShortNotification(27))
    );
    // A config length beyond the frame (here: the frame cut right after the length).
    assert!(matches!(
        Notification::decode(&full[..44]),
        Err(WireError::BadConfigLength { len: 9, .. })
    ));
    assert_eq!(
        election::decode_frame(&0i32.to_be_bytes()),
        Err(WireError::BadFrameLength(0))
    );
    assert_eq!(
        election::decode_frame(&(600 * 1024i32).to_be_bytes()),
        Err(WireError::BadFrameLength(600 * 1024))
    );
}

#[test]
fn step5_follower_session_synced_by_diff() {
    let from_follower = learner_packets(&golden("quorum_diff_sid1.c2s.bin"));
    let head: Vec<&QuorumPacket> = from_follower.iter().take(4).collect();
    assert_eq!(kinds(&head), ["FOLLOWERINFO", "ACKEPOCH", "ACK", "ACK"]);
    let info = LearnerInfo::decode(head[0].data.as_deref().unwrap()).unwrap();
    assert_eq!(
        info,
        LearnerInfo {
            server_id: 1,
            protocol_version: LEARNER_PROTOCOL_VERSION,
            config_version: 0
        }
    );
    assert_eq!(info.encode(), head[0].data.clone().unwrap());
    assert_eq!(head[0].zxid, 0, "accepted epoch 0, shifted");
    assert_eq!(head[0].authinfo, None);
    assert_eq!(
        (
            head[1].zxid,
            decode_int(head[1].data.as_deref().unwrap(), "ACKEPOCH").unwrap()
        ),
        (0, 0)
    );
    // One ACK for NEWLEADER, one for UPTODATE, both with the new epoch's zxid.
    assert_eq!((head[2].zxid, head[3].zxid), (0x1_0000_0000, 0x1_0000_0000));

    // A follower's PING: empty data (not null) without sessions, pairs with them.
    let pings: Vec<&QuorumPacket> = from_follower
        .iter()
        .filter(|p| p.kind == PacketType::Ping)
        .collect();
    assert_eq!(pings[0].data.as_deref(), Some(&[][..]));
    let with_session = pings
        .iter()
        .find(|p| p.data.as_ref().is_some_and(|d| !d.is_empty()))
        .unwrap();
    let sessions = decode_ping_sessions(with_session.data.as_deref().unwrap()).unwrap();
    assert_eq!(sessions, vec![(0x0100_0004_7835_0000, 10_000)]);
    assert_eq!(
        encode_ping_sessions(&sessions),
        with_session.data.clone().unwrap()
    );

    // Forwarded writes: createSession first (no auth), then the client's requests.
    let requests: Vec<ForwardedRequest> = from_follower
        .iter()
        .filter(|p| p.kind == PacketType::Request)
        .map(|p| {
            assert_eq!(p.zxid, -1);
            let r = ForwardedRequest::decode(p.data.as_deref().unwrap()).unwrap();
            assert_eq!(r.encode(), p.data.clone().unwrap());
            r
        })
        .collect();
    let ops: Vec<i32> = requests.iter().map(|r| r.kind).collect();
    assert_eq!(ops, vec![-10, 1, 1, 5, 1, 9, -11]);
    assert_eq!(requests[0].request, 10_000i32.to_be_bytes());
    assert_eq!(requests[1].session_id, 0x0100_0004_7835_0000);
    let first_write = from_follower
        .iter()
        .filter(|p| p.kind == PacketType::Request)
        .nth(1)
        .unwrap();
    let ids = first_write.authinfo.as_ref().unwrap();
    assert_eq!(
        (ids[0].scheme.as_str(), ids[0].id.as_str()),
        ("ip", "127.0.0.1")
    );

    let from_leader = leader_items(&golden("quorum_diff_sid1.s2c.bin"));
    let packets: Vec<&QuorumPacket> = from_leader.iter().map(packet).collect();
    assert_eq!(
        kinds(&packets[..4]),
        ["LEADERINFO", "DIFF", "NEWLEADER", "UPTODATE"]
    );
    assert_eq!(packets[0].zxid, 0x1_0000_0000);
    assert_eq!(
        decode_int(packets[0].data.as_deref().unwrap(), "LEADERINFO").unwrap(),
        0x10000
    );
    assert_eq!((packets[1].zxid, &packets[1].data), (0, &None));
    assert_eq!(packets[2].zxid, 0x1_0000_0000);
    assert!(String::from_utf8(packets[2].data.clone().unwrap())
        .unwrap()
        .ends_with("version=0"));
    assert_eq!(packets[3].zxid, -1);
    // The leader's PING has null data.
    let ping = packets.iter().find(|p| p.kind == PacketType::Ping).unwrap();
    assert_eq!(ping.data, None);

    // Broadcast: each PROPOSAL is followed by its COMMIT, in zxid order.
    let broadcast: Vec<&&QuorumPacket> = packets
        .iter()
        .filter(|p| matches!(p.kind, PacketType::Proposal | PacketType::Commit))
        .collect();
    assert_eq!(broadcast.len(), 22);
    for (i, pair) in broadcast.chunks(2).enumerate() {
        assert_eq!(pair[0].kind, PacketType::Proposal);
        assert_eq!(pair[1].kind, PacketType::Commit);
        assert_eq!(pair[0].zxid, 0x1_0000_0001 + i as i64);
        assert_eq!(pair[1].zxid, pair[0].zxid);
    }
    let create_session = Proposal::decode(broadcast[0].data.as_deref().unwrap()).unwrap();
    assert_eq!(create_session.header.kind, -10);
    assert_eq!(create_session.header.client_id, 0x0100_0004_7835_0000);
    assert_eq!(create_session.header.zxid, 0x1_0000_0001);
    assert_eq!(create_session.txn, 10_000i32.to_be_bytes());
    let digest = create_session.digest.unwrap();
    assert_eq!((digest.version, digest.tree_digest), (2, 0x51c6_d660));
    let create = Proposal::decode(broadcast[2].data.as_deref().unwrap()).unwrap();
    assert_eq!((create.header.kind, create.header.cxid), (1, 3));
    assert_eq!(&create.txn[4..11], b"/zkwire");
    for p in &broadcast {
        if let Some(data) = &p.data {
            assert_eq!(&Proposal::decode(data).unwrap().encode(), data);
        }
    }
    // A client's `sync` through the follower is answered by a SYNC packet.
    let sync = packets.iter().find(|p| p.kind == PacketType::Sync).unwrap();
    assert_eq!((sync.zxid, &sync.data), (0, &None));
}

#[test]
fn step5_follower_synced_by_snap() {
    let from_follower = learner_packets(&golden("quorum_snap_sid2.c2s.bin"));
    let kinds_f: Vec<&str> = from_follower
        .iter()
        .take(4)
        .map(|p| p.kind.name())
        .collect();
    assert_eq!(kinds_f, ["FOLLOWERINFO", "ACKEPOCH", "ACK", "ACK"]);
    let info = LearnerInfo::decode(from_follower[0].data.as_deref().unwrap()).unwrap();
    assert_eq!(info.server_id, 2);

    let items = leader_items(&golden("quorum_snap_sid2.s2c.bin"));
    assert_eq!(packet(&items[0]).kind, PacketType::LeaderInfo);
    let snap = packet(&items[1]);
    assert_eq!(
        (snap.kind, snap.zxid, &snap.data),
        (PacketType::Snap, 0x1_0000_000b, &None)
    );
    let FromLeader::Snapshot(tree) = &items[2] else {
        panic!("a snapshot follows SNAP");
    };
    assert!(tree.sessions.is_empty(), "both kazoo sessions were closed");
    assert_eq!(tree.acls.len(), 2);
    assert_eq!(tree.acls[1].0, 2);
    assert_eq!(tree.acls[1].1[0].perms, 31);
    assert_eq!(tree.acls[1].1[0].scheme, "world");
    let paths: Vec<&str> = tree.nodes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        &paths[..5],
        [
            "",
            "/zookeeper",
            "/zookeeper/config",
            "/zookeeper/quota",
            "/zkwire"
        ]
    );
    assert_eq!(paths.len(), 9);
    let viaf = tree
        .nodes
        .iter()
        .find(|n| n.path == "/zkwire/viaf")
        .unwrap();
    assert_eq!(viaf.data.as_deref(), Some(&b"v2-viaf"[..]));
    assert_eq!(
        (viaf.stat.czxid, viaf.stat.mzxid, viaf.stat.version),
        (0x1_0000_0003, 0x1_0000_0004, 1)
    );
    assert_eq!(viaf.acl, 2);
    let zkwire = tree.nodes.iter().find(|n| n.path == "/zkwire").unwrap();
    assert_eq!(
        (zkwire.stat.cversion, zkwire.stat.pzxid),
        (4, 0x1_0000_000a)
    );
    let after: Vec<&str> = items[3..].iter().map(|i| packet(i).kind.name()).collect();
    assert_eq!(&after[..2], ["NEWLEADER", "UPTODATE"]);
}

#[test]
fn step5_snap_stream_prefixes_ask_for_more_and_signature_is_checked() {
    let bytes = golden("quorum_snap_sid2.s2c.bin");
    // LEADERINFO (24 bytes) then SNAP (20 bytes) then the stream.
    let stream = &bytes[44..];
    let (snap, used) = SnapStream::decode(stream).unwrap().unwrap();
    for cut in (0..used).step_by(7) {
        assert_eq!(
            SnapStream::decode(&stream[..cut]).unwrap(),
            None,
            "{cut} bytes"
        );
    }
    let mut forged = snap.encode();
    let n = forged.len();
    forged[n - 1] = b'X';
    assert_eq!(
        SnapStream::decode(&forged),
        Err(WireError::BadSignature("BenWasHerX".into()))
    );
}

#[test]
fn step5_follower_of_the_new_leader_after_kill() {
    let from_follower = learner_packets(&golden("quorum_after_kill_sid1.c2s.bin"));
    // Sid 1 had accepted epoch 1 and logged up to 0x10000000b.
    assert_eq!(from_follower[0].kind, PacketType::FollowerInfo);
    assert_eq!(from_follower[0].zxid, 0x1_0000_0000);
    assert_eq!(from_follower[1].kind, PacketType::AckEpoch);
    assert_eq!(from_follower[1].zxid, 0x1_0000_000b);
    assert_eq!(
        decode_int(from_follower[1].data.as_deref().unwrap(), "ACKEPOCH").unwrap(),
        1
    );
    assert_eq!(from_follower[2].zxid, 0x2_0000_0000);

    let items = leader_items(&golden("quorum_after_kill_sid1.s2c.bin"));
    let packets: Vec<&QuorumPacket> = items.iter().map(packet).collect();
    assert_eq!(
        kinds(&packets[..4]),
        ["LEADERINFO", "DIFF", "NEWLEADER", "UPTODATE"]
    );
    assert_eq!(packets[0].zxid, 0x2_0000_0000, "the new epoch is 2");
    assert_eq!(
        packets[1].zxid, 0x1_0000_000b,
        "nothing to send: an empty DIFF"
    );
    let first = packets
        .iter()
        .find(|p| p.kind == PacketType::Proposal)
        .unwrap();
    assert_eq!(first.zxid, 0x2_0000_0001);
}

#[test]
fn step5_quorum_packet_prefixes_ask_for_more() {
    let bytes = golden("quorum_diff_sid1.c2s.bin");
    let (first, used) = QuorumPacket::decode(&bytes).unwrap().unwrap();
    assert_eq!((first.kind, used), (PacketType::FollowerInfo, 40));
    for cut in 0..used {
        assert_eq!(
            QuorumPacket::decode(&bytes[..cut]).unwrap(),
            None,
            "{cut} bytes"
        );
    }
    let mut unknown = bytes[..used].to_vec();
    unknown[..4].copy_from_slice(&42i32.to_be_bytes());
    assert_eq!(
        QuorumPacket::decode(&unknown),
        Err(WireError::UnknownPacketType(42))
    );
}

#[test]
fn step5_revalidate_round_trips() {
    let ask = RevalidateRequest {
        session_id: 0x0100_0004_7835_0000,
        timeout: 10_000,
    };
    assert_eq!(ask.encode().len(), 12);
    // Through a whole packet, as it travels (zxid -1, no auth).
    let packet = QuorumPacket::new(PacketType::Revalidate, -1, Some(ask.encode()));
    let bytes = packet.encode();
    let (back, used) = QuorumPacket::decode(&bytes).unwrap().unwrap();
    assert_eq!((&back, used), (&packet, 4 + 8 + 4 + 12 + 4));
    assert_eq!(
        RevalidateRequest::decode(back.data.as_deref().unwrap()).unwrap(),
        ask
    );
    let answer = RevalidateAnswer {
        session_id: ask.session_id,
        valid: true,
    };
    assert_eq!(answer.encode().len(), 9);
    assert_eq!(RevalidateAnswer::decode(&answer.encode()).unwrap(), answer);
}

#[test]
fn step5_follower_catches_up_by_diff_and_revalidates_a_moved_session() {
    // Sid 1 was killed at 0x100000006 (data kept), missed five txns, and came back.
    let from_follower = learner_packets(&golden("quorum_diff_replay_sid1.c2s.bin"));
    assert_eq!(from_follower[0].zxid, 0x1_0000_0000);
    assert_eq!(from_follower[1].kind, PacketType::AckEpoch);
    assert_eq!(from_follower[1].zxid, 0x1_0000_0006);
    // The leader's epoch equals the one sid 1 had already accepted: it acks with -1.
    assert_eq!(
        decode_int(from_follower[1].data.as_deref().unwrap(), "ACKEPOCH").unwrap(),
        -1
    );
    // ACK NEWLEADER, ACK UPTODATE, and only then the ACKs of the replayed proposals.
    let acks: Vec<i64> = from_follower
        .iter()
        .filter(|p| p.kind == PacketType::Ack)
        .map(|p| p.zxid)
        .take(7)
        .collect();
    assert_eq!(
        acks,
        vec![
            0x1_0000_0000,
            0x1_0000_0000,
            0x1_0000_0007,
            0x1_0000_0008,
            0x1_0000_0009,
            0x1_0000_000a,
            0x1_0000_000b
        ]
    );
    let ask = from_follower
        .iter()
        .find(|p| p.kind == PacketType::Revalidate)
        .unwrap();
    let ask = RevalidateRequest::decode(ask.data.as_deref().unwrap()).unwrap();
    assert_eq!(ask.session_id, 0x0300_0008_6672_0000);
    assert_eq!(ask.timeout, 10_000);

    let items = leader_items(&golden("quorum_diff_replay_sid1.s2c.bin"));
    let packets: Vec<&QuorumPacket> = items.iter().map(packet).collect();
    assert_eq!(
        kinds(&packets[..14]),
        [
            "LEADERINFO",
            "DIFF",
            "PROPOSAL",
            "COMMIT",
            "PROPOSAL",
            "COMMIT",
            "PROPOSAL",
            "COMMIT",
            "PROPOSAL",
            "COMMIT",
            "PROPOSAL",
            "COMMIT",
            "NEWLEADER",
            "UPTODATE"
        ]
    );
    assert_eq!(
        packets[1].zxid, 0x1_0000_000b,
        "DIFF names the leader's last zxid"
    );
    let replayed: Vec<i64> = packets[2..12].iter().step_by(2).map(|p| p.zxid).collect();
    assert_eq!(
        replayed,
        (7..=0xb).map(|c| 0x1_0000_0000 + c).collect::<Vec<_>>()
    );
    let missed0 = Proposal::decode(packets[4].data.as_deref().unwrap()).unwrap();
    assert_eq!(&missed0.txn[4..19], b"/zkwire/missed0");
    let answer = packets
        .iter()
        .find(|p| p.kind == PacketType::Revalidate)
        .unwrap();
    assert_eq!(answer.zxid, -1);
    assert_eq!(
        RevalidateAnswer::decode(answer.data.as_deref().unwrap()).unwrap(),
        RevalidateAnswer {
            session_id: 0x0300_0008_6672_0000,
            valid: true
        }
    );
}

#[test]
fn step5_old_leader_with_an_unreplicated_txn_is_truncated() {
    // Leader 2 logged 0x100000008 while the proxy dropped everything it sent, and was killed.
    // Leader 3 of epoch 2 had written nothing yet, so its last zxid is 0x100000007.
    let from_follower = learner_packets(&golden("quorum_trunc_sid2.c2s.bin"));
    let info = LearnerInfo::decode(from_follower[0].data.as_deref().unwrap()).unwrap();
    assert_eq!(info.server_id, 2);
    assert_eq!(from_follower[1].kind, PacketType::AckEpoch);
    assert_eq!(from_follower[1].zxid, 0x1_0000_0008);

    let items = leader_items(&golden("quorum_trunc_sid2.s2c.bin"));
    let packets: Vec<&QuorumPacket> = items.iter().map(packet).collect();
    assert_eq!(
        kinds(&packets[..4]),
        ["LEADERINFO", "TRUNC", "NEWLEADER", "UPTODATE"]
    );
    assert_eq!(packets[0].zxid, 0x2_0000_0000);
    assert_eq!(
        (packets[1].zxid, &packets[1].data),
        (0x1_0000_0007, &None),
        "truncate the log after 0x100000007"
    );
}
