//! Every AVI and OpenDML constant the muxer writes, named as in Microsoft's headers.

use crate::riff::FourCc;

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
/// Bytes of one super index entry.
pub(crate) const SUPER_INDEX_ENTRY_LEN: usize = 16;
/// Bytes of a standard index header inside the `ix##` chunk body.
pub(crate) const STANDARD_INDEX_HEADER_LEN: usize = 24;
/// Bytes of one standard index entry.
pub(crate) const STANDARD_INDEX_ENTRY_LEN: usize = 8;
/// Bytes of one `idx1` entry.
pub(crate) const IDX1_ENTRY_LEN: usize = 16;
/// Body size of `dmlh` (dwTotalFrames plus reserved words), as FFmpeg and VirtualDub write it.
pub(crate) const DMLH_LEN: usize = 248;

/// `biCompression` of an uncompressed RGB DIB.
pub(crate) const BI_RGB: u32 = 0;
/// `dwQuality` meaning "default quality".
pub(crate) const QUALITY_DEFAULT: u32 = 0xFFFF_FFFF;
