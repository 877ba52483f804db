//! Step 3: broadcast — PROPOSAL, ACK from a quorum, COMMIT, strictly in zxid order
//! (ZooKeeper's Leader.propose / processAck / commit and Follower.processPacket).

mod common;

use common::{txn, Net};
use lab10_ensemble::messages::{Message, QuorumPacket, Request, ServerState};
use lab10_ensemble::ready::{Apply, Persist};
use lab10_ensemble::{Error, Zxid};

/// Three servers, 3 leading epoch 1, all synced.
fn ensemble() -> Net {
    let mut net = Net::new(3);
    net.elect();
    assert_eq!(net.leader(), Some(3));
    net
}

fn write_at_leader(net: &mut Net, cxid: i32) {
    net.node(3).prep(Request {
        session: 7,
        cxid,
        kind: 1,
        data: vec![cxid as u8],
    });
    net.flush(3);
}

#[test]
fn step3_a_proposal_is_logged_before_it_is_sent_and_applied_after_a_quorum_acks() {
    let mut net = ensemble();
    let z = net.peer(3).next_zxid().unwrap();
    assert_eq!(z, Zxid::make(1, 1), "the first proposal of epoch 1");
    net.node(3).auto_prep = false;
    net.node(3).peer.propose(txn(z, 7, 1, 1, b"a")).unwrap();
    let rd = net.node(3).peer.ready();
    assert_eq!(rd.persist, vec![Persist::Append(txn(z, 7, 1, 1, b"a"))]);
    let to: Vec<i64> = rd
        .messages
        .iter()
        .filter(|m| matches!(m.msg, Message::Quorum(QuorumPacket::Proposal(_))))
        .map(|m| m.to)
        .collect();
    assert_eq!(to, vec![1, 2]);
    assert!(rd.apply.is_empty(), "not committed: no follower has acked");
    let msgs = net.node(3).handle(rd);
    for m in msgs {
        net.queue.push_back((3, m.to, m.msg));
    }
    net.deliver_all();
    for sid in 1..=3 {
        assert_eq!(net.nodes[&sid].applied_zxids(), vec![z], "server {sid}");
    }
}

#[test]
fn step3_a_follower_acks_in_the_same_ready_that_logs_the_proposal() {
    let mut net = ensemble();
    let t = txn(Zxid::make(1, 1), 7, 1, 1, b"a");
    net.node(1)
        .peer
        .step(3, Message::Quorum(QuorumPacket::Proposal(t.clone())));
    let rd = net.node(1).peer.ready();
    assert_eq!(rd.persist, vec![Persist::Append(t)]);
    assert_eq!(rd.messages.len(), 1);
    assert_eq!(rd.messages[0].to, 3);
    assert_eq!(
        rd.messages[0].msg,
        Message::Quorum(QuorumPacket::Ack {
            zxid: Zxid::make(1, 1)
        })
    );
    assert!(rd.apply.is_empty());
    net.node(1).peer.step(
        3,
        Message::Quorum(QuorumPacket::Commit {
            zxid: Zxid::make(1, 1),
        }),
    );
    let rd = net.node(1).peer.ready();
    assert!(matches!(&rd.apply[..], [Apply::Txn(t)] if t.zxid() == Zxid::make(1, 1)));
}

#[test]
fn step3_nothing_commits_without_a_quorum_and_one_follower_is_enough() {
    let mut net = ensemble();
    net.cut.insert((3, 1));
    net.cut.insert((3, 2));
    write_at_leader(&mut net, 1);
    net.deliver_all();
    assert!(
        net.nodes[&3].applied.is_empty(),
        "its own ACK is one of three"
    );
    let mut net = ensemble();
    net.crash(1);
    write_at_leader(&mut net, 1);
    net.deliver_all();
    assert_eq!(net.nodes[&3].applied_zxids(), vec![Zxid::make(1, 1)]);
    assert_eq!(net.nodes[&2].applied_zxids(), vec![Zxid::make(1, 1)]);
}

#[test]
fn step3_every_server_applies_the_same_writes_in_zxid_order() {
    let mut net = ensemble();
    for cxid in 1..=20 {
        write_at_leader(&mut net, cxid);
        if cxid % 3 == 0 {
            net.deliver_all();
        }
    }
    net.deliver_all();
    let expected: Vec<(Zxid, Vec<u8>)> = (1..=20)
        .map(|c| (Zxid::make(1, c), vec![c as u8]))
        .collect();
    for sid in 1..=3 {
        assert_eq!(net.nodes[&sid].applied, expected, "server {sid}");
    }
}

#[test]
fn step3_a_gap_in_the_proposals_sends_a_follower_back_to_looking() {
    let mut net = ensemble();
    let t = txn(Zxid::make(1, 2), 7, 2, 1, b"b");
    net.node(1)
        .peer
        .step(3, Message::Quorum(QuorumPacket::Proposal(t)));
    assert_eq!(net.state(1), ServerState::Looking);
    // a COMMIT of something never logged, likewise
    net.node(2).peer.step(
        3,
        Message::Quorum(QuorumPacket::Commit {
            zxid: Zxid::make(1, 9),
        }),
    );
    assert_eq!(net.state(2), ServerState::Looking);
}

#[test]
fn step3_only_the_leader_proposes_and_only_the_next_zxid() {
    let mut net = ensemble();
    let wrong = txn(Zxid::make(1, 2), 7, 1, 1, b"a");
    assert_eq!(
        net.node(3).peer.propose(wrong),
        Err(Error::WrongZxid {
            expected: Zxid::make(1, 1),
            got: Zxid::make(1, 2)
        })
    );
    assert_eq!(net.peer(1).next_zxid(), None);
    let t = txn(Zxid::make(1, 1), 7, 1, 1, b"a");
    assert_eq!(
        net.node(1).peer.propose(t),
        Err(Error::NotLeader {
            state: ServerState::Following
        })
    );
}

#[test]
fn step3_a_server_that_returns_gets_the_writes_it_missed() {
    let mut net = ensemble();
    net.crash(1);
    for cxid in 1..=5 {
        write_at_leader(&mut net, cxid);
    }
    net.deliver_all();
    net.restart(1);
    net.elect();
    assert_eq!(net.state(1), ServerState::Following);
    assert_eq!(net.nodes[&1].applied, net.nodes[&3].applied);
    assert_eq!(net.nodes[&1].applied.len(), 5);
}

#[test]
fn step3_a_proposal_or_commit_seen_twice_changes_nothing() {
    let mut net = ensemble();
    write_at_leader(&mut net, 1);
    net.deliver_all();
    let t = net.nodes[&3].disk.log[0].clone();
    net.node(1)
        .peer
        .step(3, Message::Quorum(QuorumPacket::Proposal(t)));
    net.node(1).peer.step(
        3,
        Message::Quorum(QuorumPacket::Commit {
            zxid: Zxid::make(1, 1),
        }),
    );
    let rd = net.node(1).peer.ready();
    assert!(rd.persist.is_empty() && rd.apply.is_empty() && rd.messages.is_empty());
    assert_eq!(net.state(1), ServerState::Following);
}
