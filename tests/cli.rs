//! The `avikit` command-line tool: demo, inspect (text and JSON), repair, exit codes and help.
#![cfg(feature = "cli")]

mod common;

use common::*;
use std::process::{Command, Output};

fn avikit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_avikit"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn demo_inspect_and_repair_from_the_shell() {
    let file = Scratch::new("cli-demo.avi");
    let path = file.path().to_str().unwrap();
    let out = avikit(&["demo", path, "--seconds", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    avi_check(file.path(), &["--video-frames", "59"]);

    let out = avikit(&["inspect", path]);
    assert!(
        out.status.success() && text(&out).contains("video frames: 59"),
        "{}",
        text(&out)
    );
    let out = avikit(&["inspect", "--json", path]);
    let json = text(&out);
    assert!(
        json.contains("\"video_frames\":59") && json.contains("\"streams\":2"),
        "{json}"
    );

    let cut = Scratch::new("cli-cut.avi");
    let bytes = std::fs::read(file.path()).unwrap();
    std::fs::write(cut.path(), &bytes[..bytes.len() / 2]).unwrap();
    let cut_path = cut.path().to_str().unwrap();
    let out = avikit(&["inspect", cut_path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("truncated"), "{}", text(&out));

    let fixed = Scratch::new("cli-fixed.avi");
    let fixed_path = fixed.path().to_str().unwrap();
    let out = avikit(&["repair", cut_path, "-o", fixed_path]);
    assert!(
        out.status.success() && text(&out).contains("repaired"),
        "{}",
        text(&out)
    );
    assert!(avikit(&["inspect", fixed_path]).status.success());
    let out = avikit(&["repair", cut_path]);
    assert!(out.status.success(), "in place: {}", text(&out));
    assert!(avikit(&["inspect", cut_path]).status.success());

    let out = avikit(&["inspect", "/nonexistent/file.avi"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("No such file"), "{}", text(&out));
    for sub in ["inspect", "repair", "demo"] {
        let out = avikit(&[sub, "--help"]);
        assert!(
            out.status.success() && text(&out).contains("Usage"),
            "{sub} --help"
        );
    }
    assert_eq!(
        avikit(&["bogus"]).status.code(),
        Some(2),
        "clap's usage error"
    );
}
