//! Every AVI and OpenDML constant the muxer writes and the repair reader reads, named as in
//! Microsoft's headers: ids, flags, structure sizes and the offsets of the fields read back.

use crate::riff::{FourCc, LIST_HEADER_LEN};

/// `RIFF` list.
pub(crate) const RIFF: FourCc = FourCc::new(*b"RIFF");
/// `LIST` list.
pub(crate) const LIST: FourCc = FourCc::new(*b"LIST");
/// Form of the first RIFF.
pub(crate) const FORM_AVI: FourCc = FourCc::new(*b"AVI ");
/// Form of every OpenDML extension RIFF.
pub(crate) const FORM_AVIX: FourCc = FourCc::new(*b"AVIX");
/// Header list.
pub(crate) const LIST_HDRL: FourCc = FourCc::new(*b"hdrl");
/// One stream's header list.
pub(crate) const LIST_STRL: FourCc = FourCc::new(*b"strl");
/// Data list.
pub(crate) const LIST_MOVI: FourCc = FourCc::new(*b"movi");
/// OpenDML header list.
pub(crate) const LIST_ODML: FourCc = FourCc::new(*b"odml");
/// Metadata list.
pub(crate) const LIST_INFO: FourCc = FourCc::new(*b"INFO");
/// Main AVI header.
pub(crate) const CK_AVIH: FourCc = FourCc::new(*b"avih");
/// Stream header.
pub(crate) const CK_STRH: FourCc = FourCc::new(*b"strh");
/// Stream format.
pub(crate) const CK_STRF: FourCc = FourCc::new(*b"strf");
/// Stream name.
pub(crate) const CK_STRN: FourCc = FourCc::new(*b"strn");
/// OpenDML super index.
pub(crate) const CK_INDX: FourCc = FourCc::new(*b"indx");
/// OpenDML video properties (display aspect ratio).
pub(crate) const CK_VPRP: FourCc = FourCc::new(*b"vprp");
/// OpenDML extended header.
pub(crate) const CK_DMLH: FourCc = FourCc::new(*b"dmlh");
/// Legacy AVI 1.0 index.
pub(crate) const CK_IDX1: FourCc = FourCc::new(*b"idx1");
/// Filler: readers skip it; replaced standard indexes become `JUNK`.
pub(crate) const CK_JUNK: FourCc = FourCc::new(*b"JUNK");
/// INFO: software that wrote the file.
pub(crate) const CK_ISFT: FourCc = FourCc::new(*b"ISFT");
/// Stream type: video.
pub(crate) const STREAM_TYPE_VIDEO: FourCc = FourCc::new(*b"vids");
/// Stream type: audio.
pub(crate) const STREAM_TYPE_AUDIO: FourCc = FourCc::new(*b"auds");

/// Bytes that open each OpenDML extension segment: `RIFF` <size> `AVIX`, then `LIST` <size> `movi`.
pub(crate) const AVIX_HEAD_LEN: u64 = 2 * LIST_HEADER_LEN;

/// Chunk id suffix of uncompressed video (`##db`).
pub(crate) const SUFFIX_UNCOMPRESSED_VIDEO: [u8; 2] = *b"db";
/// Chunk id suffix of compressed video (`##dc`).
pub(crate) const SUFFIX_COMPRESSED_VIDEO: [u8; 2] = *b"dc";
/// Chunk id suffix of audio (`##wb`).
pub(crate) const SUFFIX_AUDIO: [u8; 2] = *b"wb";
/// Chunk id prefix of OpenDML standard indexes (`ix##`).
pub(crate) const PREFIX_STANDARD_INDEX: [u8; 2] = *b"ix";

/// avih flag: the file has an `idx1`.
pub(crate) const AVIF_HASINDEX: u32 = 0x0000_0010;
/// avih flag: chunks are interleaved.
pub(crate) const AVIF_ISINTERLEAVED: u32 = 0x0000_0100;
/// avih flag: keyframe flags in the index can be trusted.
pub(crate) const AVIF_TRUSTCKTYPE: u32 = 0x0000_0800;
/// idx1 flag: the chunk is a keyframe.
pub(crate) const AVIIF_KEYFRAME: u32 = 0x0000_0010;

/// `bIndexType` of a super index (entries point at indexes).
pub(crate) const AVI_INDEX_OF_INDEXES: u8 = 0x00;
/// `bIndexType` of a standard index (entries point at chunks).
pub(crate) const AVI_INDEX_OF_CHUNKS: u8 = 0x01;
/// `wLongsPerEntry` of a super index entry (qwOffset, dwSize, dwDuration).
pub(crate) const SUPER_INDEX_LONGS_PER_ENTRY: u16 = 4;
/// `wLongsPerEntry` of a standard index entry (dwOffset, dwSize).
pub(crate) const STANDARD_INDEX_LONGS_PER_ENTRY: u16 = 2;
/// Bit 31 of a standard index entry's size: the chunk is NOT a keyframe.
pub(crate) const STANDARD_INDEX_DELTA_FRAME: u32 = 0x8000_0000;
/// The bits of a standard index entry's size that hold the chunk's size.
pub(crate) const STANDARD_INDEX_SIZE_MASK: u32 = !STANDARD_INDEX_DELTA_FRAME;
/// Offset of `bIndexType` in the header of either kind of OpenDML index.
pub(crate) const INDEX_TYPE_AT: usize = 3;
/// Offset of `nEntriesInUse` in the header of either kind of OpenDML index.
pub(crate) const INDEX_ENTRIES_IN_USE_AT: usize = 4;
/// Bytes of a super index header inside the `indx` chunk body.
pub(crate) const SUPER_INDEX_HEADER_LEN: usize = 24;
/// Bytes of one super index entry.
pub(crate) const SUPER_INDEX_ENTRY_LEN: usize = 16;
/// Offset of `dwSize` in a super index entry, after `qwOffset`.
pub(crate) const SUPER_INDEX_ENTRY_SIZE_AT: usize = 8;
/// Bytes of a standard index header inside the `ix##` chunk body.
pub(crate) const STANDARD_INDEX_HEADER_LEN: usize = 24;
/// Offset of `qwBaseOffset` in a standard index header.
pub(crate) const STANDARD_INDEX_BASE_OFFSET_AT: usize = 12;
/// Bytes of one standard index entry.
pub(crate) const STANDARD_INDEX_ENTRY_LEN: usize = 8;
/// Offset of `dwSize` in a standard index entry, after `dwOffset`.
pub(crate) const STANDARD_INDEX_ENTRY_SIZE_AT: usize = 4;
// A reader reads an index's header before it knows which of the two kinds it is.
const _: () = assert!(SUPER_INDEX_HEADER_LEN == STANDARD_INDEX_HEADER_LEN);
/// Bytes of one `idx1` entry.
pub(crate) const IDX1_ENTRY_LEN: usize = 16;
/// Offset of `dwChunkOffset` in an `idx1` entry.
pub(crate) const IDX1_CHUNK_OFFSET_AT: usize = 8;
/// Offset of `dwChunkLength` in an `idx1` entry.
pub(crate) const IDX1_CHUNK_LENGTH_AT: usize = 12;
/// Body size of `dmlh` (dwTotalFrames plus reserved words), as FFmpeg and VirtualDub write it.
pub(crate) const DMLH_LEN: usize = 248;

/// Body size of `avih` (MainAVIHeader).
pub(crate) const AVIH_LEN: usize = 56;
/// Shortest `avih` body a reader accepts: MainAVIHeader without `dwReserved[4]`.
pub(crate) const AVIH_MIN_LEN: usize = 40;
/// Offset of `dwTotalFrames` in `avih`.
pub(crate) const AVIH_TOTAL_FRAMES_AT: usize = 16;
/// Offset of `dwStreams` in `avih`.
pub(crate) const AVIH_STREAMS_AT: usize = 24;
/// Shortest `strh` body a reader accepts: AVISTREAMHEADER without `rcFrame`.
pub(crate) const STRH_MIN_LEN: usize = 48;
/// Offset of `dwScale` in `strh`.
pub(crate) const STRH_SCALE_AT: usize = 20;
/// Offset of `dwRate` in `strh`.
pub(crate) const STRH_RATE_AT: usize = 24;
/// Offset of `dwLength` in `strh`.
pub(crate) const STRH_LENGTH_AT: usize = 32;
/// Offset of `dwSampleSize` in `strh`.
pub(crate) const STRH_SAMPLE_SIZE_AT: usize = 44;

/// Bytes of a BITMAPINFOHEADER (its `biSize`): a video `strf` without its palette.
pub(crate) const BITMAPINFOHEADER_LEN: usize = 40;
/// Offset of `biSize`: the header plus any codec extra bytes (never the palette).
pub(crate) const BI_SIZE_AT: usize = 0;
/// Offset of `biWidth` in a BITMAPINFOHEADER.
pub(crate) const BI_WIDTH_AT: usize = 4;
/// Offset of `biHeight` in a BITMAPINFOHEADER.
pub(crate) const BI_HEIGHT_AT: usize = 8;
/// Offset of `biBitCount` in a BITMAPINFOHEADER.
pub(crate) const BI_BIT_COUNT_AT: usize = 14;
/// Offset of `biCompression` in a BITMAPINFOHEADER.
pub(crate) const BI_COMPRESSION_AT: usize = 16;
/// Bytes of a PCMWAVEFORMAT: the shortest audio `strf`, without `cbSize`.
pub(crate) const PCMWAVEFORMAT_LEN: usize = 16;
/// Bytes of a WAVEFORMATEX before its extra bytes (`cbSize` closes it).
pub(crate) const WAVEFORMATEX_LEN: usize = 18;
/// Offset of `nChannels` in a WAVEFORMATEX.
pub(crate) const WF_CHANNELS_AT: usize = 2;
/// Offset of `nSamplesPerSec` in a WAVEFORMATEX.
pub(crate) const WF_SAMPLES_PER_SEC_AT: usize = 4;
/// Offset of `nAvgBytesPerSec` in a WAVEFORMATEX.
pub(crate) const WF_AVG_BYTES_PER_SEC_AT: usize = 8;
/// Offset of `nBlockAlign` in a WAVEFORMATEX.
pub(crate) const WF_BLOCK_ALIGN_AT: usize = 12;
/// Offset of `wBitsPerSample` in a WAVEFORMATEX.
pub(crate) const WF_BITS_PER_SAMPLE_AT: usize = 14;
/// Shortest `vprp` body a reader takes the aspect ratio from: up to `dwFrameHeightInLines`.
pub(crate) const VPRP_MIN_LEN: usize = 32;
/// Offset of `dwFrameAspectRatio` (numerator in the high 16 bits) in `vprp`.
pub(crate) const VPRP_FRAME_ASPECT_RATIO_AT: usize = 20;
/// Offset of `dwFrameWidthInPixels` in `vprp`.
pub(crate) const VPRP_FRAME_WIDTH_AT: usize = 24;
/// Offset of `dwFrameHeightInLines` in `vprp`.
pub(crate) const VPRP_FRAME_HEIGHT_AT: usize = 28;

/// `biCompression` of an uncompressed RGB DIB.
pub(crate) const BI_RGB: u32 = 0;
/// `dwQuality` meaning "default quality".
pub(crate) const QUALITY_DEFAULT: u32 = 0xFFFF_FFFF;
