//! Step 4: followers forward writes and serve reads, `sync`, global sessions (touches relayed
//! in PING replies, expiry by the leader), and the timeouts that end a role (syncLimit,
//! initLimit) — ZooKeeper's FollowerRequestProcessor, Leader.processSync,
//! LearnerSessionTracker, LeaderSessionTracker and Leader.lead's ping loop.

mod common;

use common::{config, Net};
use lab10_ensemble::messages::{
    Message, Notification, QuorumPacket, Request, ServerState, SessionTouch, NOTIFICATION_VERSION,
    OP_CREATE_SESSION, OP_SYNC,
};
use lab10_ensemble::ready::ClientReply;
use lab10_ensemble::{DiskState, Error, QuorumPeer, Zxid};

fn ensemble() -> Net {
    let mut net = Net::new(3);
    net.run(2);
    assert_eq!(net.leader(), Some(3));
    net
}

fn create_session(net: &mut Net, at: i64, session: i64, timeout_ms: i32) {
    let req = Request {
        session,
        cxid: 0,
        kind: OP_CREATE_SESSION,
        data: timeout_ms.to_be_bytes().to_vec(),
    };
    net.node(at).peer.submit(req).unwrap();
    net.flush(at);
    net.deliver_all();
}

#[test]
fn step4_a_follower_forwards_a_write_and_answers_its_client_after_the_commit() {
    // a server in an election refuses clients (they retry elsewhere)
    let mut peer = QuorumPeer::new(config(1, 3), DiskState::default()).unwrap();
    let req = Request {
        session: 1,
        cxid: 1,
        kind: 1,
        data: Vec::new(),
    };
    assert_eq!(
        peer.submit(req),
        Err(Error::NotServing {
            state: ServerState::Looking
        })
    );
    let mut net = ensemble();
    net.write(1, 42, 7, b"w");
    let forwarded = net.nodes[&1].sent.iter().any(|m| {
        m.to == 3
            && matches!(&m.msg, Message::Quorum(QuorumPacket::Request(r))
                if r.session == 42 && r.cxid == 7 && r.data == b"w")
    });
    assert!(forwarded, "REQUEST to the leader");
    assert!(net.nodes[&1].replies.is_empty(), "not before the commit");
    net.deliver_all();
    let z = Zxid::make(1, 1);
    assert_eq!(
        net.nodes[&1].replies,
        vec![ClientReply::Committed {
            session: 42,
            cxid: 7,
            zxid: z
        }]
    );
    assert!(
        net.nodes[&3].replies.is_empty(),
        "only the server the client talks to answers"
    );
    for sid in 1..=3 {
        assert_eq!(
            net.nodes[&sid].applied,
            vec![(z, b"w".to_vec())],
            "server {sid}"
        );
    }
}

#[test]
fn step4_sync_answers_after_the_leaders_earlier_commits() {
    let mut net = ensemble();
    net.write(2, 5, 1, b"a");
    net.write(2, 5, 2, b"b");
    // 1 has not heard of them yet; its client syncs before reading
    let sync = Request {
        session: 9,
        cxid: 1,
        kind: OP_SYNC,
        data: Vec::new(),
    };
    net.node(1).peer.submit(sync).unwrap();
    net.flush(1);
    net.deliver_all();
    let z = Zxid::make(1, 2);
    assert_eq!(
        net.nodes[&1].replies,
        vec![ClientReply::Synced {
            session: 9,
            cxid: 1,
            zxid: z
        }]
    );
    assert!(net.nodes[&3]
        .sent
        .iter()
        .any(|m| m.to == 1 && m.msg == Message::Quorum(QuorumPacket::Sync)));
    assert_eq!(net.nodes[&1].applied.len(), 2);
    // the leader's own client
    let sync = Request {
        session: 9,
        cxid: 2,
        kind: OP_SYNC,
        data: Vec::new(),
    };
    net.node(3).peer.submit(sync).unwrap();
    net.flush(3);
    assert_eq!(
        net.nodes[&3].replies,
        vec![ClientReply::Synced {
            session: 9,
            cxid: 2,
            zxid: z
        }]
    );
}

#[test]
fn step4_a_follower_relays_its_clients_touches_in_the_ping_reply() {
    let mut net = ensemble();
    create_session(&mut net, 1, 77, 1_000);
    assert_eq!(
        net.peer(2).sessions().get(&77),
        Some(&1_000),
        "sessions are global"
    );
    assert!(net.node(1).peer.touch(77));
    assert!(!net.node(1).peer.touch(78), "unknown session");
    net.run(1);
    let relayed = net.nodes[&1].sent.iter().any(|m| {
        m.to == 3
            && matches!(&m.msg, Message::Quorum(QuorumPacket::Ping { touches, .. })
                if touches == &vec![SessionTouch { session: 77, timeout_ms: 1_000 }])
    });
    assert!(relayed);
}

#[test]
fn step4_the_leader_expires_a_session_nobody_touches() {
    let mut net = ensemble();
    // tickTime 100 ms in the tests: 1000 ms is 10 ticks
    create_session(&mut net, 1, 77, 1_000);
    create_session(&mut net, 2, 88, 1_000);
    for _ in 0..30 {
        net.node(1).peer.touch(77);
        net.run(1);
    }
    for sid in 1..=3 {
        assert!(
            net.peer(sid).sessions().contains_key(&77),
            "touched through 1: alive"
        );
        assert!(
            !net.peer(sid).sessions().contains_key(&88),
            "expired everywhere"
        );
    }
    net.run(12);
    assert!(
        !net.peer(2).sessions().contains_key(&77),
        "untouched since: expired"
    );
}

#[test]
fn step4_a_leader_without_a_quorum_steps_down_after_sync_limit() {
    let mut net = ensemble();
    net.crash(1);
    net.crash(2);
    // syncLimit is 5 ticks in the tests
    net.run(5);
    assert_eq!(net.state(3), ServerState::Leading);
    net.run(1);
    assert_eq!(net.state(3), ServerState::Looking);
    assert_eq!(
        net.peer(3).last_step_down(),
        Some("not sufficient followers synced within syncLimit")
    );
}

#[test]
fn step4_followers_of_a_silent_leader_elect_a_new_one_and_keep_every_write() {
    let mut net = ensemble();
    for cxid in 1..=10 {
        net.write(1, 1, cxid, &[cxid as u8]);
    }
    net.deliver_all();
    net.crash(3);
    net.run(5);
    assert_eq!(
        net.state(1),
        ServerState::Following,
        "silent for syncLimit ticks only"
    );
    net.run(1);
    assert_eq!(net.state(1), ServerState::Looking);
    net.run(3);
    assert_eq!(net.leader(), Some(2));
    assert_eq!(net.peer(2).established_epoch(), Some(2));
    net.write(1, 1, 11, b"after");
    net.deliver_all();
    assert_eq!(net.nodes[&1].applied.len(), 11);
    assert_eq!(net.nodes[&1].applied, net.nodes[&2].applied);
}

#[test]
fn step4_a_learner_that_cannot_sync_within_init_limit_looks_again() {
    let mut p = QuorumPeer::new(config(1, 3), DiskState::default()).unwrap();
    let vote = Notification {
        state: ServerState::Looking,
        leader: 3,
        zxid: Zxid(0),
        election_epoch: 1,
        peer_epoch: 0,
        version: NOTIFICATION_VERSION,
        config: Vec::new(),
    };
    p.step(3, Message::Election(vote));
    p.tick();
    assert_eq!(p.state(), ServerState::Following);
    p.ready();
    // the leader never answers; FOLLOWERINFO is retried every tick (initLimit is 10)
    for _ in 0..10 {
        p.tick();
        let rd = p.ready();
        assert!(matches!(
            &rd.messages[..],
            [m] if matches!(m.msg, Message::Quorum(QuorumPacket::FollowerInfo { .. }))
        ));
    }
    p.tick();
    assert_eq!(p.state(), ServerState::Looking);
    assert_eq!(
        p.last_step_down(),
        Some("sync did not finish within initLimit")
    );
}

#[test]
fn step4_the_leader_pings_with_its_last_proposal_and_answers_revalidate() {
    let mut net = ensemble();
    net.write(1, 1, 1, b"a");
    net.deliver_all();
    create_session(&mut net, 1, 77, 1_000);
    net.run(1);
    let pinged = net.nodes[&3].sent.iter().any(|m| {
        m.to == 2
            && m.msg
                == Message::Quorum(QuorumPacket::Ping {
                    zxid: Zxid::make(1, 2),
                    touches: vec![],
                })
    });
    assert!(pinged, "PING carries the last proposed zxid");
    let echoed = net.nodes[&2].sent.iter().any(|m| {
        m.to == 3
            && m.msg
                == Message::Quorum(QuorumPacket::Ping {
                    zxid: Zxid::make(1, 2),
                    touches: vec![],
                })
    });
    assert!(echoed, "the follower answers with the same zxid");
    for (session, valid) in [(77, true), (78, false)] {
        net.node(3).peer.step(
            1,
            Message::Quorum(QuorumPacket::Revalidate {
                session,
                timeout_ms: 1_000,
            }),
        );
        let rd = net.node(3).peer.ready();
        assert_eq!(rd.messages.len(), 1);
        assert_eq!(
            rd.messages[0].msg,
            Message::Quorum(QuorumPacket::RevalidateReply { session, valid })
        );
    }
}

#[test]
fn step4_a_server_cut_off_acknowledges_nothing_and_catches_up_when_healed() {
    let mut net = ensemble();
    net.cut.insert((1, 2));
    net.cut.insert((1, 3));
    net.write(1, 5, 1, b"lost?");
    net.write(2, 6, 1, b"kept");
    net.deliver_all();
    assert_eq!(
        net.nodes[&2].replies,
        vec![ClientReply::Committed {
            session: 6,
            cxid: 1,
            zxid: Zxid::make(1, 1)
        }]
    );
    net.run(6);
    assert_eq!(
        net.state(1),
        ServerState::Looking,
        "no word from its leader for syncLimit"
    );
    assert_eq!(
        net.nodes[&1].replies,
        vec![ClientReply::Lost {
            session: 5,
            cxid: 1
        }],
        "its client hears a connection loss, never an OK"
    );
    net.run(20);
    assert_eq!(
        net.state(1),
        ServerState::Looking,
        "alone, it elects nobody"
    );
    assert_eq!(net.leader(), Some(3), "the majority side goes on");
    net.cut.clear();
    net.run(3);
    assert_eq!(net.state(1), ServerState::Following);
    assert_eq!(net.nodes[&1].applied, net.nodes[&3].applied);
    assert_eq!(
        net.nodes[&1].applied,
        vec![(Zxid::make(1, 1), b"kept".to_vec())]
    );
}
