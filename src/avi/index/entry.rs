//! One data chunk as the indexes see it, and the size of the pieces indexes are streamed out in.

use crate::avi::MAX_STREAMS;

/// One data chunk of the current `movi` segment, 12 bytes in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::avi) struct IndexEntry {
    /// Position of the chunk header relative to the segment's `movi` fourcc.
    pub offset: u32,
    /// Payload bytes.
    pub size: u32,
    /// Stream number in the low 7 bits, keyframe flag in bit 7.
    stream_key: u8,
}

impl IndexEntry {
    const KEY_BIT: u8 = 0x80;

    /// The entry of a chunk of `stream` (below [`MAX_STREAMS`]) at `offset` from the `movi`
    /// fourcc, `size` bytes long.
    pub fn new(offset: u32, size: u32, stream: usize, keyframe: bool) -> IndexEntry {
        debug_assert!(stream < MAX_STREAMS);
        IndexEntry {
            offset,
            size,
            stream_key: stream as u8 | if keyframe { Self::KEY_BIT } else { 0 },
        }
    }

    /// The chunk's stream number.
    pub fn stream(self) -> usize {
        usize::from(self.stream_key & !Self::KEY_BIT)
    }

    /// Whether the chunk is a keyframe.
    pub fn keyframe(self) -> bool {
        self.stream_key & Self::KEY_BIT != 0
    }
}

/// Bytes handed to `emit` at a time while streaming an index out.
pub(super) const INDEX_WRITE_BUFFER: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_packs_stream_and_keyframe() {
        let e = IndexEntry::new(100, 7, 99, true);
        assert_eq!((e.stream(), e.keyframe()), (99, true));
        let e = IndexEntry::new(100, 7, 3, false);
        assert_eq!((e.stream(), e.keyframe()), (3, false));
        assert_eq!(std::mem::size_of::<IndexEntry>(), 12);
    }
}
