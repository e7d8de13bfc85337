//! What the documentation must say plainly (issue 14, items 16 and 17): what a callback may not
//! do, that the default queue is unbounded, and that the shipped examples set a bound; and
//! (issue 15, item 10) that the C API contract the header cites is in the repository and covers
//! what the header declares.

const HEADER: &str = include_str!("../../include/avikit.h");
const README: &str = include_str!("../../README.md");
const CONTRACT: &str = include_str!("../../docs/c-api.md");

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
        ("examples/c/demo.c", include_str!("../../examples/c/demo.c")),
        (
            "examples/cpp/record.cpp",
            include_str!("../../examples/cpp/record.cpp"),
        ),
        (
            "examples/record.rs",
            include_str!("../../examples/record.rs"),
        ),
        (
            "src/bin/avikit/demo.rs",
            include_str!("../../src/bin/avikit/demo.rs"),
        ),
    ] {
        // The assignment (C, C++) or setter (Rust), not a comment mentioning it.
        let line = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("//") && !l.starts_with('*') && !l.starts_with("/*"))
            .find(|l| l.contains("max_queued_bytes =") || l.contains("with_max_queued_bytes("))
            .unwrap_or_else(|| panic!("{name} sets no max_queued_bytes"));
        let value = line.split(['=', '(']).nth(1).unwrap().trim();
        assert!(!value.starts_with('0'), "{name}: {line}");
    }
}

#[test]
fn the_header_and_readme_point_at_the_contract_in_the_repository() {
    let preamble = &HEADER[..HEADER.find("*/").expect("the header's first comment")];
    assert!(preamble.contains("Contract: docs/c-api.md."), "{preamble}");
    assert!(
        README.contains("(docs/c-api.md)"),
        "README links no contract"
    );
}

#[test]
fn the_contract_lists_every_status_code_of_the_header_with_its_value() {
    let codes: Vec<(&str, &str)> = HEADER
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .filter_map(|l| l.split_once(' '))
        .filter(|(name, _)| *name == "AVK_OK" || name.starts_with("AVK_E_"))
        .collect();
    assert_eq!(codes.len(), 16, "status codes in the header: {codes:?}");
    for (name, value) in codes {
        let row = format!("| {value} | `{name}` |");
        assert!(
            CONTRACT.contains(&row),
            "docs/c-api.md lacks the row {row:?}"
        );
    }
}

#[test]
fn the_contract_names_every_function_of_the_header() {
    let functions = HEADER
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("typedef") && l.contains('('))
        .filter_map(|l| l.split('(').next()?.split_whitespace().last())
        .map(|name| name.trim_start_matches('*'))
        .filter(|name| name.starts_with("avk_"));
    let mut count = 0;
    for name in functions {
        count += 1;
        assert!(
            CONTRACT.contains(&format!("`{name}")),
            "docs/c-api.md never names {name}"
        );
    }
    assert!(count > 30, "only {count} functions found in the header");
}

#[test]
fn the_header_defines_only_avikit_names() {
    let foreign: Vec<&str> = HEADER
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| !name.starts_with("AVK_") && *name != "AVIKIT_H")
        .collect();
    assert!(
        foreign.is_empty(),
        "macros without the AVK_ prefix: {foreign:?}"
    );
}
