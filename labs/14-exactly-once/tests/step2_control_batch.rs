//! Step 2: commit and abort markers as control batches, through lab 01's record batch.

use lab01_record_batch::record_batch::BatchHeader;
use lab01_record_batch::RecordBatch;
use lab14_exactly_once::control_batch::{
    marker_batch, read_marker, ControlRecordType, EndTransactionMarker,
};
use lab14_exactly_once::errors::Error;

#[test]
fn step2_marker_key_and_value_bytes() {
    let commit = EndTransactionMarker {
        control_type: ControlRecordType::Commit,
        coordinator_epoch: 7,
    };
    assert_eq!(commit.key_bytes(), [0, 0, 0, 1]);
    assert_eq!(commit.value_bytes(), [0, 0, 0, 0, 0, 7]);
    let abort = EndTransactionMarker::from_record(&[0, 0, 0, 0], &[0, 0, 0, 0, 0, 3]).unwrap();
    assert_eq!(
        abort,
        EndTransactionMarker {
            control_type: ControlRecordType::Abort,
            coordinator_epoch: 3
        }
    );
    assert!(matches!(
        EndTransactionMarker::from_record(&[0, 0, 0, 2], &[0, 0, 0, 0, 0, 3]),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        EndTransactionMarker::from_record(&[0, 1, 0, 0], &[0, 0, 0, 0, 0, 3]),
        Err(Error::UnknownVersion { .. })
    ));
}

#[test]
fn step2_a_marker_batch_has_the_control_and_transactional_bits() {
    let commit = EndTransactionMarker {
        control_type: ControlRecordType::Commit,
        coordinator_epoch: 7,
    };
    let bytes = marker_batch(42, 1_000, 1000, 2, commit).encode();
    // attributes sit after base offset (8), length (4), leader epoch (4), magic (1), crc (4)
    assert_eq!(
        bytes[21..23],
        [0x00, 0x30],
        "bit 4 transactional, bit 5 control"
    );
    let h = BatchHeader::parse(&bytes).unwrap();
    assert_eq!(
        (
            h.base_offset,
            h.producer_id,
            h.producer_epoch,
            h.base_sequence
        ),
        (42, 1000, 2, -1)
    );
    assert_eq!(h.records_count, 1);
    let back = RecordBatch::decode(&bytes).unwrap();
    assert_eq!(read_marker(&back).unwrap(), Some(commit));
}

#[test]
fn step2_a_data_batch_holds_no_marker() {
    let mut b = lab01_record_batch::RecordBatchBuilder::new(0);
    b.append(0, None, Some(b"v"), vec![]);
    assert_eq!(read_marker(&b.build()).unwrap(), None);
    let mut control = b.build();
    control.attributes.control = true;
    assert!(
        read_marker(&control).is_err(),
        "a control record without a key is corrupt"
    );
}
