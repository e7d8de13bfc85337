mod common;
use avikit::*;
use common::*;

#[test]
fn smoke() {
    let s = Scratch::new("smoke.avi");
    let w = Writer::create(s.path(), WriterOptions::default()).unwrap();
    let v = w.add_video_stream(VideoFormat { width: 33, height: 17, fourcc: None, bits_per_pixel: 24 }, Some("video")).unwrap();
    let a = w.add_audio_stream(AudioFormat::pcm(PcmFormat::derive(2, 44100, 16).unwrap()), None).unwrap();
    for n in 0..30 {
        v.write_frame(true, &dib_frame(33, 17, 24, n)).unwrap();
        a.write_block(true, &pcm_block(1470, n)).unwrap();
    }
    w.close().unwrap();
    std::fs::copy(s.path(), "/tmp/smoke.avi").unwrap();
    println!("{}", avi_check(s.path(), &["--video-frames", "30", "--audio-bytes", &(30*1470*4).to_string(), "--seek-frame", "20"]));
}
