//! Any bytes given to inspection and repair: no panic, no unbounded allocation, no hang, and a
//! repaired file always passes inspection.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir();
    let input = dir.join(format!("avikit-fuzz-{}.avi", std::process::id()));
    let output = dir.join(format!("avikit-fuzz-{}-out.avi", std::process::id()));
    std::fs::write(&input, data).expect("write the input");
    let _ = avikit::repair::inspect_file(&input);
    if avikit::repair::repair_file(&input, Some(&output)).is_ok() {
        avikit::repair::inspect_file(&output).expect("a repaired file passes inspection");
    }
});
