//! How one positional write is cut into calls (system calls, or a custom sink's `write_at`):
//! pieces of at most [`WRITE_PIECE_MAX`] bytes, in which the small parts of a write (8-byte chunk
//! headers, pad bytes) travel together with payload instead of in calls of their own.

/// Most bytes one system call or one custom-sink `write_at` call carries. Large writes are split
/// at this size: plain write loops on this machine kind run fastest with pieces of this order,
/// and one 8 MiB call was the slowest choice on several days (BENCHMARKS.md).
pub const WRITE_PIECE_MAX: usize = 256 * 1024;

/// For sinks that take one contiguous buffer per call (custom sinks, Windows files): parts shorter
/// than this are copied into a gathered piece; a longer part is handed over in place, except for
/// at most this many of its first bytes, copied to complete a piece that began with small parts.
/// (The tests of the vectored path also cut their batches around it.)
#[cfg(any(feature = "capi", windows, test))]
pub(crate) const GATHER_COPY_MAX: usize = 64 * 1024;

/// Bytes a large part keeps back from a piece that would end exactly at its end while more parts
/// follow: they go with those parts (a pad byte, the next chunk header), which then never travel
/// alone.
#[cfg(any(feature = "capi", windows))]
const TAIL_KEPT: usize = 4 * 1024;

/// How much of a part with `rest` bytes left an in-place piece takes, given `room` bytes of room
/// in the piece and whether more parts follow.
#[cfg(any(feature = "capi", windows))]
fn in_place_len(rest: usize, room: usize, more_follow: bool) -> usize {
    let take = rest.min(room);
    if take == rest && more_follow && take >= 2 * TAIL_KEPT {
        take - TAIL_KEPT
    } else {
        take
    }
}

/// The unwritten rest of a gather list (`bufs`, back to back): the next byte is
/// `bufs[index][at]`. Empty parts are skipped.
#[derive(Debug)]
pub(crate) struct Cursor<'b, 'a> {
    bufs: &'b [&'a [u8]],
    index: usize,
    at: usize,
    written: u64,
}

impl<'b, 'a> Cursor<'b, 'a> {
    /// A cursor at the first byte of `bufs`.
    pub(crate) fn new(bufs: &'b [&'a [u8]]) -> Self {
        let mut cursor = Cursor {
            bufs,
            index: 0,
            at: 0,
            written: 0,
        };
        cursor.skip_empty();
        cursor
    }

    fn skip_empty(&mut self) {
        while self.index < self.bufs.len() && self.at == self.bufs[self.index].len() {
            self.index += 1;
            self.at = 0;
        }
    }

    /// Whether every byte has been written.
    pub(crate) fn is_done(&self) -> bool {
        self.index == self.bufs.len()
    }

    /// Bytes written so far, from the start of the gather list.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Marks the next `n` bytes written (`n` at most what is left).
    pub(crate) fn advance(&mut self, mut n: usize) {
        self.written += n as u64;
        while n > 0 {
            let rest = self.bufs[self.index].len() - self.at;
            if n < rest {
                self.at += n;
                n = 0;
            } else {
                n -= rest;
                self.index += 1;
                self.at = 0;
            }
        }
        self.skip_empty();
    }

    /// The unwritten parts from the cursor on.
    fn rests(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.bufs[self.index..]
            .iter()
            .enumerate()
            .map(|(i, buf)| if i == 0 { &buf[self.at..] } else { &buf[..] })
            .filter(|rest| !rest.is_empty())
    }

    /// The next piece for a vectored write, in place: its parts go to `part`, at most
    /// `max_parts` of them and [`WRITE_PIECE_MAX`] bytes in all (a part may be cut).
    #[cfg(unix)]
    pub(crate) fn vectored(&self, max_parts: usize, mut part: impl FnMut(&'a [u8])) {
        // Chunks start at even offsets, so a pad byte never starts a piece here: the kernel
        // gathers small parts with their neighbours within each call.
        let mut left = WRITE_PIECE_MAX;
        for rest in self.rests().take(max_parts) {
            if left == 0 {
                break;
            }
            let take = rest.len().min(left);
            part(&rest[..take]);
            left -= take;
        }
    }

    /// The next piece as one buffer (not empty unless [`Cursor::is_done`]): a part of at least
    /// [`GATHER_COPY_MAX`] bytes in place (up to [`WRITE_PIECE_MAX`] of it), else small parts
    /// copied into `staging`, completed with the start of the large part that follows them.
    #[cfg(any(feature = "capi", windows))]
    pub(crate) fn contiguous<'s>(&self, staging: &'s mut Vec<u8>) -> &'s [u8]
    where
        'a: 's,
    {
        staging.clear();
        let mut rests = self.rests().peekable();
        if let Some(first) = rests.next_if(|first| first.len() >= GATHER_COPY_MAX) {
            let room = first.len().min(WRITE_PIECE_MAX);
            return &first[..in_place_len(first.len(), room, rests.peek().is_some())];
        }
        for rest in rests {
            let space = WRITE_PIECE_MAX - staging.len();
            if space == 0 {
                break;
            }
            if rest.len() < GATHER_COPY_MAX {
                staging.extend_from_slice(&rest[..rest.len().min(space)]);
            } else {
                staging.extend_from_slice(&rest[..space.min(GATHER_COPY_MAX)]);
                break;
            }
        }
        staging
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: u8 = b'H';
    const PAD: u8 = b'P';

    /// The bytes of each piece `contiguous` cuts `bufs` into, written as a sink would.
    #[cfg(any(feature = "capi", windows))]
    fn contiguous_pieces(bufs: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut cursor = Cursor::new(bufs);
        let mut staging = Vec::new();
        let mut pieces = Vec::new();
        while !cursor.is_done() {
            let piece = cursor.contiguous(&mut staging).to_vec();
            cursor.advance(piece.len());
            pieces.push(piece);
        }
        pieces
    }

    #[cfg(unix)]
    /// The bytes of each piece `vectored` cuts `bufs` into, and its number of parts.
    fn vectored_pieces(bufs: &[&[u8]], max_parts: usize) -> Vec<(Vec<u8>, usize)> {
        let mut cursor = Cursor::new(bufs);
        let mut pieces = Vec::new();
        while !cursor.is_done() {
            let mut parts = Vec::new();
            cursor.vectored(max_parts, |p| parts.push(p));
            let bytes = parts.concat();
            cursor.advance(bytes.len());
            pieces.push((bytes, parts.len()));
        }
        pieces
    }

    /// A batch of chunks as the muxer hands it over: header, payload, pad when odd, for each
    /// payload size; payload bytes are below 64, headers and pads are letters.
    fn chunks(sizes: &[usize]) -> (Vec<Vec<u8>>, Vec<u8>) {
        let mut parts = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            parts.push(vec![HEADER; 8]);
            parts.push((0..size).map(|b| ((b + i) % 64) as u8).collect());
            if size % 2 == 1 {
                parts.push(vec![PAD]);
            }
        }
        let flat = parts.concat();
        (parts, flat)
    }

    const BATCHES: [&[usize]; 6] = [
        &[8 << 20, 3, 100_001, 64 * 1024, 64 * 1024 - 1],
        &[1, 1, 1],
        &[300 * 1024, 5 * WRITE_PIECE_MAX + 1],
        &[
            GATHER_COPY_MAX - 8,
            GATHER_COPY_MAX + 7,
            2 * GATHER_COPY_MAX + 1,
        ],
        &[WRITE_PIECE_MAX - 8 + 1],
        &[2 * WRITE_PIECE_MAX - 16 + 1, 9],
    ];

    /// Every piece is within the bound and carries payload, never only headers and pads.
    fn assert_pieces(sizes: &[usize], pieces: &[Vec<u8>]) {
        for piece in pieces {
            assert!(piece.len() <= WRITE_PIECE_MAX, "{sizes:?}: {}", piece.len());
            assert!(
                piece.iter().any(|&b| b < 64),
                "{sizes:?}: a piece of only headers and pads ({} bytes)",
                piece.len()
            );
        }
    }

    #[cfg(any(feature = "capi", windows))]
    #[test]
    fn contiguous_pieces_are_bounded_and_never_only_headers_or_pads() {
        for sizes in BATCHES {
            let (parts, flat) = chunks(sizes);
            let bufs: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
            let pieces = contiguous_pieces(&bufs);
            assert_eq!(pieces.concat(), flat, "{sizes:?}");
            assert_pieces(sizes, &pieces);
        }
    }

    #[cfg(unix)]
    #[test]
    fn vectored_pieces_are_bounded_and_never_only_headers_or_pads() {
        for sizes in BATCHES {
            let (parts, flat) = chunks(sizes);
            let bufs: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
            let pieces = vectored_pieces(&bufs, 1024);
            let bytes: Vec<Vec<u8>> = pieces.into_iter().map(|(b, _)| b).collect();
            assert_eq!(bytes.concat(), flat, "{sizes:?}");
            assert_pieces(sizes, &bytes);
        }
    }

    #[cfg(unix)]
    #[test]
    fn vectored_pieces_fill_the_bound_and_respect_the_part_limit() {
        let (parts, flat) = chunks(&[1 << 20, 5, 7, 9, 300_000]);
        let bufs: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
        let pieces = vectored_pieces(&bufs, 4);
        assert_eq!(
            pieces.iter().map(|(b, _)| b.len()).sum::<usize>(),
            flat.len()
        );
        assert!(pieces.iter().all(|&(_, n)| n <= 4));
        // A header and the start of its payload share the first call, which is full.
        assert_eq!(pieces[0], (flat[..WRITE_PIECE_MAX].to_vec(), 2));
        let all_small: Vec<&[u8]> = std::iter::repeat_n(&b"z"[..], 3000).collect();
        assert_eq!(vectored_pieces(&all_small, 1024).len(), 3);
    }

    #[cfg(any(feature = "capi", windows))]
    #[test]
    fn large_parts_are_handed_over_in_place_after_a_small_copied_start() {
        let big = vec![7u8; 3 * WRITE_PIECE_MAX + 5];
        let header = [HEADER; 8];
        let bufs: [&[u8]; 2] = [&header, &big];
        let mut cursor = Cursor::new(&bufs);
        let mut staging = Vec::new();
        let first = cursor.contiguous(&mut staging).len();
        assert_eq!(first, 8 + GATHER_COPY_MAX);
        cursor.advance(first);
        let piece = cursor.contiguous(&mut staging);
        assert_eq!(
            piece.as_ptr(),
            big[GATHER_COPY_MAX..].as_ptr(),
            "not in place"
        );
        assert_eq!(piece.len(), WRITE_PIECE_MAX);
    }

    #[test]
    fn advance_counts_and_skips_empty_parts() {
        let bufs: [&[u8]; 4] = [b"", b"abc", b"", b"de"];
        let mut cursor = Cursor::new(&bufs);
        cursor.advance(3);
        assert_eq!(cursor.written(), 3);
        assert_eq!(cursor.rests().collect::<Vec<_>>(), [&b"de"[..]]);
        cursor.advance(2);
        assert!(cursor.is_done());
        assert!(Cursor::new(&[b"", b""]).is_done());
    }
}
