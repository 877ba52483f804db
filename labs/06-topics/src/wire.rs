//! Array helpers for the three admin messages: classic or compact, with the tag section that
//! follows every struct element in flexible versions (KIP-482).

use lab04_protocol_codec::{Decoder, Encoder, Result};

/// Reads an array whose elements `read` decodes; a null array reads as empty. In flexible
/// versions each element is a struct followed by its tag section, which is skipped here —
/// except arrays of plain numbers or strings, which `read_array_of` reads.
pub fn read_array<T>(
    d: &mut Decoder<'_>,
    flexible: bool,
    mut read: impl FnMut(&mut Decoder<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = d.array_len(flexible)?.unwrap_or(0);
    (0..n)
        .map(|_| {
            let item = read(d)?;
            if flexible {
                d.skip_tagged_fields()?;
            }
            Ok(item)
        })
        .collect()
}

/// Reads an array of plain values (no tag section after each one).
pub fn read_array_of<T>(
    d: &mut Decoder<'_>,
    flexible: bool,
    mut read: impl FnMut(&mut Decoder<'_>) -> Result<T>,
) -> Result<Option<Vec<T>>> {
    match d.array_len(flexible)? {
        None => Ok(None),
        Some(n) => (0..n)
            .map(|_| read(d))
            .collect::<Result<Vec<T>>>()
            .map(Some),
    }
}

/// Writes an array of structs, each followed by an empty tag section when flexible.
pub fn write_array<T>(
    e: &mut Encoder,
    items: &[T],
    flexible: bool,
    mut write: impl FnMut(&mut Encoder, &T),
) {
    e.array_len(Some(items.len()), flexible);
    for item in items {
        write(e, item);
        e.no_tagged_fields(flexible);
    }
}
