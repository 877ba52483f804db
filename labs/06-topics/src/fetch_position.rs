//! The consumer's position in one partition, advanced record by record.
//!
//! A fetch answers with whole record batches, so the first batch may begin *before* the
//! offset asked for (a batch of offsets 40–59 answers a fetch from 50). Control records
//! (transaction markers) take an offset but are not data. The position is always "the offset
//! of the next record to hand out"; that is what a consumer group commits in lab 07.

/// The next offset to hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub next: i64,
}

/// Looks at the record at `offset`: returns whether to hand it out, and moves the position
/// past it if so — or past a control record without handing it out.
pub fn next_position(position: &mut Position, offset: i64, control: bool) -> bool {
    // BEGIN SOLUTION step 8: skip records before the position; step over control records; hand out the rest and advance
    // ko: 위치 앞의 레코드는 건너뛰고, 컨트롤 레코드는 넘어가고, 나머지는 내주면서 위치를 옮기세요
    if offset < position.next {
        return false;
    }
    position.next = offset + 1;
    !control
    // END SOLUTION
}
