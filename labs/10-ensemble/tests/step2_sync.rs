//! Step 2: discovery (FOLLOWERINFO, LEADERINFO, ACKEPOCH) and synchronization (DIFF, TRUNC,
//! SNAP, NEWLEADER, UPTODATE), as ZooKeeper's Leader, LearnerHandler and Learner do them.

mod common;

use common::{config, txn, Net};
use lab10_ensemble::learner_handler::sync_packets;
use lab10_ensemble::messages::{
    LearnerInfo, Message, Notification, QuorumPacket, ServerState, Snapshot, NOTIFICATION_VERSION,
    PROTOCOL_VERSION,
};
use lab10_ensemble::ready::{Persist, Ready};
use lab10_ensemble::zk_database::ZkDatabase;
use lab10_ensemble::{DiskState, QuorumPeer, Zxid};

fn z(epoch: i64, counter: i64) -> Zxid {
    Zxid::make(epoch, counter)
}

/// A disk holding the given zxids, with `epoch` accepted and current.
fn disk(epoch: i64, zxids: &[Zxid]) -> DiskState {
    DiskState {
        accepted_epoch: epoch,
        current_epoch: epoch,
        log: zxids
            .iter()
            .map(|x| txn(*x, 1, x.counter() as i32, 1, &x.0.to_be_bytes()))
            .collect(),
        ..DiskState::default()
    }
}

fn zxids(epoch: i64, counters: std::ops::RangeInclusive<i64>) -> Vec<Zxid> {
    counters.map(|c| z(epoch, c)).collect()
}

fn looking_vote(leader: i64, zxid: Zxid, peer_epoch: i64) -> Message {
    Message::Election(Notification {
        state: ServerState::Looking,
        leader,
        zxid,
        election_epoch: 1,
        peer_epoch,
        version: NOTIFICATION_VERSION,
        config: Vec::new(),
    })
}

/// Server 1 of three, elected to follow 3 (3 votes for itself with an unbeatable history).
fn follower_of_3(disk: DiskState) -> QuorumPeer {
    let mut p = QuorumPeer::new(config(1, 3), disk).unwrap();
    p.step(3, looking_vote(3, z(99, 0), 99));
    p.tick();
    assert_eq!(p.state(), ServerState::Following);
    p
}

/// Server 3 of three, elected to lead (1 votes for it).
fn leader_3(disk: DiskState) -> QuorumPeer {
    let mut p = QuorumPeer::new(config(3, 3), disk.clone()).unwrap();
    p.step(
        1,
        looking_vote(
            3,
            disk.log.last().map_or(Zxid(0), |t| t.zxid()),
            disk.current_epoch,
        ),
    );
    p.tick();
    assert_eq!(p.state(), ServerState::Leading);
    p
}

fn packets(rd: &Ready) -> Vec<(i64, QuorumPacket)> {
    rd.messages
        .iter()
        .filter_map(|m| match &m.msg {
            Message::Quorum(p) => Some((m.to, p.clone())),
            Message::Election(_) => None,
        })
        .collect()
}

#[test]
fn step2_the_new_epoch_is_one_more_than_any_accepted_epoch() {
    // 3 leads (all logs are empty: the highest id); 1 and then 2 connect to it
    let mut net = Net::with_disks(3, |sid| DiskState {
        accepted_epoch: [0, 5, 3, 1][sid as usize],
        current_epoch: 0,
        ..DiskState::default()
    });
    net.elect();
    let leader = net.leader().expect("an established leader");
    assert_eq!(leader, 3);
    assert_eq!(net.peer(3).established_epoch(), Some(6));
    for sid in 1..=3 {
        assert_eq!(net.peer(sid).accepted_epoch(), 6, "server {sid}");
        assert_eq!(net.peer(sid).current_epoch(), 6, "server {sid}");
        assert_eq!(net.nodes[&sid].disk.current_epoch, 6, "persisted on {sid}");
    }
    // FOLLOWERINFO carries makeZxid(acceptedEpoch, 0) and a LearnerInfo
    let info = net.nodes[&2].sent.iter().find_map(|m| match &m.msg {
        Message::Quorum(QuorumPacket::FollowerInfo { zxid, info }) => Some((*zxid, info.clone())),
        _ => None,
    });
    let expected = LearnerInfo {
        serverid: 2,
        protocol_version: PROTOCOL_VERSION,
        config_version: 0,
    };
    assert_eq!(info, Some((z(3, 0), expected)));
    // LEADERINFO carries makeZxid(newEpoch, 0) and the protocol version 0x10000
    assert!(net.nodes[&3].sent.iter().any(|m| m.msg
        == Message::Quorum(QuorumPacket::LeaderInfo {
            zxid: z(6, 0),
            protocol_version: 0x10000
        })));
}

#[test]
fn step2_leaderinfo_is_accepted_once_and_an_older_epoch_is_refused() {
    let mut p = follower_of_3(disk(4, &zxids(4, 1..=2)));
    let info = packets(&p.ready());
    assert!(info.contains(&(
        3,
        QuorumPacket::FollowerInfo {
            zxid: z(4, 0),
            info: LearnerInfo {
                serverid: 1,
                protocol_version: PROTOCOL_VERSION,
                config_version: 0
            }
        }
    )));
    // a newer epoch: accepted (persisted) and acked with the current epoch and last zxid
    p.step(
        3,
        Message::Quorum(QuorumPacket::LeaderInfo {
            zxid: z(5, 0),
            protocol_version: PROTOCOL_VERSION,
        }),
    );
    let rd = p.ready();
    assert_eq!(rd.persist, vec![Persist::AcceptedEpoch(5)]);
    assert_eq!(
        packets(&rd),
        vec![(
            3,
            QuorumPacket::AckEpoch {
                zxid: z(4, 2),
                current_epoch: 4
            }
        )]
    );
    // the same epoch again (a new leader of it): -1, it cannot be acked twice
    let mut p = follower_of_3(disk(5, &zxids(4, 1..=2)));
    p.ready();
    p.step(
        3,
        Message::Quorum(QuorumPacket::LeaderInfo {
            zxid: z(5, 0),
            protocol_version: PROTOCOL_VERSION,
        }),
    );
    let rd = p.ready();
    assert!(rd.persist.is_empty());
    assert_eq!(
        packets(&rd),
        vec![(
            3,
            QuorumPacket::AckEpoch {
                zxid: z(4, 2),
                current_epoch: -1
            }
        )]
    );
    // an older epoch: back to LOOKING
    let mut p = follower_of_3(disk(5, &[]));
    p.step(
        3,
        Message::Quorum(QuorumPacket::LeaderInfo {
            zxid: z(4, 0),
            protocol_version: PROTOCOL_VERSION,
        }),
    );
    assert_eq!(p.state(), ServerState::Looking);
}

#[test]
fn step2_a_follower_ahead_of_the_leader_makes_it_step_down() {
    let mut p = leader_3(disk(1, &zxids(1, 1..=2)));
    p.step(
        1,
        Message::Quorum(QuorumPacket::FollowerInfo {
            zxid: z(2, 0),
            info: LearnerInfo {
                serverid: 1,
                protocol_version: PROTOCOL_VERSION,
                config_version: 0,
            },
        }),
    );
    let rd = p.ready();
    assert_eq!(rd.persist, vec![Persist::AcceptedEpoch(3)], "max(1, 2) + 1");
    p.step(
        1,
        Message::Quorum(QuorumPacket::AckEpoch {
            zxid: z(2, 5),
            current_epoch: 2,
        }),
    );
    assert_eq!(p.state(), ServerState::Looking);
    assert_eq!(
        p.last_step_down(),
        Some("a follower is ahead of the leader")
    );
}

fn db(epoch: i64, zxids: &[Zxid]) -> ZkDatabase {
    ZkDatabase::restore(disk(epoch, zxids))
}

fn proposal_and_commit(d: &ZkDatabase, x: Zxid) -> [QuorumPacket; 2] {
    let t = d.range(Zxid(x.0 - 1), x).next().unwrap().clone();
    [QuorumPacket::Proposal(t), QuorumPacket::Commit { zxid: x }]
}

#[test]
fn step2_diff_sends_the_committed_proposals_the_learner_lacks() {
    let d = db(1, &zxids(1, 1..=5));
    assert_eq!(
        sync_packets(&d, z(1, 5), z(1, 5)),
        vec![QuorumPacket::Diff { zxid: z(1, 5) }]
    );
    let mut expected = vec![QuorumPacket::Diff { zxid: z(1, 5) }];
    expected.extend(proposal_and_commit(&d, z(1, 4)));
    expected.extend(proposal_and_commit(&d, z(1, 5)));
    assert_eq!(sync_packets(&d, z(1, 3), z(1, 5)), expected);
    // an empty learner gets everything after the empty tree
    assert_eq!(sync_packets(&d, Zxid(0), z(1, 5)).len(), 11);
}

#[test]
fn step2_trunc_cuts_a_tail_the_leader_does_not_have() {
    let d = db(1, &zxids(1, 1..=5));
    // the learner logged (1,6) and (1,7) that never committed
    assert_eq!(
        sync_packets(&d, z(1, 7), z(1, 5)),
        vec![QuorumPacket::Trunc { zxid: z(1, 5) }]
    );
    // across epochs ZooKeeper's learners refuse TRUNC: SNAP instead
    let mut log = zxids(1, 1..=3);
    log.push(z(3, 1));
    let d = db(3, &log);
    match &sync_packets(&d, z(2, 1), z(3, 1))[0] {
        QuorumPacket::Snap { zxid, .. } => assert_eq!(*zxid, Zxid(0)),
        other => panic!("expected SNAP, got {other:?}"),
    }
}

#[test]
fn step2_snap_when_the_learner_is_older_than_the_leaders_snapshot() {
    let snapshot = Snapshot {
        zxid: z(1, 3),
        ..Snapshot::default()
    };
    let d = ZkDatabase::restore(DiskState {
        snapshot: snapshot.clone(),
        ..disk(1, &zxids(1, 1..=5))
    });
    let mut expected = vec![QuorumPacket::Snap {
        zxid: z(1, 3),
        snapshot,
    }];
    expected.extend(proposal_and_commit(&d, z(1, 4)));
    expected.extend(proposal_and_commit(&d, z(1, 5)));
    assert_eq!(sync_packets(&d, z(1, 1), z(1, 5)), expected);
}

#[test]
fn step2_the_ensemble_syncs_and_commits_the_leaders_history() {
    let mut net = Net::with_disks(3, |sid| match sid {
        1 => disk(1, &zxids(1, 1..=3)),
        2 => disk(1, &zxids(1, 1..=2)),
        _ => DiskState::default(),
    });
    net.elect();
    assert_eq!(net.leader(), Some(1), "the longest history leads");
    for sid in 1..=3 {
        assert_eq!(
            net.nodes[&sid].applied_zxids(),
            zxids(1, 1..=3),
            "server {sid}"
        );
        assert_eq!(
            net.state(sid),
            if sid == 1 {
                ServerState::Leading
            } else {
                ServerState::Following
            }
        );
        assert!(net.peer(sid).is_serving());
    }
    let leader_sent: Vec<QuorumPacket> = net.nodes[&1]
        .sent
        .iter()
        .filter(|m| m.to == 2)
        .filter_map(|m| match &m.msg {
            Message::Quorum(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let t3 = net.nodes[&1].disk.log[2].clone();
    assert_eq!(
        leader_sent,
        vec![
            QuorumPacket::LeaderInfo {
                zxid: z(2, 0),
                protocol_version: PROTOCOL_VERSION
            },
            QuorumPacket::Diff { zxid: z(1, 3) },
            QuorumPacket::Proposal(t3),
            QuorumPacket::Commit { zxid: z(1, 3) },
            QuorumPacket::NewLeader {
                zxid: z(2, 0),
                config: Vec::new()
            },
            QuorumPacket::UpToDate,
        ]
    );
}

#[test]
fn step2_a_learner_persists_the_epoch_before_acking_newleader_and_applies_only_at_uptodate() {
    let mut p = follower_of_3(disk(1, &zxids(1, 1..=2)));
    p.ready();
    let q = |p: QuorumPacket| Message::Quorum(p);
    p.step(
        3,
        q(QuorumPacket::LeaderInfo {
            zxid: z(2, 0),
            protocol_version: PROTOCOL_VERSION,
        }),
    );
    p.ready();
    p.step(3, q(QuorumPacket::Diff { zxid: z(1, 3) }));
    p.step(3, q(QuorumPacket::Proposal(txn(z(1, 3), 1, 3, 1, b"c"))));
    p.step(3, q(QuorumPacket::Commit { zxid: z(1, 3) }));
    let rd = p.ready();
    assert!(rd.apply.is_empty(), "nothing applies before UPTODATE");
    assert!(rd.messages.is_empty(), "no ACK before NEWLEADER");
    p.step(
        3,
        q(QuorumPacket::NewLeader {
            zxid: z(2, 0),
            config: Vec::new(),
        }),
    );
    let rd = p.ready();
    // persisted first (the shell handles persist before messages), then acked
    assert_eq!(rd.persist, vec![Persist::CurrentEpoch(2)]);
    assert_eq!(packets(&rd), vec![(3, QuorumPacket::Ack { zxid: z(2, 0) })]);
    assert!(rd.apply.is_empty());
    assert!(!p.is_serving());
    p.step(3, q(QuorumPacket::UpToDate));
    let rd = p.ready();
    assert_eq!(rd.apply.len(), 3, "the synced history (1,1)..(1,3)");
    // the ACK of UPTODATE, then the ACKs of the proposals of the sync (3.8's requestsToAck)
    assert_eq!(
        packets(&rd),
        vec![
            (3, QuorumPacket::Ack { zxid: z(2, 0) }),
            (3, QuorumPacket::Ack { zxid: z(1, 3) })
        ]
    );
    assert!(p.is_serving());
}

#[test]
fn step2_a_returning_server_with_an_uncommitted_tail_is_truncated() {
    // 2 was the leader of epoch 1 and logged (1,3), (1,4) that nobody else has.
    let mut net = Net::with_disks(3, |sid| match sid {
        2 => disk(1, &zxids(1, 1..=4)),
        _ => disk(1, &zxids(1, 1..=2)),
    });
    net.crash(2);
    net.elect();
    assert_eq!(net.leader(), Some(3));
    net.restart(2);
    net.elect();
    assert_eq!(net.state(2), ServerState::Following);
    assert!(net.nodes[&3]
        .sent
        .iter()
        .any(|m| m.to == 2 && m.msg == Message::Quorum(QuorumPacket::Trunc { zxid: z(1, 2) })));
    assert_eq!(
        net.nodes[&2].disk.log.len(),
        2,
        "the tail is gone from its disk"
    );
    assert_eq!(net.nodes[&2].applied_zxids(), zxids(1, 1..=2));
    assert_eq!(net.peer(2).current_epoch(), 2);
}

#[test]
fn step2_a_learner_behind_the_leaders_snapshot_gets_snap_then_the_rest() {
    use common::encode_state;
    // 3 snapshotted its state at (1,3) and purged the log before it; 1 and 2 are empty
    let history: Vec<(Zxid, Vec<u8>)> = zxids(1, 1..=3)
        .into_iter()
        .map(|x| (x, x.0.to_be_bytes().to_vec()))
        .collect();
    let snapshot = Snapshot {
        zxid: z(1, 3),
        data: encode_state(&history),
        ..Snapshot::default()
    };
    let mut net = Net::with_disks(3, |sid| match sid {
        3 => DiskState {
            snapshot: snapshot.clone(),
            ..disk(1, &zxids(1, 4..=5))
        },
        _ => DiskState::default(),
    });
    net.crash(2);
    net.elect();
    assert_eq!(net.leader(), Some(3));
    let first_sync = net.nodes[&3].sent.iter().find_map(|m| match &m.msg {
        Message::Quorum(p @ (QuorumPacket::Diff { .. } | QuorumPacket::Snap { .. }))
            if m.to == 1 =>
        {
            Some(p.clone())
        }
        _ => None,
    });
    assert_eq!(
        first_sync,
        Some(QuorumPacket::Snap {
            zxid: z(1, 3),
            snapshot
        })
    );
    let expected = zxids(1, 1..=5);
    assert_eq!(
        net.nodes[&1].applied_zxids(),
        expected,
        "the snapshot, then (1,4) and (1,5)"
    );
    assert_eq!(net.nodes[&3].applied_zxids(), expected);
    assert_eq!(
        net.nodes[&1].disk.snapshot.zxid,
        z(1, 3),
        "the image is on its disk"
    );
}

#[test]
fn step2_the_leader_waits_for_a_quorum_before_it_names_the_epoch() {
    // five servers: 1 and 2 vote for 5, so 5 leads (3 of 5)
    let mut p = QuorumPeer::new(config(5, 5), DiskState::default()).unwrap();
    p.step(1, looking_vote(5, Zxid(0), 0));
    p.step(2, looking_vote(5, Zxid(0), 0));
    p.tick();
    assert_eq!(p.state(), ServerState::Leading);
    p.ready();
    let info = |sid: i64, accepted: i64| {
        Message::Quorum(QuorumPacket::FollowerInfo {
            zxid: z(accepted, 0),
            info: LearnerInfo {
                serverid: sid,
                protocol_version: PROTOCOL_VERSION,
                config_version: 0,
            },
        })
    };
    p.step(1, info(1, 2));
    let rd = p.ready();
    assert!(rd.messages.is_empty(), "5 and 1 are 2 of 5: no epoch yet");
    p.step(2, info(2, 4));
    let rd = p.ready();
    assert_eq!(
        rd.persist,
        vec![Persist::AcceptedEpoch(5)],
        "max(0, 2, 4) + 1"
    );
    let leader_info = QuorumPacket::LeaderInfo {
        zxid: z(5, 0),
        protocol_version: PROTOCOL_VERSION,
    };
    assert_eq!(
        packets(&rd),
        vec![(1, leader_info.clone()), (2, leader_info.clone())]
    );
    // a late learner gets the decided epoch at once
    p.step(3, info(3, 1));
    assert_eq!(packets(&p.ready()), vec![(3, leader_info)]);
}

#[test]
fn step2_the_first_sync_packet_must_be_diff_trunc_or_snap() {
    let mut p = follower_of_3(disk(1, &zxids(1, 1..=2)));
    p.step(
        3,
        Message::Quorum(QuorumPacket::LeaderInfo {
            zxid: z(2, 0),
            protocol_version: PROTOCOL_VERSION,
        }),
    );
    p.step(
        3,
        Message::Quorum(QuorumPacket::NewLeader {
            zxid: z(2, 0),
            config: Vec::new(),
        }),
    );
    assert_eq!(p.state(), ServerState::Looking);
    assert_eq!(
        p.last_step_down(),
        Some("a packet out of order during sync")
    );
}

#[test]
fn step2_once_synced_everyone_answers_with_the_epoch_they_follow() {
    // QuorumPeer.updateElectionVote (ZOOKEEPER-1732): the vote's peer epoch becomes the epoch
    // of the leadership, so servers that joined at different times answer alike.
    let mut net = Net::with_disks(3, |_| disk(4, &zxids(4, 1..=2)));
    net.elect();
    assert_eq!(net.peer(3).established_epoch(), Some(5));
    for sid in 1..=3 {
        assert_eq!(net.peer(sid).current_vote().peer_epoch, 5, "server {sid}");
        assert_eq!(net.peer(sid).current_vote().leader, 3);
    }
}
