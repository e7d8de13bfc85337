//! The RIFF walker: every chunk and list of a file's bytes, the stream data chunks of its
//! `movi` lists, and the little-endian fields inside them.

/// Reads a little-endian u32 at `at`.
pub fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Finds the first occurrence of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A RIFF chunk found while walking a file: id, body offset, body size, list form.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub id: [u8; 4],
    pub form: Option<[u8; 4]>,
    pub offset: usize,
    pub size: usize,
    pub depth: usize,
}

/// Every chunk and list of `bytes`, depth-first, in file order. Panics on structural faults
/// (sizes running past their parent).
pub fn walk(bytes: &[u8]) -> Vec<Chunk> {
    fn go(bytes: &[u8], start: usize, end: usize, depth: usize, out: &mut Vec<Chunk>) {
        let mut at = start;
        while at + 8 <= end {
            let id: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
            let size = le32(bytes, at + 4) as usize;
            let body = at + 8;
            assert!(
                body + size <= end,
                "chunk {:?} at {at} runs past its parent",
                String::from_utf8_lossy(&id)
            );
            let is_list = &id == b"RIFF" || &id == b"LIST";
            let form = is_list.then(|| bytes[body..body + 4].try_into().unwrap());
            out.push(Chunk {
                id,
                form,
                offset: body,
                size,
                depth,
            });
            if is_list {
                go(bytes, body + 4, body + size, depth + 1, out);
            }
            at = body + size + (size & 1);
        }
        assert_eq!(at, end, "trailing bytes in a list");
    }
    let mut out = Vec::new();
    go(bytes, 0, bytes.len(), 0, &mut out);
    out
}

/// The first chunk with id `id`.
pub fn first<'a>(chunks: &'a [Chunk], id: &[u8; 4]) -> &'a Chunk {
    chunks
        .iter()
        .find(|c| &c.id == id)
        .unwrap_or_else(|| panic!("no {:?} chunk", String::from_utf8_lossy(id)))
}

/// A stream data chunk (`##db`, `##dc`, `##wb`) found in a `movi` list.
#[derive(Debug, Clone)]
pub struct DataChunk {
    /// Stream number from the chunk id.
    pub stream: usize,
    pub id: [u8; 4],
    /// Body offset and size.
    pub offset: usize,
    pub size: usize,
    /// Which `movi` list (0 = the first RIFF's) holds it.
    pub movi: usize,
    /// File position of the `movi` fourcc of that list (idx1 offsets are relative to it).
    pub movi_at: usize,
}

/// Every stream data chunk of every `movi` list of a walked file, in file order. Index chunks
/// (`ix##`) and `JUNK` are skipped.
pub fn data_chunks(chunks: &[Chunk]) -> Vec<DataChunk> {
    let movis: Vec<&Chunk> = chunks
        .iter()
        .filter(|c| &c.id == b"LIST" && c.form == Some(*b"movi"))
        .collect();
    let mut out = Vec::new();
    for (n, movi) in movis.iter().enumerate() {
        let (start, end) = (movi.offset + 4, movi.offset + movi.size);
        for c in chunks {
            // By the header: an empty chunk that ends the list has its body offset at `end`.
            if c.depth == movi.depth + 1
                && c.offset - 8 >= start
                && c.offset - 8 < end
                && c.id[0].is_ascii_digit()
                && c.id[1].is_ascii_digit()
            {
                out.push(DataChunk {
                    stream: usize::from(c.id[0] - b'0') * 10 + usize::from(c.id[1] - b'0'),
                    id: c.id,
                    offset: c.offset,
                    size: c.size,
                    movi: n,
                    movi_at: movi.offset,
                });
            }
        }
    }
    out
}

/// The sizes of stream `stream`'s data chunks in every `movi` of `bytes`, in file order.
pub fn stream_chunk_sizes(bytes: &[u8], stream: usize) -> Vec<usize> {
    data_chunks(&walk(bytes))
        .iter()
        .filter(|c| c.stream == stream)
        .map(|c| c.size)
        .collect()
}

/// The payload of every data chunk of stream `stream`, concatenated in file order.
pub fn stream_payload(bytes: &[u8], stream: usize) -> Vec<u8> {
    data_chunks(&walk(bytes))
        .iter()
        .filter(|c| c.stream == stream)
        .flat_map(|c| bytes[c.offset..c.offset + c.size].to_vec())
        .collect()
}
