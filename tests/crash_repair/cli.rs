//! The `avikit` command-line tool: demo, inspect (text and JSON), repair, exit codes and help.
#![cfg(feature = "cli")]

use crate::common::scratch::Scratch;
use crate::common::tools::{avi_check, python_run};
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
    let summary = text(&out);
    assert!(out.status.success(), "{summary}");
    for line in [
        "0: video DIB 32-bit 320x180: 59 frames, 13593600 bytes, \"test pattern\"",
        "1: audio PCM 2 ch 48000 Hz 16-bit: 59 chunks, 377976 bytes, \"440 Hz\"",
        "video frames: 59 (first video stream)",
    ] {
        assert!(summary.contains(line), "{line:?} missing from:\n{summary}");
    }
    // The JSON parses, and says what the summary says.
    let out = avikit(&["inspect", "--json", path]);
    assert!(out.status.success(), "{}", text(&out));
    let fields = python_run(
        "import json, sys\n\
         r = json.loads(sys.argv[1])\n\
         v, a = r['stream_list']\n\
         print(r['streams'], r['video_frames'], r['audio_chunks'], r['file'] == sys.argv[2])\n\
         print(v['type'], v['fourcc'], v['width'], v['height'], v['chunks'], v['name'])\n\
         print(a['type'], a['format_tag'], a['channels'], a['sample_rate'], a['bytes'])",
        &[&String::from_utf8_lossy(&out.stdout), path],
    );
    assert_eq!(
        fields,
        "2 59 59 True\nvideo None 320 180 59 test pattern\naudio 1 2 48000 377976\n"
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
