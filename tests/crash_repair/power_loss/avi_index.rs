//! A small, independent reader of what an AVI file's OpenDML indexes say: the header's length
//! and, per stream, the data chunks its super index (`indx`) and standard indexes (`ix##`)
//! list, in order. It trusts nothing: every offset and count is checked against the bytes.

/// A data chunk an index lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedChunk {
    /// File position of the payload (past the 8-byte chunk header).
    pub at: usize,
    pub size: usize,
}

impl IndexedChunk {
    pub fn payload<'a>(&self, file: &'a [u8]) -> &'a [u8] {
        &file[self.at..self.at + self.size]
    }
}

/// What the indexes of a file say.
#[derive(Debug, Clone)]
pub struct Indexed {
    /// Bytes up to and including the first `movi` fourcc: every byte a header rewrite touches
    /// in the first RIFF's head, counts and super indexes included.
    pub header_len: usize,
    /// Per stream (in header order), its indexed chunks in index order.
    pub streams: Vec<Vec<IndexedChunk>>,
}

impl Indexed {
    /// Chunks of `stream` (none for a stream the header lacks).
    pub fn chunks(&self, stream: usize) -> &[IndexedChunk] {
        self.streams.get(stream).map_or(&[], Vec::as_slice)
    }
}

const AVI_INDEX_OF_INDEXES: u8 = 0x00;
const AVI_INDEX_OF_CHUNKS: u8 = 0x01;
/// Header of an `indx` or `ix##` body: wLongsPerEntry, bIndexSubType, bIndexType,
/// nEntriesInUse, dwChunkId, then 12 bytes (three reserved dwords, or a base offset and one).
const INDEX_HEAD_LEN: usize = 24;
const SUPER_ENTRY_LEN: usize = 16;
const STANDARD_ENTRY_LEN: usize = 8;
/// The delta-frame flag in a standard index entry's size.
const DELTA_FRAME: u32 = 0x8000_0000;

fn bytes_at(file: &[u8], at: usize, len: usize) -> Result<&[u8], String> {
    at.checked_add(len)
        .and_then(|end| file.get(at..end))
        .ok_or_else(|| format!("{len} bytes at {at} run past the end ({})", file.len()))
}

fn u16_at(file: &[u8], at: usize) -> Result<u16, String> {
    Ok(u16::from_le_bytes(
        bytes_at(file, at, 2)?.try_into().unwrap(),
    ))
}

fn u32_at(file: &[u8], at: usize) -> Result<u32, String> {
    Ok(u32::from_le_bytes(
        bytes_at(file, at, 4)?.try_into().unwrap(),
    ))
}

fn u64_at(file: &[u8], at: usize) -> Result<u64, String> {
    Ok(u64::from_le_bytes(
        bytes_at(file, at, 8)?.try_into().unwrap(),
    ))
}

fn to_usize(v: u64) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| format!("{v} is not an offset"))
}

/// A chunk: id, body position, body size.
struct Chunk<'a> {
    id: &'a [u8],
    body: usize,
    size: usize,
}

fn chunk_at(file: &[u8], at: usize) -> Result<Chunk<'_>, String> {
    let size = u32_at(file, at + 4)? as usize;
    Ok(Chunk {
        id: bytes_at(file, at, 4)?,
        body: at + 8,
        size,
    })
}

/// The chunks of a list body `[start, end)`, in order.
fn children(file: &[u8], start: usize, end: usize) -> Result<Vec<Chunk<'_>>, String> {
    let mut out = Vec::new();
    let mut at = start;
    while at + 8 <= end {
        let chunk = chunk_at(file, at)?;
        let next = chunk.body + chunk.size + (chunk.size & 1);
        out.push(chunk);
        at = next;
    }
    Ok(out)
}

fn is_list(chunk: &Chunk, form: &[u8; 4], file: &[u8]) -> bool {
    chunk.id == b"LIST" && file.get(chunk.body..chunk.body + 4) == Some(&form[..])
}

/// Reads the header and every index of `file`.
///
/// # Errors
/// What is malformed, with its position.
pub fn read(file: &[u8]) -> Result<Indexed, String> {
    if bytes_at(file, 0, 4)? != b"RIFF" || bytes_at(file, 8, 4)? != b"AVI " {
        return Err("no RIFF AVI at 0".into());
    }
    // The first RIFF's size may be stale in a cut file; its head ends at the first movi.
    let mut at = 12;
    let mut hdrl = None;
    let header_len = loop {
        let chunk = chunk_at(file, at)?;
        if is_list(&chunk, b"hdrl", file) {
            hdrl = Some((chunk.body + 4, chunk.body + chunk.size));
        } else if is_list(&chunk, b"movi", file) {
            break chunk.body + 4;
        }
        at = chunk.body + chunk.size + (chunk.size & 1);
    };
    let (start, end) = hdrl.ok_or("no hdrl before the first movi")?;
    if end < start || end > file.len() {
        return Err(format!("hdrl at {start} runs past the file"));
    }
    let mut streams = Vec::new();
    for strl in children(file, start, end)?
        .iter()
        .filter(|c| is_list(c, b"strl", file))
    {
        let indx = children(file, strl.body + 4, strl.body + strl.size)?
            .into_iter()
            .find(|c| c.id == b"indx")
            .ok_or_else(|| format!("stream {} has no indx", streams.len()))?;
        streams.push(read_super_index(file, &indx)?);
    }
    Ok(Indexed {
        header_len,
        streams,
    })
}

fn read_super_index(file: &[u8], indx: &Chunk) -> Result<Vec<IndexedChunk>, String> {
    let at = indx.body;
    if bytes_at(file, at + 3, 1)?[0] != AVI_INDEX_OF_INDEXES {
        return Err(format!("indx at {at} is not an index of indexes"));
    }
    let used = u32_at(file, at + 4)? as usize;
    if INDEX_HEAD_LEN + used * SUPER_ENTRY_LEN > indx.size {
        return Err(format!("indx at {at} claims {used} entries"));
    }
    let mut chunks = Vec::new();
    for e in 0..used {
        let entry = at + INDEX_HEAD_LEN + e * SUPER_ENTRY_LEN;
        let ix = to_usize(u64_at(file, entry)?)?;
        read_standard_index(file, ix, &mut chunks)?;
    }
    Ok(chunks)
}

fn read_standard_index(file: &[u8], at: usize, out: &mut Vec<IndexedChunk>) -> Result<(), String> {
    let chunk = chunk_at(file, at)?;
    if chunk.id.get(..2) != Some(b"ix") {
        return Err(format!(
            "the super index points at {:?} at {at}, not a standard index",
            String::from_utf8_lossy(chunk.id)
        ));
    }
    let body = chunk.body;
    if u16_at(file, body)? != 2 || bytes_at(file, body + 3, 1)?[0] != AVI_INDEX_OF_CHUNKS {
        return Err(format!("ix## at {at} is not an index of chunks"));
    }
    let used = u32_at(file, body + 4)? as usize;
    if INDEX_HEAD_LEN + used * STANDARD_ENTRY_LEN > chunk.size {
        return Err(format!("ix## at {at} claims {used} entries"));
    }
    let base = u64_at(file, body + 12)?;
    for e in 0..used {
        let entry = body + INDEX_HEAD_LEN + e * STANDARD_ENTRY_LEN;
        let payload = base
            .checked_add(u64::from(u32_at(file, entry)?))
            .ok_or("an index entry overflows")?;
        let size = (u32_at(file, entry + 4)? & !DELTA_FRAME) as usize;
        let payload = to_usize(payload)?;
        bytes_at(file, payload, size)?;
        out.push(IndexedChunk { at: payload, size });
    }
    Ok(())
}
