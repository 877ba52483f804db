//! Step 8: the consumer's position — whole batches come back, only new records go out.

use lab06_topics::fetch_position::{next_position, Position};

#[test]
fn step8_records_before_the_position_are_skipped() {
    // A fetch from 50 answers with the batch 40..=59.
    let mut p = Position { next: 50 };
    let handed: Vec<i64> = (40..60)
        .filter(|&o| next_position(&mut p, o, false))
        .collect();
    assert_eq!(handed, (50..60).collect::<Vec<_>>());
    assert_eq!(p.next, 60);
}

#[test]
fn step8_control_records_move_the_position_but_are_not_handed_out() {
    let mut p = Position { next: 0 };
    assert!(next_position(&mut p, 0, false));
    assert!(!next_position(&mut p, 1, true), "a transaction marker");
    assert_eq!(p.next, 2);
    assert!(next_position(&mut p, 2, false));
    // Gaps (compaction, aborted data) are fine: the position follows the offsets.
    assert!(next_position(&mut p, 10, false));
    assert_eq!(p.next, 11);
    assert!(
        !next_position(&mut p, 10, false),
        "the same record twice is handed out once"
    );
}
