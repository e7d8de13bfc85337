//! The order in which a stream's write callbacks ran, recorded through begin + callback.

/// Begins one write per input on `video`, each with a callback that records its index, then
/// ends them all. Returns the recorded order; read it after closing the writer, which is when
/// every callback has surely run.
pub fn write_recording_order(
    video: &avikit::VideoStream,
    inputs: impl IntoIterator<Item = Vec<u8>>,
) -> std::sync::Arc<parking_lot::Mutex<Vec<usize>>> {
    let order = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let results: Vec<avikit::AsyncResult> = inputs
        .into_iter()
        .enumerate()
        .map(|(n, input)| {
            let order = std::sync::Arc::clone(&order);
            let cb = Box::new(move |_: &avikit::AsyncResult| order.lock().push(n));
            video
                .begin_write_frame(false, avikit::Payload::owned(input), Some(cb))
                .unwrap()
        })
        .collect();
    results
        .into_iter()
        .for_each(|r| video.end_write_frame(r).unwrap());
    order
}
