//! Reading AVI files without loading payloads: chunk headers by positional reads, the header
//! list parsed into stream specs, and data chunks located by walking `movi` lists.

use crate::avi::constants::*;
use crate::avi::{InfoList, StreamSpec, MAX_INFO_VALUE_LEN, MAX_STREAMS, MAX_STREAM_NAME_LEN};
use crate::error::{Error, Result};
use crate::format::{AudioFormat, FrameRate, PixelAspect, StreamFormat, VideoFormat};
use crate::riff::{padded_len, FourCc, CHUNK_HEADER_LEN, LIST_HEADER_LEN};
use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

/// The first structural fault found: an `InvalidArgument` error naming the offset.
pub(crate) fn fault(at: u64, what: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!("at byte {at}: {what}"))
}

/// Refuses a `path` whose `metadata` is not a regular file: a directory is an I/O error (as
/// reading one is), anything else an invalid argument.
///
/// # Errors
/// As described.
pub(crate) fn require_regular(path: &Path, metadata: &std::fs::Metadata) -> Result<()> {
    if metadata.is_dir() {
        return Err(Error::new(
            crate::Status::Io,
            format!("{} is a directory, not a file", path.display()),
        ));
    }
    if !metadata.is_file() {
        return Err(Error::invalid_argument(format!(
            "{} is not a regular file (a FIFO, socket or device cannot be inspected or repaired)",
            path.display()
        )));
    }
    Ok(())
}

/// The most bytes inspection and repair read into memory at once: index entries are checked,
/// and payloads copied, in pieces of at most this size, so that no size a file claims decides
/// an allocation. Their memory is this, a header of at most [`MAX_STREAMS`] streams of at most
/// 128 KiB each (the longest format and name read), and per-chunk bookkeeping in proportion to
/// the chunks the file really holds (its index size).
pub const READ_PIECE_LEN: usize = 1 << 20;

/// The most of a `strf` chunk that is read: a `WAVEFORMATEX` and the most its 16-bit `cbSize`
/// can add (a `BITMAPINFOHEADER` is shorter; palettes after it are not used).
pub(crate) const MAX_STRF_READ: usize = WAVEFORMATEX_LEN + u16::MAX as usize;

/// Where the bytes come from: a file, or (for the fuzz harness) bytes in memory standing at the
/// start of a file of a claimed length whose rest reads as zeros, as a sparse file's holes do.
enum Backing {
    File(File),
    Memory(Vec<u8>),
}

/// The id zero bytes read as: a hole of a sparse file or space never written, not a chunk.
const NO_CHUNK: FourCc = FourCc::new([0; 4]);

/// The fault of zero bytes where a chunk of `container` belongs.
fn no_chunk(at: u64, container: &str) -> Error {
    fault(
        at,
        format!("zero bytes where a chunk of {container} belongs (a hole or unwritten space)"),
    )
}

/// An open file read by position.
pub(crate) struct Source {
    backing: Backing,
    len: u64,
}

impl Source {
    /// Opens `path` for reading without blocking (a FIFO or a device would wait for a
    /// writer), then refuses anything that is not a regular file.
    ///
    /// # Errors
    /// [`crate::Status::Io`] when it cannot be opened or is a directory;
    /// [`crate::Status::InvalidArgument`] naming it when it is another kind of file.
    pub fn open(path: &Path) -> Result<Source> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Regular files ignore O_NONBLOCK, so reads stay ordinary.
            options.custom_flags(libc::O_NONBLOCK);
        }
        let file = options
            .open(path)
            .map_err(|e| Error::io(&format!("cannot open {}", path.display()), e))?;
        let metadata = file
            .metadata()
            .map_err(|e| Error::io("cannot stat the file", e))?;
        require_regular(path, &metadata)?;
        Ok(Source {
            backing: Backing::File(file),
            len: metadata.len(),
        })
    }

    /// A source of `claimed_len` bytes that start with `bytes` and are zero after them (a
    /// sparse file without the disk): what the fuzz harness reads. `claimed_len` is at least
    /// `bytes.len()`.
    pub fn virtual_file(bytes: Vec<u8>, claimed_len: u64) -> Source {
        let len = claimed_len.max(bytes.len() as u64);
        Source {
            backing: Backing::Memory(bytes),
            len,
        }
    }

    /// The open file, if the source is one.
    fn file(&self) -> Result<&File> {
        match &self.backing {
            Backing::File(file) => Ok(file),
            Backing::Memory(_) => Err(Error::invalid_argument(
                "a file in memory has no file system metadata",
            )),
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// The permissions of the file.
    pub fn permissions(&self) -> Result<std::fs::Permissions> {
        Ok(self
            .file()?
            .metadata()
            .map_err(|e| Error::io("cannot stat the file", e))?
            .permissions())
    }

    /// Whether `other`, the metadata of `other_path`, is this very file (`path`): on Unix the
    /// same device and inode, elsewhere the same canonical path.
    pub fn is_same_file(
        &self,
        path: &Path,
        other_path: &Path,
        other: &std::fs::Metadata,
    ) -> Result<bool> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = (path, other_path);
            let mine = self
                .file()?
                .metadata()
                .map_err(|e| Error::io("cannot stat the file", e))?;
            Ok(mine.dev() == other.dev() && mine.ino() == other.ino())
        }
        #[cfg(not(unix))]
        {
            let _ = other;
            let canonical = |p: &Path| {
                std::fs::canonicalize(p)
                    .map_err(|e| Error::io(&format!("cannot resolve {}", p.display()), e))
            };
            Ok(canonical(path)? == canonical(other_path)?)
        }
    }

    /// Reads exactly `len` bytes at `at`, at most [`READ_PIECE_LEN`] (larger reads go through
    /// [`Source::read_into`] piece by piece); a fault if the file ends first.
    pub fn read(&self, at: u64, len: usize) -> Result<Vec<u8>> {
        debug_assert!(len <= READ_PIECE_LEN, "a read of {len} bytes at once");
        let mut buf = vec![0u8; len];
        self.read_into(at, &mut buf)?;
        Ok(buf)
    }

    /// Reads `buf.len()` bytes at `at` into `buf`; a fault if the file ends first.
    pub fn read_into(&self, at: u64, buf: &mut [u8]) -> Result<()> {
        let len = buf.len();
        if at.checked_add(len as u64).is_none_or(|end| end > self.len) {
            return Err(fault(
                at,
                format!("the file ends before {len} bytes could be read"),
            ));
        }
        match &self.backing {
            Backing::File(file) => {
                read_exact_at(file, buf, at).map_err(|e| Error::io("reading the file", e))
            }
            Backing::Memory(bytes) => {
                // Past the bytes held, the claimed file reads as zeros.
                let start = usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len());
                let held = &bytes[start..(start + len).min(bytes.len())];
                buf[..held.len()].copy_from_slice(held);
                buf[held.len()..].fill(0);
                Ok(())
            }
        }
    }

    /// At most `cap` bytes of the chunk body of `size` bytes at `at`: header chunks are read
    /// only as far as their fields go, whatever size they claim.
    pub fn read_head(&self, at: u64, size: u32, cap: usize) -> Result<Vec<u8>> {
        self.read(at, (size as usize).min(cap))
    }

    /// Calls `visit(number, position, bytes)` for each of `count` entries of `entry_len` bytes
    /// from `at`, reading them [`READ_PIECE_LEN`] bytes at a time, until it breaks.
    pub fn for_each_entry(
        &self,
        at: u64,
        count: usize,
        entry_len: usize,
        mut visit: impl FnMut(usize, u64, &[u8]) -> Result<ControlFlow<()>>,
    ) -> Result<()> {
        let per_piece = READ_PIECE_LEN / entry_len;
        let mut done = 0;
        while done < count {
            let n = per_piece.min(count - done);
            let piece_at = at + (done * entry_len) as u64;
            let piece = self.read(piece_at, n * entry_len)?;
            for (i, entry) in piece.chunks_exact(entry_len).enumerate() {
                if visit(done + i, piece_at + (i * entry_len) as u64, entry)?.is_break() {
                    return Ok(());
                }
            }
            done += n;
        }
        Ok(())
    }

    /// The chunk at `at` inside a container ending at `end` (named `container` in faults): its
    /// id, size and the end of its body (pad byte not included). Zero bytes where a chunk
    /// header belongs are a fault: walking a hole 8 bytes at a time could take hours.
    pub fn chunk_within(&self, at: u64, end: u64, container: &str) -> Result<(FourCc, u32, u64)> {
        let (id, size) = self
            .chunk_header(at)?
            .filter(|_| at + CHUNK_HEADER_LEN <= end)
            .ok_or_else(|| {
                fault(
                    at,
                    format!("a chunk header is cut by the end of {container}"),
                )
            })?;
        if id == NO_CHUNK {
            return Err(no_chunk(at, container));
        }
        let body_end = at + CHUNK_HEADER_LEN + u64::from(size);
        if body_end > end {
            return Err(fault(
                at,
                format!("{id} of {size} bytes runs past the end of {container}"),
            ));
        }
        Ok((id, size, body_end))
    }

    /// The chunk header at `at`: id and size, or `None` when fewer than 8 bytes remain.
    pub fn chunk_header(&self, at: u64) -> Result<Option<(FourCc, u32)>> {
        if at
            .checked_add(CHUNK_HEADER_LEN)
            .is_none_or(|end| end > self.len)
        {
            return Ok(None);
        }
        let h = self.read(at, CHUNK_HEADER_LEN as usize)?;
        Ok(Some(chunk_header_of(&h)))
    }

    /// The four-character code at `at`.
    pub fn fourcc(&self, at: u64) -> Result<FourCc> {
        Ok(fourcc_at(&self.read(at, 4)?, 0))
    }

    /// The form type of the list whose header is at `at` (`movi` of `LIST movi`).
    pub fn list_form(&self, at: u64) -> Result<FourCc> {
        self.fourcc(at + CHUNK_HEADER_LEN)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(file, buf, at)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        at += n as u64;
    }
    Ok(())
}

/// Elsewhere plain std: seek, then read (the source is used by one thread at a time).
#[cfg(not(any(unix, windows)))]
fn read_exact_at(mut file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(buf)
}

pub(crate) fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

pub(crate) fn fourcc_at(b: &[u8], at: usize) -> FourCc {
    FourCc::new(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The id and size of the chunk header that `b` starts with.
fn chunk_header_of(b: &[u8]) -> (FourCc, u32) {
    (fourcc_at(b, 0), le32(b, 4))
}

/// What `strh` says about a stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct StreamHeader {
    /// File position of the `strh` chunk.
    pub at: u64,
    pub scale: u32,
    pub rate: u32,
    pub length: u32,
    pub sample_size: u32,
}

/// One stream of a parsed header.
#[derive(Debug, Clone)]
pub(crate) struct ParsedStream {
    pub spec: StreamSpec,
    pub header: StreamHeader,
    /// Position and size of the `indx` chunk body, if the stream has one.
    pub indx: Option<(u64, u32)>,
}

/// The parsed `hdrl` of a file.
#[derive(Debug, Clone)]
pub(crate) struct ParsedHeader {
    pub streams: Vec<ParsedStream>,
    /// File position of the `avih` chunk and its `dwStreams`.
    pub avih_at: u64,
    pub avih_streams: u32,
    pub avih_total_frames: u32,
    pub dmlh_total_frames: Option<u32>,
    pub frame_rate: FrameRate,
    /// Where the first `LIST movi` starts (its list header).
    pub first_movi: u64,
    /// The INFO metadata before the first `movi`.
    pub info: InfoList,
}

/// Parses the first RIFF's `hdrl` and finds its `movi` list.
pub(crate) fn parse_header(src: &Source) -> Result<ParsedHeader> {
    let head = src.read(0, LIST_HEADER_LEN as usize).map_err(|_| {
        fault(
            0,
            format!("not a RIFF file: shorter than {LIST_HEADER_LEN} bytes"),
        )
    })?;
    let (id, size) = chunk_header_of(&head);
    if id != RIFF || fourcc_at(&head, CHUNK_HEADER_LEN as usize) != FORM_AVI {
        return Err(fault(0, "not an AVI file: expected RIFF 'AVI '"));
    }
    // A crash before the first checkpoint leaves the RIFF size 0: search the whole file.
    let riff_end = match size {
        0 => src.len(),
        size => (CHUNK_HEADER_LEN + u64::from(size)).min(src.len()),
    };
    let mut at = LIST_HEADER_LEN;
    let mut hdrl = None;
    let mut info = None;
    while let Some((id, size)) = src.chunk_header(at)? {
        if at >= riff_end {
            break;
        }
        if id == NO_CHUNK {
            return Err(no_chunk(at, "the first RIFF"));
        }
        let (body, body_end) = (
            at + LIST_HEADER_LEN,
            at + CHUNK_HEADER_LEN + u64::from(size),
        );
        if id == LIST {
            let form = src.list_form(at)?;
            if form == LIST_HDRL {
                hdrl = Some((body, body_end));
            } else if form == LIST_INFO {
                info = Some(parse_info(src, body, body_end)?);
            } else if form == LIST_MOVI {
                let (hdrl_body, hdrl_end) =
                    hdrl.ok_or_else(|| fault(at, "movi list before the hdrl list"))?;
                let mut header = parse_hdrl(src, hdrl_body, hdrl_end)?;
                header.first_movi = at;
                header.info = info.unwrap_or_else(InfoList::empty);
                return Ok(header);
            }
        }
        at += CHUNK_HEADER_LEN + padded_len(u64::from(size));
    }
    Err(fault(at, "no hdrl and movi lists in the first RIFF"))
}

/// The entries of a `LIST 'INFO'` body that avikit can write again (valid ids, UTF-8 text up
/// to the first NUL); others are left out.
fn parse_info(src: &Source, start: u64, end: u64) -> Result<InfoList> {
    let mut info = InfoList::empty();
    let mut at = start;
    while at + CHUNK_HEADER_LEN <= end {
        let (id, size, body_end) = src.chunk_within(at, end, "the INFO list")?;
        // One byte more than a value may have, so that a longer one is still left out.
        let raw = src.read_head(at + CHUNK_HEADER_LEN, size, MAX_INFO_VALUE_LEN + 1)?;
        let text = raw.split(|&b| b == 0).next().unwrap_or(&[]);
        if let (Ok(id), Ok(text)) = (std::str::from_utf8(&id.0), std::str::from_utf8(text)) {
            // An id or value avikit would refuse is not worth failing a repair over.
            let _ = info.set(id, text);
        }
        at = padded_len(body_end);
    }
    Ok(info)
}

fn parse_hdrl(src: &Source, start: u64, end: u64) -> Result<ParsedHeader> {
    if end > src.len() {
        return Err(fault(
            start,
            "the header list runs past the end of the file",
        ));
    }
    let mut header = ParsedHeader {
        streams: Vec::new(),
        avih_at: 0,
        avih_streams: 0,
        avih_total_frames: 0,
        dmlh_total_frames: None,
        frame_rate: FrameRate { num: 30, den: 1 },
        first_movi: 0,
        info: InfoList::empty(),
    };
    let mut saw_avih = false;
    let mut micros_per_frame = 0;
    let mut at = start;
    while at + CHUNK_HEADER_LEN <= end {
        let (id, size, body_end) = src.chunk_within(at, end, "the hdrl list")?;
        match id {
            CK_AVIH => {
                let b = src.read(at + CHUNK_HEADER_LEN, (size as usize).min(AVIH_LEN))?;
                if b.len() < AVIH_MIN_LEN {
                    return Err(fault(
                        at,
                        format!("avih is shorter than {AVIH_MIN_LEN} bytes"),
                    ));
                }
                micros_per_frame = le32(&b, 0);
                header.avih_total_frames = le32(&b, AVIH_TOTAL_FRAMES_AT);
                header.avih_at = at;
                header.avih_streams = le32(&b, AVIH_STREAMS_AT);
                saw_avih = true;
            }
            LIST => {
                let form = src.list_form(at)?;
                let list_body = at + LIST_HEADER_LEN;
                if form == LIST_STRL {
                    if header.streams.len() == MAX_STREAMS {
                        return Err(fault(at, format!("more than {MAX_STREAMS} stream lists")));
                    }
                    header.streams.push(parse_strl(src, list_body, body_end)?);
                } else if form == LIST_ODML {
                    if let Some((dmlh, dsize)) = src.chunk_header(list_body)? {
                        // dwTotalFrames opens the body.
                        if dmlh == CK_DMLH && dsize as usize >= size_of::<u32>() {
                            let total = src.read(list_body + CHUNK_HEADER_LEN, size_of::<u32>())?;
                            header.dmlh_total_frames = Some(le32(&total, 0));
                        }
                    }
                }
            }
            _ => {}
        }
        at = padded_len(body_end);
    }
    if !saw_avih {
        return Err(fault(start, "the header list has no avih"));
    }
    let video_rate = header.streams.iter().find_map(|s| match s.spec.format {
        StreamFormat::Video(_) => Some((s.header.rate, s.header.scale)),
        StreamFormat::Audio(_) => None,
    });
    header.frame_rate = match video_rate {
        Some((rate, scale)) if rate > 0 && scale > 0 => FrameRate::new(rate, scale)?,
        _ if micros_per_frame > 0 => FrameRate::new(1_000_000, micros_per_frame)?,
        _ => FrameRate { num: 30, den: 1 },
    };
    Ok(header)
}

fn parse_strl(src: &Source, start: u64, end: u64) -> Result<ParsedStream> {
    let mut strh = None;
    let mut strf = None;
    let mut name = None;
    let mut indx = None;
    let mut vprp = None;
    let mut at = start;
    while at + CHUNK_HEADER_LEN <= end {
        let (id, size, _) = src.chunk_within(at, end, "its strl")?;
        let body = at + CHUNK_HEADER_LEN;
        match id {
            CK_STRH => strh = Some((at, src.read_head(body, size, STRH_MIN_LEN)?)),
            CK_STRF => strf = Some((at, src.read_head(body, size, MAX_STRF_READ)?)),
            CK_STRN => {
                // One byte more than a name may have, so that a longer one is still refused.
                let raw = src.read_head(body, size, MAX_STREAM_NAME_LEN + 1)?;
                let text = raw.split(|&b| b == 0).next().unwrap_or(&[]);
                name = Some(String::from_utf8_lossy(text).into_owned());
            }
            CK_INDX => indx = Some((body, size)),
            CK_VPRP => vprp = Some(src.read_head(body, size, VPRP_MIN_LEN)?),
            _ => {}
        }
        at = body + padded_len(u64::from(size));
    }
    let (strh_at, h) = strh.ok_or_else(|| fault(start, "a strl without strh"))?;
    let (strf_at, f) = strf.ok_or_else(|| fault(start, "a strl without strf"))?;
    if h.len() < STRH_MIN_LEN {
        return Err(fault(
            strh_at,
            format!("strh is shorter than {STRH_MIN_LEN} bytes"),
        ));
    }
    let header = StreamHeader {
        at: strh_at,
        scale: le32(&h, STRH_SCALE_AT),
        rate: le32(&h, STRH_RATE_AT),
        length: le32(&h, STRH_LENGTH_AT),
        sample_size: le32(&h, STRH_SAMPLE_SIZE_AT),
    };
    let format = match fourcc_at(&h, 0) {
        STREAM_TYPE_VIDEO => {
            if f.len() < BITMAPINFOHEADER_LEN {
                return Err(fault(
                    strf_at,
                    format!("BITMAPINFOHEADER is shorter than {BITMAPINFOHEADER_LEN} bytes"),
                ));
            }
            let compression = le32(&f, BI_COMPRESSION_AT);
            let header_end = (le32(&f, BI_SIZE_AT) as usize).clamp(BITMAPINFOHEADER_LEN, f.len());
            StreamFormat::Video(VideoFormat {
                width: le32(&f, BI_WIDTH_AT),
                height: (le32(&f, BI_HEIGHT_AT) as i32).unsigned_abs(),
                fourcc: (compression != BI_RGB).then(|| FourCc::from_u32(compression)),
                bits_per_pixel: le16(&f, BI_BIT_COUNT_AT),
                pixel_aspect: vprp
                    .as_deref()
                    .map_or(PixelAspect::SQUARE, pixel_aspect_of_vprp),
                extra_data: f[BITMAPINFOHEADER_LEN..header_end].to_vec(),
            })
        }
        STREAM_TYPE_AUDIO => {
            if f.len() < PCMWAVEFORMAT_LEN {
                return Err(fault(
                    strf_at,
                    format!("WAVEFORMAT is shorter than {PCMWAVEFORMAT_LEN} bytes"),
                ));
            }
            // A PCMWAVEFORMAT has no cbSize and no extra bytes.
            let extra: &[u8] = match f.get(PCMWAVEFORMAT_LEN..WAVEFORMATEX_LEN) {
                None => &[],
                Some(cb) => f
                    .get(WAVEFORMATEX_LEN..WAVEFORMATEX_LEN + usize::from(le16(cb, 0)))
                    .ok_or_else(|| {
                        fault(strf_at, "WAVEFORMATEX cbSize runs past the end of strf")
                    })?,
            };
            StreamFormat::Audio(AudioFormat {
                format_tag: le16(&f, 0),
                channels: le16(&f, WF_CHANNELS_AT),
                sample_rate: le32(&f, WF_SAMPLES_PER_SEC_AT),
                bytes_per_second: le32(&f, WF_AVG_BYTES_PER_SEC_AT),
                block_align: le16(&f, WF_BLOCK_ALIGN_AT),
                bits_per_sample: le16(&f, WF_BITS_PER_SAMPLE_AT),
                extra: extra.to_vec(),
            })
        }
        other => {
            return Err(fault(
                strh_at,
                format!("stream type {other:?} is neither vids nor auds"),
            ))
        }
    };
    Ok(ParsedStream {
        spec: StreamSpec { format, name },
        header,
        indx,
    })
}

/// The pixel shape a `vprp` chunk declares: its display aspect ratio over its frame's width and
/// height. Square when the chunk is short, zero or not representable.
fn pixel_aspect_of_vprp(vprp: &[u8]) -> PixelAspect {
    if vprp.len() < VPRP_MIN_LEN {
        return PixelAspect::SQUARE;
    }
    let aspect = le32(vprp, VPRP_FRAME_ASPECT_RATIO_AT);
    let (dar_num, dar_den) = (
        u64::from(aspect >> u16::BITS),
        u64::from(aspect & u32::from(u16::MAX)),
    );
    let (width, height) = (
        u64::from(le32(vprp, VPRP_FRAME_WIDTH_AT)),
        u64::from(le32(vprp, VPRP_FRAME_HEIGHT_AT)),
    );
    let (num, den) = (dar_num * height, dar_den * width);
    let g = gcd64(num, den).max(1);
    match (u32::try_from(num / g), u32::try_from(den / g)) {
        (Ok(num), Ok(den)) if num != 0 && den != 0 => PixelAspect { num, den },
        _ => PixelAspect::SQUARE,
    }
}

fn gcd64(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A data chunk found in a `movi` list: 16 bytes, since a file may hold millions of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataChunk {
    /// File position of the chunk header.
    pub at: u64,
    pub size: u32,
    /// Stream number: two decimal digits of its id.
    stream: u8,
    /// Whether it lives in the first RIFF segment (the one `idx1` indexes).
    pub in_first_riff: bool,
}

impl DataChunk {
    /// The chunk at `at` of `size` bytes, of `stream` (below [`MAX_STREAMS`], as
    /// [`data_chunk_stream`] gives), in RIFF segment number `riff`.
    pub fn new(at: u64, size: u32, stream: usize, riff: usize) -> DataChunk {
        debug_assert!(stream < MAX_STREAMS);
        DataChunk {
            at,
            size,
            stream: stream as u8,
            in_first_riff: riff == 0,
        }
    }

    /// Its stream number.
    pub fn stream(&self) -> usize {
        usize::from(self.stream)
    }
}

/// The stream number of a data chunk id (`00dc` -> 0), if it is one.
pub(crate) fn data_chunk_stream(id: FourCc) -> Option<usize> {
    let [a, b, ..] = id.0;
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| usize::from(a - b'0') * 10 + usize::from(b - b'0'))
}

/// The two-letter type of a data chunk id (`dc` of `00dc`).
pub(crate) fn data_chunk_suffix(id: FourCc) -> [u8; 2] {
    let [.., c, d] = id.0;
    [c, d]
}

/// Whether `id` is an OpenDML standard index (`ix##`).
pub(crate) fn is_standard_index(id: FourCc) -> bool {
    let [a, b, ..] = id.0;
    [a, b] == PREFIX_STANDARD_INDEX
}

/// Whether `id` is an index or filler chunk that may sit inside a `movi` list.
pub(crate) fn is_movi_housekeeping(id: FourCc) -> bool {
    is_standard_index(id) || id == CK_INDX || id == CK_JUNK
}
