//! The bytes of one write, owned by the job or borrowed from the caller until completion.

use super::chunk_buffers::ChunkBuffers;
use std::sync::Arc;

/// The data of one frame or audio block on its way to the file.
pub struct Payload(PayloadKind);

enum PayloadKind {
    Owned(Vec<u8>),
    /// An encoded chunk, whose buffer goes back to its writer's chunk buffers when dropped.
    Encoded {
        data: Vec<u8>,
        buffers: Arc<ChunkBuffers>,
    },
    Shared(Arc<[u8]>),
    Borrowed {
        ptr: *const u8,
        len: usize,
    },
}

// SAFETY: owned, encoded and shared payloads are plain Send data; a borrowed payload is only
// created through `Payload::borrowed`, whose contract makes the memory valid and unchanged until
// the operation completes, from whichever thread reads it.
unsafe impl Send for Payload {}

impl Payload {
    /// Takes ownership of `data`.
    pub fn owned(data: Vec<u8>) -> Payload {
        Payload(PayloadKind::Owned(data))
    }

    /// Takes ownership of the encoded chunk `data`, to give its buffer back to `buffers`.
    pub(crate) fn encoded(data: Vec<u8>, buffers: Arc<ChunkBuffers>) -> Payload {
        Payload(PayloadKind::Encoded { data, buffers })
    }

    /// Shares `data` without copying it.
    pub fn shared(data: Arc<[u8]>) -> Payload {
        Payload(PayloadKind::Shared(data))
    }

    /// Refers to caller memory without copying it (the C ABI's default).
    ///
    /// # Safety
    /// `ptr..ptr+len` must be readable, and stay valid and unchanged until the operation this
    /// payload is given to has completed. `ptr` may be dangling only when `len == 0`.
    pub unsafe fn borrowed(ptr: *const u8, len: usize) -> Payload {
        Payload(PayloadKind::Borrowed { ptr, len })
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            PayloadKind::Owned(v) | PayloadKind::Encoded { data: v, .. } => v,
            PayloadKind::Shared(a) => a,
            PayloadKind::Borrowed { len: 0, .. } => &[],
            // SAFETY: guaranteed valid for the payload's life by `Payload::borrowed`'s contract.
            PayloadKind::Borrowed { ptr, len } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
        }
    }

    /// Payload bytes.
    pub fn len(&self) -> usize {
        match &self.0 {
            PayloadKind::Owned(v) | PayloadKind::Encoded { data: v, .. } => v.len(),
            PayloadKind::Shared(a) => a.len(),
            PayloadKind::Borrowed { len, .. } => *len,
        }
    }

    /// Drops the first `len` bytes (all of them if there are fewer): a timed audio block's
    /// samples that overlap what its stream already has. Borrowed bytes stay borrowed; shared
    /// ones are copied, since others may hold the whole.
    pub(crate) fn trim_front(&mut self, len: usize) {
        let len = len.min(self.len());
        if len == 0 {
            return;
        }
        match &mut self.0 {
            PayloadKind::Owned(v) | PayloadKind::Encoded { data: v, .. } => {
                v.drain(..len);
            }
            PayloadKind::Shared(a) => self.0 = PayloadKind::Owned(a[len..].to_vec()),
            PayloadKind::Borrowed { ptr, len: left } => {
                // SAFETY: `len <= *left`, so the new start is inside (or one past) the same
                // borrowed range, which `Payload::borrowed`'s contract keeps valid.
                *ptr = unsafe { ptr.add(len) };
                *left -= len;
            }
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Payload {
    fn drop(&mut self) {
        if let PayloadKind::Encoded { data, buffers } = &mut self.0 {
            buffers.give_back(std::mem::take(data));
        }
    }
}

impl From<Vec<u8>> for Payload {
    fn from(v: Vec<u8>) -> Payload {
        Payload::owned(v)
    }
}

impl From<Arc<[u8]>> for Payload {
    fn from(a: Arc<[u8]>) -> Payload {
        Payload::shared(a)
    }
}
