//! Step 1: leader election as ZooKeeper's FastLeaderElection does it — zxids, the order of
//! votes, majorities, rounds, and the out of election rule.

mod common;

use common::{config, txn, Net};
use lab10_ensemble::fast_leader_election::FastLeaderElection;
use lab10_ensemble::messages::{Message, Notification, ServerState, NOTIFICATION_VERSION};
use lab10_ensemble::quorum_verifier::QuorumMaj;
use lab10_ensemble::vote::Vote;
use lab10_ensemble::{DiskState, QuorumPeer, Zxid};

fn vote(leader: i64, zxid: i64, election_epoch: i64, peer_epoch: i64, state: ServerState) -> Vote {
    Vote {
        leader,
        zxid: Zxid(zxid),
        election_epoch,
        peer_epoch,
        state,
    }
}

fn note(state: ServerState, leader: i64, zxid: Zxid, round: i64, peer_epoch: i64) -> Notification {
    Notification {
        state,
        leader,
        zxid,
        election_epoch: round,
        peer_epoch,
        version: NOTIFICATION_VERSION,
        config: Vec::new(),
    }
}

/// A disk whose log holds `count` transactions of `epoch`, and that epoch as current.
fn disk_with(epoch: i64, count: i64) -> DiskState {
    DiskState {
        accepted_epoch: epoch,
        current_epoch: epoch,
        log: (1..=count)
            .map(|c| txn(Zxid::make(epoch, c), 1, c as i32, 1, b"x"))
            .collect(),
        ..DiskState::default()
    }
}

#[test]
fn step1_zxid_is_epoch_high_and_counter_low() {
    // ZxidUtils.makeZxid(5, 3) = 0x0000000500000003
    let z = Zxid::make(5, 3);
    assert_eq!(z, Zxid(0x0000_0005_0000_0003));
    assert_eq!((z.epoch(), z.counter()), (5, 3));
    assert_eq!(Zxid(0x0000_0002_ffff_ffff).epoch(), 2);
    assert_eq!(Zxid(0x0000_0002_ffff_ffff).counter(), 0xffff_ffff);
    // a new epoch sorts after every zxid of the old one
    assert!(Zxid::make(3, 0) > Zxid::make(2, 0xffff_fffe));
    assert_eq!(format!("{}", Zxid::make(1, 10)), "0x10000000a");
}

#[test]
fn step1_votes_order_by_peer_epoch_then_zxid_then_server_id() {
    use ServerState::Looking;
    // totalOrderPredicate: the epoch first, even over a longer log
    let newer_epoch = vote(1, Zxid::make(2, 1).0, 1, 2, Looking);
    let longer_log = vote(3, Zxid::make(1, 99).0, 1, 1, Looking);
    assert!(newer_epoch.compare_candidate(&longer_log).is_gt());
    // same epoch: the longer history
    let a = vote(1, Zxid::make(1, 7).0, 1, 1, Looking);
    let b = vote(3, Zxid::make(1, 6).0, 1, 1, Looking);
    assert!(a.compare_candidate(&b).is_gt());
    // all equal: the higher server id
    let c = vote(2, Zxid::make(1, 7).0, 9, 1, Looking);
    assert!(c.compare_candidate(&a).is_gt());
    // the round does not take part in the order
    let d = vote(2, Zxid::make(1, 7).0, 1, 1, Looking);
    assert!(c.compare_candidate(&d).is_eq());
}

#[test]
fn step1_votes_agree_fully_while_looking_and_on_leader_and_epoch_out_of_election() {
    use ServerState::{Following, Leading, Looking};
    let looking = vote(3, 10, 2, 1, Looking);
    assert!(looking.agrees_with(&vote(3, 10, 2, 1, Looking)));
    assert!(
        !looking.agrees_with(&vote(3, 10, 3, 1, Looking)),
        "another round"
    );
    assert!(
        !looking.agrees_with(&vote(3, 11, 2, 1, Following)),
        "another zxid, one side looking"
    );
    // Vote.equals between servers out of the election: leader and peer epoch only
    let following = vote(3, 10, 2, 1, Following);
    assert!(following.agrees_with(&vote(3, 99, 7, 1, Leading)));
    assert!(!following.agrees_with(&vote(3, 10, 2, 2, Leading)));
    assert!(!following.agrees_with(&vote(2, 10, 2, 1, Leading)));
}

#[test]
fn step1_a_quorum_is_a_strict_majority_of_the_voters() {
    let three = QuorumMaj::new([1, 2, 3]);
    assert!(!three.contains_quorum([1]));
    assert!(three.contains_quorum([1, 3]));
    assert!(!three.contains_quorum([1, 1, 1]), "duplicates count once");
    assert!(!three.contains_quorum([1, 4, 5]), "strangers do not count");
    let five = QuorumMaj::new([1, 2, 3, 4, 5]);
    assert!(!five.contains_quorum([1, 2]));
    assert!(five.contains_quorum([1, 2, 5]));
    let four = QuorumMaj::new([1, 2, 3, 4]);
    assert!(!four.contains_quorum([1, 2]), "half is not a majority");
    assert!(QuorumMaj::new([7]).contains_quorum([7]));
}

#[test]
fn step1_three_new_servers_elect_the_highest_id() {
    let mut net = Net::new(3);
    net.election_only = true;
    net.run(2);
    assert_eq!(net.state(3), ServerState::Leading);
    assert_eq!(net.state(1), ServerState::Following);
    assert_eq!(net.state(2), ServerState::Following);
    assert_eq!(net.peer(1).leader(), Some(3));
    assert_eq!(net.peer(1).current_vote().leader, 3);
}

#[test]
fn step1_the_longest_history_wins_over_a_higher_id() {
    let mut net = Net::with_disks(3, |sid| match sid {
        1 => disk_with(1, 5),
        _ => disk_with(1, 3),
    });
    net.election_only = true;
    net.run(2);
    assert_eq!(net.state(1), ServerState::Leading);
    assert_eq!(net.peer(2).leader(), Some(1));
    assert_eq!(net.peer(3).leader(), Some(1));
}

#[test]
fn step1_a_newer_epoch_wins_over_a_longer_log() {
    let mut net = Net::with_disks(3, |sid| match sid {
        1 => disk_with(2, 1),
        2 => disk_with(1, 9),
        _ => DiskState::default(),
    });
    net.election_only = true;
    net.run(2);
    assert_eq!(net.state(1), ServerState::Leading);
    assert_eq!(net.peer(3).current_vote().peer_epoch, 2);
}

#[test]
fn step1_a_newer_round_resets_the_vote_and_an_older_one_is_answered() {
    let q = QuorumMaj::new([1, 2, 3]);
    let mut fle = FastLeaderElection::new(1, 4, Vec::new());
    let mut out = Vec::new();
    fle.start(Zxid::make(1, 5), 1, &q, &mut out);
    assert_eq!(fle.logicalclock, 1);
    assert_eq!(out.len(), 2, "its own vote to both others");
    out.clear();
    // round 5 from server 2, voting for itself with a shorter log: jump to round 5, keep own
    let n = note(ServerState::Looking, 2, Zxid::make(1, 3), 5, 1);
    assert_eq!(fle.receive(2, &n, &q, &mut out), None);
    assert_eq!(fle.logicalclock, 5);
    assert_eq!(fle.proposal().leader, 1);
    assert_eq!(fle.proposal().election_epoch, 5);
    assert_eq!(out.len(), 2, "the vote of the new round goes to everyone");
    out.clear();
    // round 2 is old: no change, and the sender is told the current vote
    let old = note(ServerState::Looking, 3, Zxid::make(1, 9), 2, 1);
    assert_eq!(fle.receive(3, &old, &q, &mut out), None);
    assert_eq!(fle.proposal().leader, 1);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].to, 3);
    match &out[0].msg {
        Message::Election(answer) => {
            assert_eq!((answer.leader, answer.election_epoch), (1, 5));
            assert_eq!(answer.state, ServerState::Looking);
        }
        other => panic!("expected a notification, got {other:?}"),
    }
}

#[test]
fn step1_a_quorum_of_matching_votes_ends_the_election() {
    let q = QuorumMaj::new([1, 2, 3]);
    let mut fle = FastLeaderElection::new(1, 4, Vec::new());
    let mut out = Vec::new();
    fle.start(Zxid(0), 0, &q, &mut out);
    // server 3 votes for itself: better (higher id), so server 1 switches and the two agree
    let n = note(ServerState::Looking, 3, Zxid(0), 1, 0);
    assert_eq!(
        fle.receive(3, &n, &q, &mut out),
        None,
        "it waits a tick for a better vote"
    );
    let done = fle.tick(&q, &mut out).expect("two of three agree");
    assert_eq!(done.leader, 3);
    assert_eq!(done.election_epoch, 1);
}

#[test]
fn step1_never_follow_a_leader_that_did_not_say_it_leads() {
    // Five servers: 1, 2 and 5 follow 4, but 4 itself has not spoken.
    let q = QuorumMaj::new([1, 2, 3, 4, 5]);
    let mut fle = FastLeaderElection::new(3, 4, Vec::new());
    let mut out = Vec::new();
    fle.start(Zxid(0), 0, &q, &mut out);
    for from in [1, 2, 5] {
        let n = note(ServerState::Following, 4, Zxid::make(1, 2), 7, 1);
        assert_eq!(
            fle.receive(from, &n, &q, &mut out),
            None,
            "no word from 4 yet"
        );
    }
    let n = note(ServerState::Leading, 4, Zxid::make(1, 2), 7, 1);
    let done = fle
        .receive(4, &n, &q, &mut out)
        .expect("4 leads and a quorum agrees");
    assert_eq!(done.leader, 4);
    assert_eq!(
        fle.logicalclock, 7,
        "it joins the round the others decided in"
    );
}

#[test]
fn step1_a_late_server_follows_the_leader_already_elected() {
    let mut net = Net::new(3);
    net.election_only = true;
    net.crash(3);
    net.run(2);
    assert_eq!(net.state(2), ServerState::Leading);
    assert_eq!(net.state(1), ServerState::Following);
    // 3 would win a fresh election (highest id), but 1 and 2 are out of it and answer
    net.restart(3);
    net.run(1);
    assert_eq!(net.state(3), ServerState::Following);
    assert_eq!(net.peer(3).leader(), Some(2));
    assert_eq!(net.state(2), ServerState::Leading, "the leader stays");
}

#[test]
fn step1_without_a_quorum_there_is_no_leader_and_votes_are_resent_less_often() {
    let mut peer = QuorumPeer::new(config(1, 3), DiskState::default()).unwrap();
    assert_eq!(peer.ready().messages.len(), 2);
    let mut sent_at = Vec::new();
    for t in 1..=12 {
        peer.tick();
        let rd = peer.ready();
        if !rd.messages.is_empty() {
            assert_eq!(rd.messages.len(), 2);
            sent_at.push(t);
        }
    }
    assert_eq!(peer.state(), ServerState::Looking);
    // waits of 1, 2, 4, then 4 ticks (the cap in the test config)
    assert_eq!(sent_at, vec![1, 3, 7, 11]);
}

#[test]
fn step1_a_server_out_of_the_election_answers_a_looking_one_with_its_vote_and_state() {
    let mut net = Net::new(3);
    net.election_only = true;
    net.run(2);
    let looking = note(ServerState::Looking, 1, Zxid(0), 9, 0);
    net.node(1).peer.step(2, Message::Election(looking.clone()));
    net.node(3).peer.step(2, Message::Election(looking));
    let answer = |net: &mut Net, sid: i64| {
        let rd = net.node(sid).peer.ready();
        match &rd.messages[..] {
            [m] if m.to == 2 => match &m.msg {
                Message::Election(n) => n.clone(),
                other => panic!("expected a notification, got {other:?}"),
            },
            other => panic!("expected one answer to 2, got {other:?}"),
        }
    };
    let from_follower = answer(&mut net, 1);
    assert_eq!(
        (from_follower.state, from_follower.leader),
        (ServerState::Following, 3)
    );
    assert_eq!(
        from_follower.election_epoch, 1,
        "the round it was decided in"
    );
    let from_leader = answer(&mut net, 3);
    assert_eq!(
        (from_leader.state, from_leader.leader),
        (ServerState::Leading, 3)
    );
}
