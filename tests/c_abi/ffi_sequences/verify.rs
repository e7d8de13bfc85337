//! After a seed, every writer is closed: every operation's outcome is checked against what its
//! begin, callback, end and cancel said, files closed with AVK_OK are read back chunk by chunk,
//! and a sample of them goes through the external readers (avi_check).

use super::faults::*;
use super::model::*;
use super::read_all;
use super::status::{bit, status_name};
use crate::common::index::check_idx1;
use crate::common::riff::{data_chunks, le32, walk};
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::ffi::*;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::Instant;

fn known_status(slot: &OpSlot) -> i32 {
    let c = slot.callback_status.load(SeqCst);
    let e = slot.end_status.load(SeqCst);
    if c != NO_STATUS && e != NO_STATUS && c != e {
        fault(format!(
            "slot {}: callback saw {} but end returned {}",
            slot.index,
            status_name(c),
            status_name(e)
        ));
    }
    if c != NO_STATUS {
        c
    } else {
        e
    }
}

pub(crate) fn verify_operations(w: &WriterRec) {
    let used = w.next_slot.load(SeqCst).min(SLOTS);
    let mut failed_seen = false;
    for &i in lock(&w.callback_log).iter() {
        let slot = &w.slots[i as usize];
        let s = slot.callback_status.load(SeqCst);
        if s == AVK_E_IO || s == AVK_E_WRITER_FAILED || s == AVK_E_ENCODER {
            failed_seen = true;
        } else if s == AVK_OK && failed_seen {
            fault(format!(
                "writer {}: slot {i} succeeded after an earlier operation failed",
                w.no
            ));
        }
    }
    let close = w.close_status.load(SeqCst);
    if failed_seen {
        ensure!(
            close == AVK_E_IO,
            "writer {}: operations failed but close returned {}",
            w.no,
            status_name(close)
        );
    }
    for slot in &w.slots[..used] {
        let kind = *lock(&slot.kind);
        let begun = slot.begun.load(SeqCst);
        let calls = slot.callbacks.load(SeqCst);
        let has_cb = slot.has_callback.load(SeqCst);
        ensure!(
            calls <= 1,
            "writer {} slot {}: {calls} callbacks",
            w.no,
            slot.index
        );
        if begun != BEGUN_OK {
            ensure!(
                calls == 0,
                "writer {} slot {} ({kind:?}): begin failed but the callback ran",
                w.no,
                slot.index
            );
        } else if has_cb {
            ensure!(
                calls == 1,
                "writer {} slot {} ({kind:?}): begin returned OK, callback ran {calls} times",
                w.no,
                slot.index
            );
        }
        let status = known_status(slot);
        if status == NO_STATUS {
            continue;
        }
        let cancel_ok = slot.cancel_ok.load(SeqCst);
        ensure!(
            (status == AVK_E_CANCELED) == cancel_ok,
            "writer {} slot {} ({kind:?}): status {} but cancel accepted: {cancel_ok}",
            w.no,
            slot.index,
            status_name(status)
        );
        ensure!(
            w.op_statuses() & bit(status) != 0,
            "writer {} slot {}: status {} on a writer that cannot fail",
            w.no,
            slot.index,
            status_name(status)
        );
    }
}

/// Reads a file closed with AVK_OK back: every data chunk is the payload of one operation of
/// this writer that did not fail, at most once, in callback order; every operation known to
/// have succeeded is there; the idx1 agrees.
pub(crate) fn verify_content(w: &WriterRec, bytes: &[u8]) {
    let used = w.next_slot.load(SeqCst).min(SLOTS);
    let streams = w.streams();
    let chunks = walk(bytes);
    let data = data_chunks(&chunks);
    let mut seen = vec![false; used];
    let mut order = Vec::new();
    let mut encoded = vec![0usize; streams.len()];
    for (n, d) in data.iter().enumerate() {
        let Some(st) = streams.get(d.stream) else {
            fault(format!(
                "writer {}: chunk {n} of unknown stream {}",
                w.no, d.stream
            ));
            continue;
        };
        let suffix: &[u8] = match st.codec {
            _ if !st.video => b"wb",
            Codec::Mjpeg | Codec::H264 => b"dc",
            _ => b"db",
        };
        ensure!(&d.id[2..] == suffix, "writer {}: chunk id {:?}", w.no, d.id);
        let body = &bytes[d.offset..d.offset + d.size];
        let index = match st.codec {
            Codec::Raw => {
                if d.size < 12 || &body[..2] != b"AK" {
                    fault(format!(
                        "writer {}: chunk {n} is not a payload of the test",
                        w.no
                    ));
                    continue;
                }
                let no = u16::from_le_bytes([body[2], body[3]]);
                let index = le32(body, 4) as usize;
                if no != w.no || index >= used || body != &payload(no, index as u32, d.size)[..] {
                    fault(format!(
                        "writer {}: chunk {n} (writer {no}, slot {index}) has wrong bytes",
                        w.no
                    ));
                    continue;
                }
                index
            }
            Codec::Converted { out_bits } => {
                // A DIB of one color: blue and green name the slot, red the writer.
                let bpp = out_bits as usize / 8;
                let row = st.width as usize * bpp;
                let stride = row.div_ceil(4) * 4;
                let uniform = d.size == stride * st.height as usize
                    && body
                        .chunks_exact(stride)
                        .all(|r| r[..row].chunks_exact(bpp).all(|p| p[..3] == body[..3]));
                let index = usize::from(body.first().copied().unwrap_or(0))
                    | usize::from(body.get(1).copied().unwrap_or(0)) << 8;
                if !uniform || body[2] != w.no as u8 || index >= used {
                    fault(format!(
                        "writer {}: converted chunk {n} ({} bytes) is not a picture of one \
                         operation",
                        w.no, d.size
                    ));
                    continue;
                }
                CONVERTED_VERIFIED.fetch_add(1, Relaxed);
                index
            }
            Codec::Mjpeg | Codec::H264 => {
                ENCODED_COUNTED.fetch_add(1, Relaxed);
                let well_formed = if st.codec == Codec::Mjpeg {
                    body.starts_with(&[0xFF, 0xD8]) && body.ends_with(&[0xFF, 0xD9])
                } else {
                    body.starts_with(&[0, 0, 0, 1])
                };
                ensure!(
                    well_formed,
                    "writer {}: chunk {n} of a {:?} stream is not a picture of it",
                    w.no,
                    st.codec
                );
                encoded[d.stream] += 1;
                continue;
            }
        };
        let slot = &w.slots[index];
        ensure!(
            slot.stream.load(SeqCst) == d.stream as u32,
            "writer {}: slot {index} landed in stream {}",
            w.no,
            d.stream
        );
        ensure!(!seen[index], "writer {}: slot {index} written twice", w.no);
        seen[index] = true;
        ensure!(
            slot.begun.load(SeqCst) == BEGUN_OK,
            "writer {}: slot {index} is in the file but its begin failed",
            w.no
        );
        let status = known_status(slot);
        ensure!(
            status == NO_STATUS || status == AVK_OK,
            "writer {}: slot {index} is in the file but ended with {}",
            w.no,
            status_name(status)
        );
        order.push(index as u32);
        CHUNKS_VERIFIED.fetch_add(1, Relaxed);
    }
    FILES_VERIFIED.fetch_add(1, Relaxed);
    // Encoded chunks cannot be traced to their operation: count them.
    let mut known_ok = vec![0usize; streams.len()];
    let mut unknown = vec![0usize; streams.len()];
    let is_encoded = |slot: &OpSlot| {
        streams
            .get(slot.stream.load(SeqCst) as usize)
            .is_some_and(|st| st.codec.compressed())
    };
    for slot in &w.slots[..used] {
        let kind = *lock(&slot.kind);
        if kind == Some(OpKind::Flush) || slot.begun.load(SeqCst) != BEGUN_OK {
            continue;
        }
        let status = known_status(slot);
        if is_encoded(slot) {
            let stream = slot.stream.load(SeqCst) as usize;
            match status {
                AVK_OK => known_ok[stream] += 1,
                NO_STATUS => unknown[stream] += 1,
                _ => {}
            }
        } else if status == AVK_OK {
            ensure!(
                seen[slot.index as usize],
                "writer {}: slot {} ({kind:?}) succeeded but is not in the file",
                w.no,
                slot.index
            );
        }
    }
    for (i, st) in streams.iter().enumerate() {
        if st.codec.compressed() {
            ensure!(
                (known_ok[i]..=known_ok[i] + unknown[i]).contains(&encoded[i]),
                "writer {}: {:?} stream {i} holds {} frames; {} writes succeeded, {} unknown",
                w.no,
                st.codec,
                encoded[i],
                known_ok[i],
                unknown[i]
            );
        }
    }
    let with_callback = |i: &u32| {
        let slot = &w.slots[*i as usize];
        slot.callback_status.load(SeqCst) == AVK_OK
            && *lock(&slot.kind) != Some(OpKind::Flush)
            && !is_encoded(slot)
    };
    let file_order: Vec<u32> = order.iter().copied().filter(with_callback).collect();
    let callback_order: Vec<u32> = lock(&w.callback_log)
        .iter()
        .copied()
        .filter(with_callback)
        .collect();
    ensure!(
        file_order == callback_order,
        "writer {}: callbacks ran in another order than the chunks landed",
        w.no
    );
    if w.emit_idx1 {
        check_idx1(bytes, &chunks, &data);
    } else {
        ensure!(
            !chunks.iter().any(|c| &c.id == b"idx1"),
            "writer {}: idx1 written though disabled",
            w.no
        );
    }
}

/// A file kept for avi_check.
pub(crate) struct Sample {
    pub(crate) seed: u64,
    pub(crate) file: Scratch,
}

/// External readers on a sample: the first two in full, the rest without PyAV and mediainfo.
pub(crate) fn check_samples(samples: &[Sample]) {
    let checked = Instant::now();
    std::thread::scope(|scope| {
        for half in [0, 1] {
            scope.spawn(move || {
                for (i, s) in samples.iter().enumerate().filter(|(i, _)| i % 2 == half) {
                    let args: &[&str] = if i < 2 || read_all() {
                        &[]
                    } else {
                        &["--no-pyav", "--no-mediainfo"]
                    };
                    let run = std::panic::catch_unwind(|| avi_check(s.file.path(), args));
                    // A checked file is progress too: the watchdog looks for a stuck reader.
                    PROGRESS.fetch_add(1, Relaxed);
                    if let Err(p) = run {
                        CURRENT_SEED.store(s.seed, Relaxed);
                        fault(format!("avi_check: {}", panic_text(p.as_ref())));
                    }
                }
            });
        }
    });
    eprintln!(
        "ffi_sequences: avi_check of {} files in {:.2?}",
        samples.len(),
        checked.elapsed()
    );
}
