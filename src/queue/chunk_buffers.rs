//! The buffers of a writer's encoded chunks, used again: the worker gives each one back once its
//! chunk is in the file, and the next frame's encoder writes into it. Steady recording then
//! touches no fresh memory: a fresh buffer costs a page fault per 4 KiB on first touch, and
//! glibc hands freed megabyte buffers back to the system often enough that a 1080p Ut Video
//! recording on two threads spent about 8% of its time there.

use parking_lot::Mutex;

/// Spent chunk buffers of one writer, shared by its worker (which gives them back) and the
/// encoder threads of its frames (which take them). Holds at most `keep`, so a writer that
/// stops recording keeps only a few frames' worth until it is closed.
pub(crate) struct ChunkBuffers {
    spent: Mutex<Vec<Vec<u8>>>,
    keep: usize,
}

impl ChunkBuffers {
    /// Buffers for a writer with up to `encoding` frames encoding at once: room for those, and
    /// for two chunks on their way to the file.
    pub fn new(encoding: usize) -> ChunkBuffers {
        ChunkBuffers {
            spent: Mutex::new(Vec::new()),
            keep: encoding + 2,
        }
    }

    /// An empty buffer: a spent one (keeping its allocation) if there is one, else a new one.
    pub fn take(&self) -> Vec<u8> {
        self.spent.lock().pop().unwrap_or_default()
    }

    /// Takes `buffer` back for a later chunk (emptied), or frees it if enough are kept.
    pub fn give_back(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() == 0 {
            return;
        }
        buffer.clear();
        let mut spent = self.spent.lock();
        if spent.len() < self.keep {
            spent.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_empty_up_to_the_kept_count() {
        let buffers = ChunkBuffers::new(1);
        assert_eq!(buffers.take().capacity(), 0);
        let given: Vec<Vec<u8>> = (0..5).map(|n| vec![n; 1000]).collect();
        let addresses: Vec<*const u8> = given.iter().map(|b| b.as_ptr()).collect();
        given.into_iter().for_each(|b| buffers.give_back(b));
        // Three kept (one encoding, two on their way), the last given back first.
        for address in addresses[..3].iter().rev() {
            let taken = buffers.take();
            assert!(taken.is_empty());
            assert_eq!(taken.as_ptr(), *address);
            assert!(taken.capacity() >= 1000);
        }
        assert_eq!(buffers.take().capacity(), 0);
        buffers.give_back(Vec::new());
        assert_eq!(buffers.take().capacity(), 0);
    }

    #[test]
    fn an_encoded_payload_gives_its_buffer_back_when_dropped() {
        use crate::queue::payload::Payload;
        use std::sync::Arc;
        let buffers = Arc::new(ChunkBuffers::new(1));
        let mut payload = Payload::encoded(vec![7; 64], Arc::clone(&buffers));
        let address = payload.as_slice().as_ptr();
        payload.trim_front(4);
        assert_eq!(payload.as_slice(), &[7; 60][..]);
        assert_eq!(buffers.take().capacity(), 0, "given back before the drop");
        drop(payload);
        let taken = buffers.take();
        assert!(taken.is_empty());
        assert_eq!(taken.as_ptr(), address);
    }
}
