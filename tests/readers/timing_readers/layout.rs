//! A timed recording in its bytes: one video chunk per slot (empty ones zero-length, of the
//! stream's own chunk id, never keyframes), in `idx1`, in every `ix##` and in the counts of
//! `strh`, `avih` and `dmlh`; the audio's `strh` counts its samples, silence included.

use super::plan::Plan;
use crate::common::index::{check_idx1, index_keyframes};
use crate::common::odml;
use crate::common::riff::{data_chunks, first, le32, walk, Chunk};

const AVIIF_KEYFRAME: u32 = 0x10;

/// The body of the `n`-th chunk with id `id`.
fn nth<'a>(chunks: &'a [Chunk], id: &[u8; 4], n: usize) -> &'a Chunk {
    chunks
        .iter()
        .filter(|c| &c.id == id)
        .nth(n)
        .unwrap_or_else(|| panic!("no {} {:?} chunks", n + 1, String::from_utf8_lossy(id)))
}

/// Checks the file of `plan` with video stream 0 (chunks `video_id`) and, when `audio` says
/// so, PCM stream 1 of 4-byte sample frames. `keyframe(k)` says whether the `k`-th frame in the
/// file (in slot order) was written as a keyframe. Returns how many RIFF segments it has.
pub fn check(
    bytes: &[u8],
    plan: &Plan,
    video_id: &[u8; 4],
    audio: bool,
    keyframe: impl Fn(usize) -> bool,
) -> usize {
    let chunks = walk(bytes);
    let data = data_chunks(&chunks);
    let video: Vec<_> = data.iter().filter(|d| d.stream == 0).collect();
    assert_eq!(
        video.len() as u64,
        plan.total_slots,
        "one video chunk per slot"
    );
    assert!(
        video.iter().all(|d| &d.id == video_id),
        "every video chunk is {}",
        String::from_utf8_lossy(video_id)
    );
    // The key flag every index must give each slot: frames as written, empty ones never.
    let mut filled = plan.slots.iter().map(|s| s.1).peekable();
    let mut frames = 0;
    let mut expected_keys = Vec::new();
    for (slot, chunk) in video.iter().enumerate() {
        let real = filled.next_if_eq(&(slot as u64)).is_some();
        assert_eq!(
            chunk.size > 0,
            real,
            "slot {slot}: a frame exactly where planned"
        );
        expected_keys.push(real && keyframe(frames));
        frames += usize::from(real);
    }

    // idx1 covers the first RIFF's movi: every chunk, empty ones with size 0 and no key flag.
    let flags = check_idx1(bytes, &chunks, &data);
    let in_first = video.iter().filter(|d| d.movi == 0).count();
    let idx1_keys: Vec<bool> = data
        .iter()
        .zip(&flags)
        .filter(|(d, _)| d.movi == 0 && d.stream == 0)
        .map(|(_, f)| f & AVIIF_KEYFRAME != 0)
        .collect();
    assert_eq!(idx1_keys, expected_keys[..in_first], "idx1 key flags");

    // The ix## standard indexes list every chunk of every segment, empty ones with size 0.
    let segments = chunks.iter().filter(|c| &c.id == b"RIFF").count();
    if segments > 1 {
        odml::assert_two_tier_index(bytes);
        let (from_idx1, from_ix) = index_keyframes(bytes);
        assert_eq!(
            from_idx1, idx1_keys,
            "idx1 of stream 0 as index_keyframes reads it"
        );
        assert_eq!(from_ix, expected_keys, "ix00 key flags");
        let straddles = video
            .windows(2)
            .any(|w| w[0].size == 0 && w[1].size == 0 && w[0].movi != w[1].movi);
        assert!(straddles, "a run of empty frames crosses a RIFF boundary");
    }

    let strh_length = |stream| le32(bytes, nth(&chunks, b"strh", stream).offset + 32);
    assert_eq!(
        u64::from(strh_length(0)),
        plan.total_slots,
        "video dwLength"
    );
    let avih = first(&chunks, b"avih");
    assert_eq!(
        le32(bytes, avih.offset + 16) as usize,
        in_first,
        "avih dwTotalFrames"
    );
    let dmlh = chunks.iter().find(|c| &c.id == b"dmlh");
    assert!(dmlh.is_some() || segments == 1, "OpenDML without dmlh");
    if let Some(dmlh) = dmlh {
        assert_eq!(
            u64::from(le32(bytes, dmlh.offset)),
            plan.total_slots,
            "dmlh"
        );
    }
    if audio {
        assert_eq!(
            u64::from(strh_length(1)),
            plan.audio_samples,
            "audio dwLength"
        );
        let bytes: usize = data.iter().filter(|d| d.stream == 1).map(|d| d.size).sum();
        assert_eq!(bytes as u64, plan.audio_samples * 4, "audio chunk bytes");
    }
    segments
}
