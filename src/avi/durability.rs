//! [`Durability`]: whether the muxer syncs its sink at checkpoints and close, and the order that
//! makes a power cut harmless.

/// When a writer asks its sink to put the bytes on stable storage ([`crate::sink::Sink::flush`] with
/// `durable`, an fdatasync for files).
///
/// With [`Durability::Checkpoints`] every checkpoint (periodic, at flush and at close) runs in
/// three steps: the data and the index chunks the new header will point at are written and
/// synced; then only counts, sizes and super index entries are rewritten in place (the `ix##`
/// entry counts, the RIFF and `movi` sizes, the header) and synced; then standard index slots
/// that larger ones replaced become `JUNK`. A power cut at any moment leaves a file whose header
/// points only at bytes already on stable storage, so it repairs (and, where the header
/// survived, plays) at least up to the last completed checkpoint. Close returns after a sync.
///
/// The syncs run on the writer's worker thread, never in a begin; checkpoints that fall due
/// while one syncs become one. What a sync promises is the sink's: a [`crate::sink::FileSink`]
/// reaches the disk, a custom sink promises what its flush does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Sync in order at every checkpoint and at close (the default).
    #[default]
    Checkpoints,
    /// Never sync on its own: writes are left to the operating system, which may lose any of
    /// them, in any order, in a power cut (avikit 0.2). `Writer::flush(true)` still makes a
    /// durable checkpoint.
    None,
}
