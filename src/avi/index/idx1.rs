//! The legacy AVI 1.0 `idx1`: one 16-byte entry per data chunk of the first RIFF, written after
//! its `movi` list when that segment ends.

use super::entry::{IndexEntry, INDEX_WRITE_BUFFER};
use crate::avi::constants::*;
use crate::riff::{chunk_header, FourCc, CHUNK_HEADER_LEN};

/// Streams the complete `idx1` chunk for `entries` through `emit` in bounded pieces.
/// `chunk_ids[s]` is the data chunk id of stream `s`.
pub(super) fn write_idx1<E>(
    entries: &[IndexEntry],
    chunk_ids: &[FourCc],
    mut emit: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let body = entries.len() * IDX1_ENTRY_LEN;
    let mut buf = Vec::with_capacity(INDEX_WRITE_BUFFER.min(body + CHUNK_HEADER_LEN as usize));
    buf.extend_from_slice(&chunk_header(CK_IDX1, body as u32));
    for e in entries {
        if buf.len() + IDX1_ENTRY_LEN > INDEX_WRITE_BUFFER {
            emit(&buf)?;
            buf.clear();
        }
        let flags = if e.keyframe() { AVIIF_KEYFRAME } else { 0 };
        buf.extend_from_slice(&chunk_ids[e.stream()].0);
        buf.extend_from_slice(&flags.to_le_bytes());
        buf.extend_from_slice(&e.offset.to_le_bytes());
        buf.extend_from_slice(&e.size.to_le_bytes());
    }
    emit(&buf)
}
