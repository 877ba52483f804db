//! The four codecs Kafka compresses a batch's records with: given code over well-kept crates
//! (`flate2`, `snap`, `lz4_flex`, `zstd`). The lab's own work is the batch format around them.
//!
//! Only the records are compressed: the 61-byte header stays readable, so a broker finds
//! offsets, sizes and timestamps without decompressing anything.
//!
//! ```text
//! codec   bytes after the header
//! gzip    one gzip stream (RFC 1952)
//! snappy  Xerial's framing, as Kafka's Java client writes it: the 16-byte header
//!         82 'SNAPPY' 00 | version 1 | compatible 1, then (4-byte length, snappy block)…;
//!         librdkafka may send one raw snappy block instead, and both are read
//! lz4     one LZ4 frame (KIP-57: with the standard header checksum), 64 KiB blocks
//! zstd    one zstd frame
//! ```

use std::io::{Read, Write};

use crate::attributes::Compression;
use crate::error::{Error, Result};

/// The header of Xerial's snappy framing (`SnappyCodec.MAGIC_HEADER` + version + compatible).
const XERIAL_HEADER: [u8; 16] = [
    0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1,
];
/// Xerial's default block size: each chunk holds at most this much uncompressed data.
const XERIAL_BLOCK: usize = 32 * 1024;

fn codec_error(codec: Compression, e: impl std::fmt::Display) -> Error {
    Error::Codec {
        codec: codec.name(),
        reason: e.to_string(),
    }
}

/// Compresses the records part of a batch with `codec` (`None` returns it as it is).
pub fn compress(codec: Compression, raw: &[u8]) -> Result<Vec<u8>> {
    let err = |e: std::io::Error| codec_error(codec, e);
    match codec {
        Compression::None => Ok(raw.to_vec()),
        Compression::Gzip => {
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            w.write_all(raw).map_err(err)?;
            w.finish().map_err(err)
        }
        Compression::Snappy => {
            let mut out = XERIAL_HEADER.to_vec();
            let mut encoder = snap::raw::Encoder::new();
            for chunk in raw.chunks(XERIAL_BLOCK) {
                let block = encoder
                    .compress_vec(chunk)
                    .map_err(|e| codec_error(codec, e))?;
                out.extend_from_slice(&(block.len() as u32).to_be_bytes());
                out.extend_from_slice(&block);
            }
            Ok(out)
        }
        Compression::Lz4 => {
            let info = lz4_flex::frame::FrameInfo::new()
                .block_size(lz4_flex::frame::BlockSize::Max64KB)
                .block_mode(lz4_flex::frame::BlockMode::Independent);
            let mut w = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
            w.write_all(raw).map_err(err)?;
            w.finish().map_err(|e| codec_error(codec, e))
        }
        Compression::Zstd => zstd::stream::encode_all(raw, 3).map_err(err),
    }
}

/// Decompresses the records part of a `codec` batch.
pub fn decompress(codec: Compression, data: &[u8]) -> Result<Vec<u8>> {
    let err = |e: std::io::Error| codec_error(codec, e);
    let mut out = Vec::new();
    match codec {
        Compression::None => out.extend_from_slice(data),
        Compression::Gzip => {
            flate2::read::MultiGzDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(err)?;
        }
        Compression::Snappy => out = snappy_decompress(data)?,
        Compression::Lz4 => {
            lz4_flex::frame::FrameDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(err)?;
        }
        Compression::Zstd => out = zstd::stream::decode_all(data).map_err(err)?,
    }
    Ok(out)
}

/// Xerial framing if the data starts with its magic, else one raw snappy block.
fn snappy_decompress(data: &[u8]) -> Result<Vec<u8>> {
    let bad = |e: &dyn std::fmt::Display| codec_error(Compression::Snappy, e);
    let mut decoder = snap::raw::Decoder::new();
    if data.len() < XERIAL_HEADER.len() || data[..8] != XERIAL_HEADER[..8] {
        return decoder.decompress_vec(data).map_err(|e| bad(&e));
    }
    let mut out = Vec::new();
    let mut rest = &data[XERIAL_HEADER.len()..];
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(bad(&"a snappy chunk length is cut short"));
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(block) = rest.get(4..4 + len) else {
            return Err(bad(&"a snappy chunk runs past the batch"));
        };
        out.extend(decoder.decompress_vec(block).map_err(|e| bad(&e))?);
        rest = &rest[4 + len..];
    }
    Ok(out)
}
