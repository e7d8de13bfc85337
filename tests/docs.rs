//! What the documentation must say plainly (issue 14, items 16 and 17): what a callback may not
//! do, that the default queue is unbounded, and that the shipped examples set a bound.

const HEADER: &str = include_str!("../include/avikit.h");
const README: &str = include_str!("../README.md");

/// The doc comment right above `marker` in the header.
fn doc_before(marker: &str) -> String {
    let at = HEADER
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the header"));
    let before = &HEADER[..at];
    let start = before.rfind("/**").expect("a doc comment");
    before[start..].to_string()
}

#[test]
fn the_header_says_what_a_callback_must_not_do() {
    for marker in [
        "typedef void (*avk_async_callback)",
        "typedef struct avk_io {",
    ] {
        let doc = doc_before(marker);
        for word in ["exception", "longjmp", "pthread_exit"] {
            assert!(doc.contains(word), "{marker}: {word:?} missing from\n{doc}");
        }
    }
}

#[test]
fn the_unbounded_default_queue_is_spelled_out() {
    let doc = doc_before("uint64_t max_queued_bytes;");
    assert!(doc.contains("0 = unbounded"), "{doc}");
    assert!(doc.contains("grows without limit"), "{doc}");
    assert!(README.contains("unbounded"), "README");
    assert!(README.contains("grows without limit"), "README");
}

#[test]
fn the_examples_and_the_demo_set_a_queue_bound() {
    for (name, text) in [
        ("examples/c/demo.c", include_str!("../examples/c/demo.c")),
        (
            "examples/cpp/record.cpp",
            include_str!("../examples/cpp/record.cpp"),
        ),
        ("examples/record.rs", include_str!("../examples/record.rs")),
        (
            "src/bin/avikit/demo.rs",
            include_str!("../src/bin/avikit/demo.rs"),
        ),
    ] {
        // The assignment (C, C++) or field (Rust), not a comment mentioning it.
        let line = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("//") && !l.starts_with('*') && !l.starts_with("/*"))
            .find(|l| l.contains("max_queued_bytes =") || l.contains("max_queued_bytes:"))
            .unwrap_or_else(|| panic!("{name} sets no max_queued_bytes"));
        let value = line.split(['=', ':']).nth(1).unwrap().trim();
        assert!(!value.starts_with('0'), "{name}: {line}");
    }
}
