//! In-memory construction of RIFF chunks and lists, with sizes patched when each one ends.

use super::FourCc;

/// Bytes of a chunk header: the id and the 32-bit size.
pub(crate) const CHUNK_HEADER_LEN: u64 = 8;
/// Bytes of a list header: `RIFF`/`LIST`, the size and the form type.
pub(crate) const LIST_HEADER_LEN: u64 = 12;

/// The 8-byte header of a chunk whose body is `size` bytes (the pad byte is not counted).
pub fn chunk_header(id: FourCc, size: u32) -> [u8; 8] {
    let mut header = [0u8; 8];
    header[..4].copy_from_slice(&id.0);
    header[4..].copy_from_slice(&size.to_le_bytes());
    header
}

/// `len` rounded up to the even size every RIFF chunk occupies.
pub(crate) const fn padded_len(len: u64) -> u64 {
    len + (len & 1)
}

/// A growing buffer of RIFF structures. `begin_*` opens a chunk or list, `end` closes the
/// innermost one, writes its size and adds the pad byte. Used for headers and indexes, which are
/// small; payloads never pass through it.
#[derive(Debug, Default)]
pub struct RiffTree {
    bytes: Vec<u8>,
    open: Vec<usize>,
}

impl RiffTree {
    /// An empty tree.
    pub fn new() -> RiffTree {
        RiffTree::default()
    }

    /// Opens a `RIFF` or `LIST` (`kind`) of form `form`.
    pub fn begin_list(&mut self, kind: FourCc, form: FourCc) -> &mut Self {
        self.begin_chunk(kind);
        self.fourcc(form)
    }

    /// Opens a chunk with id `id`.
    pub fn begin_chunk(&mut self, id: FourCc) -> &mut Self {
        self.bytes.extend_from_slice(&chunk_header(id, 0));
        self.open.push(self.bytes.len());
        self
    }

    /// Closes the innermost open chunk or list: patches its size and pads it to an even length.
    ///
    /// # Panics
    /// If nothing is open or the body exceeds 4 GiB: both are bugs in the caller.
    pub fn end(&mut self) -> &mut Self {
        let body_start = self
            .open
            .pop()
            .expect("RiffTree::end without an open chunk");
        let size = u32::try_from(self.bytes.len() - body_start).expect("chunk over 4 GiB");
        self.bytes[body_start - 4..body_start].copy_from_slice(&size.to_le_bytes());
        if size & 1 == 1 {
            self.bytes.push(0);
        }
        self
    }

    /// A whole chunk with the given body.
    #[cfg(test)]
    pub fn chunk(&mut self, id: FourCc, body: &[u8]) -> &mut Self {
        self.begin_chunk(id).bytes(body).end()
    }

    /// Appends a little-endian `u16`.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends a little-endian `i16`.
    pub fn i16(&mut self, v: i16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends a little-endian `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends a little-endian `i32`.
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends a little-endian `u64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends a four-character code.
    pub fn fourcc(&mut self, v: FourCc) -> &mut Self {
        self.bytes(&v.0)
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(v);
        self
    }

    /// Appends `n` zero bytes.
    pub fn zeros(&mut self, n: usize) -> &mut Self {
        self.bytes.resize(self.bytes.len() + n, 0);
        self
    }

    /// The finished bytes.
    ///
    /// # Panics
    /// If a chunk is still open.
    pub fn into_bytes(self) -> Vec<u8> {
        assert!(self.open.is_empty(), "RiffTree has unclosed chunks");
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_sizes_and_padding() {
        let mut t = RiffTree::new();
        t.begin_list(FourCc::new(*b"LIST"), FourCc::new(*b"strl"));
        t.chunk(FourCc::new(*b"strn"), b"abc");
        t.end();
        let bytes = t.into_bytes();
        // LIST header 12 + strn header 8 + 3 body + 1 pad.
        assert_eq!(bytes.len(), 24);
        assert_eq!(&bytes[4..8], &16u32.to_le_bytes());
        assert_eq!(&bytes[16..20], &3u32.to_le_bytes());
        assert_eq!(bytes[23], 0);
    }

    #[test]
    fn padded_len_rounds_to_even() {
        assert_eq!(padded_len(0), 0);
        assert_eq!(padded_len(7), 8);
        assert_eq!(padded_len(8), 8);
    }
}
