// Errors and misuse: status codes to exception types, the library's messages, a failing
// Stream sink. Part of AvikitTests (see AvikitTests.cs).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Avikit;
using static Harness;

internal static partial class AvikitTests
{
    private static void StatusMappingTable()
    {
        var expected = new Dictionary<AvikitStatus, Type>
        {
            { AvikitStatus.InvalidArgument, typeof(ArgumentException) },
            { AvikitStatus.InvalidHandle, typeof(ObjectDisposedException) },
            { AvikitStatus.InvalidState, typeof(InvalidOperationException) },
            { AvikitStatus.IO, typeof(IOException) },
            { AvikitStatus.Canceled, typeof(OperationCanceledException) },
            { AvikitStatus.Timeout, typeof(AvikitException) },
            { AvikitStatus.Unsupported, typeof(NotSupportedException) },
            { AvikitStatus.Encoder, typeof(AvikitException) },
            { AvikitStatus.Limit, typeof(AvikitException) },
            { AvikitStatus.WriterFailed, typeof(InvalidOperationException) },
            { AvikitStatus.WouldDeadlock, typeof(InvalidOperationException) },
            { AvikitStatus.NoMemory, typeof(AvikitException) },
            { AvikitStatus.Panic, typeof(AvikitException) },
            { AvikitStatus.Dropped, typeof(AvikitException) },
            { AvikitStatus.QueueFull, typeof(AvikitException) },
        };
        foreach (var pair in expected)
        {
            var e = Errors.Create((int)pair.Key, "message " + pair.Key, null);
            Equal(pair.Value, e.GetType(), "exception type for " + pair.Key);
            Equal("message " + pair.Key, e.Message, "message for " + pair.Key);
            Equal(pair.Key, (AvikitStatus)e.Data["Avikit.Status"], "Data status for " + pair.Key);
            var ae = e as AvikitException;
            if (ae != null) Equal(pair.Key, ae.Status, "AvikitException.Status");
        }
        Equal("AVK_E_WRITER_FAILED", Errors.Create(10, null, null).Message, "empty message falls back to the status name");
        // The enum mirrors every status the library names, under the library's names.
        for (var code = 0; code < 64; code++)
        {
            var name = Native.StatusName(code);
            Equal(name != "AVK_UNKNOWN", Enum.IsDefined(typeof(AvikitStatus), code), "AvikitStatus has " + code + " (" + name + ")");
        }
        Equal("AVK_E_DROPPED", Native.StatusName((int)AvikitStatus.Dropped), "Dropped is 14");
        Equal("AVK_E_QUEUE_FULL", Native.StatusName((int)AvikitStatus.QueueFull), "QueueFull is 15");
    }

    private static void ErrorMapping()
    {
        var path = OutPath("errors.avi");
        var w = new AviWriter(path, Deterministic());
        var v = w.AddVideoStream(W, H, 32);
        var a = w.AddAudioStream(2, 44100, 16);
        const string badLength = "AVK_E_INVALID_ARGUMENT: an uncompressed 32x24 32-bit frame is 3072 bytes (bottom-up rows padded to 4 bytes), not 100";
        Equal(badLength, Throws<ArgumentException>(() => v.WriteFrame(true, new byte[100], 0, 100)).Message, "sync bad length");
        Equal(badLength, Throws<ArgumentException>(() => v.BeginWriteFrame(true, new byte[100], 0, 100, null, null)).Message, "begin bad length");
        var e = Throws<ArgumentException>(() => v.WriteFrameAsync(true, new byte[100], 0, 100));
        Equal(badLength, e.Message, "async bad length");
        Equal(AvikitStatus.InvalidArgument, (AvikitStatus)e.Data["Avikit.Status"], "status in Data");
        Check(Throws<ArgumentException>(() => a.WriteBlock(new byte[3], 0, 3)).Message.Contains("block_align"), "audio block alignment");
        Equal(0, w.PendingWrites, "failed begins leave nothing pending");
        Throws<ArgumentNullException>(() => v.WriteFrame(true, null, 0, 0));
        Throws<ArgumentOutOfRangeException>(() => v.WriteFrame(true, new byte[10], -1, 5));
        Throws<ArgumentException>(() => v.WriteFrame(true, new byte[10], 8, 5));

        v.WriteFrame(true, Frame(0, FrameLen), 0, FrameLen);
        var state = Throws<InvalidOperationException>(() => w.AddVideoStream(W, H, 32));
        Check(state.Message.Length > 0, "add after write has the library message");
        w.Close();
        w.Close(); // a second Close does nothing

        var d1 = Throws<ObjectDisposedException>(() => v.WriteFrame(true, Frame(1, FrameLen), 0, FrameLen));
        Check(d1.Message.Length > 0 && d1.Message != "AVK_E_INVALID_HANDLE", "the library's message: " + d1.Message);
        Throws<ObjectDisposedException>(() => v.BeginWriteFrame(true, Frame(1, FrameLen), 0, FrameLen, null, null));
        Throws<ObjectDisposedException>(() => v.WriteFrameAsync(true, Frame(1, FrameLen), 0, FrameLen));
        Throws<ObjectDisposedException>(() => a.WriteBlock(Frame(1, AudioBlock), 0, AudioBlock));
        Throws<ObjectDisposedException>(() => w.AddAudioStream());
        Throws<ObjectDisposedException>(() => w.Flush());
        Equal(0, w.PendingWrites, "nothing pending after close");
        ExpectPackets(path, 1, 0);

        var io = Throws<IOException>(() => new AviWriter(Path.Combine(outDir, "no-such-dir", "x.avi")));
        Check(io.Message.Length > 0, "IOException message: " + io.Message);

        using (var w2 = new AviWriter(OutPath("unsupported.avi"), Deterministic()))
        {
            Throws<ArgumentException>(() => w2.AddVideoStream(0, H, 32));
            Throws<ArgumentException>(() => w2.AddMjpegVideoStream(W, H, 101));
            var mp3 = true;
            try
            {
                w2.AddMp3AudioStream(2, 44100, 128);
                Console.WriteLine("     (MP3 encoding is available here)");
            }
            catch (NotSupportedException ns)
            {
                mp3 = false;
                Equal(AvikitStatus.Unsupported, (AvikitStatus)ns.Data["Avikit.Status"], "MP3 status");
            }
            // SetLamePath: null refused; a path given once LAME was looked for changes nothing.
            Throws<ArgumentNullException>(() => AvikitLibrary.SetLamePath(null));
            AvikitLibrary.SetLamePath(OutPath("no-lame-here.so"));
            if (mp3) w2.AddMp3AudioStream(1, 44100, 64);
            else Throws<NotSupportedException>(() => w2.AddMp3AudioStream(1, 44100, 64));
            try
            {
                w2.AddVideoStream(new VideoStreamOptions { Width = W, Height = H, Codec = VideoCodec.H264 });
                Console.WriteLine("     (H.264 encoding is available here)");
            }
            catch (NotSupportedException)
            {
            }
            Equal(VideoCodec.Raw, w2.AddVideoStream(W, H, 24, fourCC: "MJPG").Codec, "a pre-compressed FourCC stream");
            Throws<ArgumentException>(() => w2.AddVideoStream(W, H, 24, fourCC: "MJPEG"));
            w2.AddVideoStream(W, H, 32).WriteFrame(true, Frame(0, FrameLen));
        }

        // No stream: Close reports the library's INVALID_STATE (the file is still finalized).
        Throws<InvalidOperationException>(() => new AviWriter(OutPath("empty.avi")).Close());
    }

    private static void FailingSink()
    {
        var sink = new GatedStream { FailAtOrAfter = 2 * FrameLen };
        // A small super index keeps the header under the failure point: the data writes fail.
        var options = Deterministic();
        options.SuperIndexCapacity = 16;
        var w = new AviWriter(sink, false, options);
        var v = w.AddVideoStream(W, H, 32);
        var results = Enumerable.Range(0, 6).Select(i => v.BeginWriteFrame(true, Frame(i, FrameLen), 0, FrameLen, null, null)).ToList();
        var seen = new List<Exception>();
        foreach (var r in results)
        {
            try { v.EndWriteFrame(r); } catch (Exception e) { seen.Add(e); }
        }
        Check(seen.Count > 0, "some writes failed");
        var io = seen[0] as IOException;
        Check(io != null, "first failure is IOException: " + seen[0]);
        Check(io.InnerException != null && io.InnerException.Message == "disk on fire (test)", "inner is the Stream's exception");
        Check(io.Message.Contains("write_at"), "library message: " + io.Message);
        Check(seen.Skip(1).All(e => e.GetType() == typeof(InvalidOperationException)), "later writes: writer failed");
        var t = v.WriteFrameAsync(true, Frame(9, FrameLen), 0, FrameLen);
        try { t.Wait(30000); } catch (AggregateException) { }
        Check(t.IsFaulted && t.Exception.InnerException is InvalidOperationException, "task faults with writer failed");
        Throws<IOException>(() => w.Close());
        Check(sink.Disposed, "leaveOpen false disposed the stream at close");
    }
}
