// Durable checkpoints (AviWriterOptions.Durability, avk_io.sync): a FileStream sink is flushed to
// disk at checkpoints and close by default and never with Durability.None (unless Flush(true));
// durability never changes the bytes; an unknown value is refused. Part of AvikitTests (see
// AvikitTests.cs).
using System;
using System.IO;
using System.Threading;
using Avikit;
using static Harness;

internal static partial class AvikitTests
{
    /// <summary>A FileStream that counts Flush(true) (the sync) calls.</summary>
    private sealed class SyncCountingStream : FileStream
    {
        public int Syncs;

        public SyncCountingStream(string path) : base(path, FileMode.Create, FileAccess.ReadWrite) { }

        public override void Flush(bool flushToDisk)
        {
            if (flushToDisk) Interlocked.Increment(ref Syncs);
            base.Flush(flushToDisk);
        }
    }

    /// <summary>Records 60 frames and blocks through a counting FileStream, flushing every 20;
    /// returns its syncs.</summary>
    private static int RecordCountingSyncs(string name, Avikit.Durability durability, bool durableFlush)
    {
        var path = OutPath(name);
        var fs = new SyncCountingStream(path);
        var options = Deterministic();
        options.Durability = durability;
        using (var w = new AviWriter(fs, false, options))
        {
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            for (var i = 0; i < 60; i++)
            {
                v.WriteFrame(true, Frame(i, FrameLen), 0, FrameLen);
                a.WriteBlock(Frame(1000 + i, AudioBlock), 0, AudioBlock);
                if (i % 20 == 19) w.Flush(durableFlush);
            }
        }
        return fs.Syncs;
    }

    private static void DurableCheckpoints()
    {
        Equal(Avikit.Durability.Checkpoints, new AviWriterOptions().Durability, "durable by default");

        // Three flushes and the close, each synced (data, then header) by default.
        var durable = RecordCountingSyncs("durable.avi", Avikit.Durability.Checkpoints, false);
        Check(durable >= 2 * 4, "durable syncs: " + durable);
        var none = RecordCountingSyncs("not-durable.avi", Avikit.Durability.None, false);
        Equal(0, none, "syncs without durability");
        var flushed = RecordCountingSyncs("durable-flush.avi", Avikit.Durability.None, true);
        Check(flushed >= 2 * 3, "Flush(true) syncs without durability: " + flushed);
        var bytes = File.ReadAllBytes(OutPath("durable.avi"));
        BytesEqual(bytes, File.ReadAllBytes(OutPath("not-durable.avi")), "durability changed the bytes");
        BytesEqual(bytes, File.ReadAllBytes(OutPath("durable-flush.avi")), "a durable flush changed the bytes");

        // An unknown value: ArgumentException with the library's message; the stream stays the caller's.
        var bad = Deterministic();
        bad.Durability = (Avikit.Durability)2;
        var e = Throws<ArgumentException>(() => new AviWriter(OutPath("bad-durability.avi"), bad));
        Check(e.Message.Contains("durability"), "message names the field: " + e.Message);
        var ms = new MemoryStream();
        e = Throws<ArgumentException>(() => new AviWriter(ms, false, bad));
        Check(e.Message.Contains("durability"), "stream sink message: " + e.Message);
        Check(ms.CanWrite, "the refused writer leaves the stream open");
    }
}
