//! Step 1: a follower as the leader sees it (`kafka.cluster.Replica.updateFetchState`).

use lab12_replication::{Replica, UNKNOWN_OFFSET};

const T: i64 = 1_600_000_000_000;

#[test]
fn step1_a_fetch_at_the_leaders_log_end_is_caught_up_now() {
    let mut r = Replica::new(2);
    assert_eq!(r.log_end_offset(), UNKNOWN_OFFSET);
    assert_eq!(r.last_caught_up_time_ms(), 0, "never caught up yet");
    r.update_fetch_state(10, T + 100, 10);
    assert_eq!(
        r.log_end_offset(),
        10,
        "the fetch offset is the follower's LEO"
    );
    assert_eq!(r.last_caught_up_time_ms(), T + 100);
    assert_eq!(r.last_fetch_time_ms(), T + 100);
    assert_eq!(r.last_fetch_leader_log_end_offset(), 10);
}

/// The table in `replica.rs`: a follower one fetch behind a steady stream of produces is
/// caught up at its *previous* fetch, each time.
#[test]
fn step1_reaching_the_leo_of_the_previous_fetch_counts_from_that_fetch() {
    let mut r = Replica::new(2);
    r.update_fetch_state(10, T + 100, 10);
    assert_eq!(r.last_caught_up_time_ms(), T + 100);
    // 10 < 12, but 10 ≥ the leader's LEO at the previous fetch (10).
    r.update_fetch_state(10, T + 200, 12);
    assert_eq!(r.last_caught_up_time_ms(), T + 100);
    // 12 < 14, 12 ≥ 12 (the LEO at t=200): caught up at t=200.
    r.update_fetch_state(12, T + 300, 14);
    assert_eq!(r.last_caught_up_time_ms(), T + 200);
    // 13 < 14 and 13 < 14: no progress in the rules' eyes.
    r.update_fetch_state(13, T + 400, 14);
    assert_eq!(r.last_caught_up_time_ms(), T + 200);
    assert_eq!(r.log_end_offset(), 13);
    // Now at the end: caught up now.
    r.update_fetch_state(14, T + 500, 14);
    assert_eq!(r.last_caught_up_time_ms(), T + 500);
}

#[test]
fn step1_a_follower_that_stays_behind_is_never_caught_up() {
    let mut r = Replica::new(3);
    r.update_fetch_state(0, T + 100, 5);
    // 0 ≥ the "previous LEO" of a fresh replica (0): caught up at the previous fetch time, 0.
    assert_eq!(r.last_caught_up_time_ms(), 0);
    for (i, (offset, leo)) in [(1, 8), (3, 12), (7, 20), (11, 30)].into_iter().enumerate() {
        r.update_fetch_state(offset, T + 200 + i as i64 * 100, leo);
        assert_eq!(
            r.last_caught_up_time_ms(),
            0,
            "fetch at {offset} with the leader at {leo}"
        );
    }
}

#[test]
fn step1_the_caught_up_time_never_goes_back() {
    let mut r = Replica::new(2);
    r.update_fetch_state(5, T + 1_000, 5);
    // A fetch stamped earlier (clocks are the shell's) cannot undo the catch-up.
    r.update_fetch_state(5, T + 500, 5);
    assert_eq!(r.last_caught_up_time_ms(), T + 1_000);
    assert_eq!(r.last_fetch_time_ms(), T + 500, "but it is the last fetch");
}

/// `makeLeader`: ISR members start caught up now, the others never — even if that moves the
/// time back.
#[test]
fn step1_a_new_leader_resets_the_caught_up_time() {
    let mut r = Replica::new(2);
    r.update_fetch_state(5, T + 1_000, 5);
    r.reset_last_caught_up_time(9, T + 2_000, 0);
    assert_eq!(r.last_caught_up_time_ms(), 0);
    assert_eq!(r.last_fetch_time_ms(), T + 2_000);
    assert_eq!(r.last_fetch_leader_log_end_offset(), 9);
    assert_eq!(r.log_end_offset(), 5, "the LEO is not reset here");
    // From that reset, a fetch at 9 (the LEO at the "previous fetch") is caught up at T+2000.
    r.update_fetch_state(9, T + 2_500, 11);
    assert_eq!(r.last_caught_up_time_ms(), T + 2_000);
}
