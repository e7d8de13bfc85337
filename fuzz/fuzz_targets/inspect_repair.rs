//! Any bytes given to inspection and repair, as a file of their own length and as the start of
//! a sparse file claiming 36 GB: no panic, no allocation past libFuzzer's `-malloc_limit_mb`
//! (whatever a size, count or offset claims), no hang, and a repaired file always passes
//! inspection. `tests/crash_repair/fuzz_corpus.rs` runs the same harness on stable Rust.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// A length far past anything the bytes hold, as a sparse file makes free.
const CLAIMED_LEN: u64 = 36_000_000_000;

fuzz_target!(|data: &[u8]| {
    for claimed in [data.len() as u64, CLAIMED_LEN] {
        let outcome = avikit::repair::inspect_and_repair_virtual(data.to_vec(), claimed);
        if let Some(repaired) = outcome.repaired_inspection {
            repaired.expect("a repaired file passes inspection");
        }
    }
});
