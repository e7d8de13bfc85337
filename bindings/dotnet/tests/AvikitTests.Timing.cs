// Capture timing in the .NET binding: timed writes (TimeSpan, Stopwatch), empty frames and
// silence, Try* writes with NoWait, IntPtr buffers, Stats. Part of AvikitTests (see AvikitTests.cs).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Avikit;
using static Harness;

internal static partial class AvikitTests
{
    private static readonly TimeSpan Clock0 = TimeSpan.FromSeconds(1000); // any clock: time zero is the first timed write

    private static TimeSpan Ms(int ms) { return Clock0 + TimeSpan.FromMilliseconds(ms); }

    /// <summary>A copy of data in unmanaged memory, recorded in owned (freed by the caller).</summary>
    private static IntPtr Unmanaged(byte[] data, List<IntPtr> owned)
    {
        var p = Marshal.AllocHGlobal(Math.Max(data.Length, 1));
        owned.Add(p);
        Marshal.Copy(data, 0, p, data.Length);
        return p;
    }

    private static void TimedFrames()
    {
        var path = OutPath("timed-frames.avi");
        var callbacks = 0;
        AsyncCallback count = ar => Interlocked.Increment(ref callbacks);
        IAsyncResult r;
        StreamStats stats;
        using (var w = new AviWriter(path, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            // 30 fps: 0 ms is slot 0, 40 ms slot 1, 70 ms slot 2, 80 ms slot 2 again.
            v.WriteFrame(true, Frame(0, FrameLen), 0, FrameLen, Ms(0));
            v.EndWriteFrame(v.BeginWriteFrame(true, Frame(1, FrameLen), 0, FrameLen, Ms(40), null, null));
            Check(v.WriteFrameAsync(true, Frame(2, FrameLen), 0, FrameLen, Ms(70)).Wait(30000), "Task write");
            var taken = Frame(3, FrameLen);
            var dropped = Throws<AvikitException>(() => v.WriteFrame(true, taken, 0, FrameLen, Ms(80)));
            Equal(AvikitStatus.Dropped, dropped.Status, "taken slot");
            Equal(AvikitStatus.Dropped, (AvikitStatus)dropped.Data["Avikit.Status"], "status in Data");
            Check(dropped.Message.Contains("slot 2"), "library message: " + dropped.Message);
            Throws<AvikitException>(() => v.BeginWriteFrame(true, taken, 0, FrameLen, Ms(80), count, null));
            Throws<AvikitException>(() => v.WriteFrameAsync(true, taken, 0, FrameLen, Ms(80)));
            Check(!v.TryWriteFrame(true, taken, 0, FrameLen, Ms(80)), "TryWriteFrame: taken slot");
            Check(!v.TryBeginWriteFrame(true, taken, 0, FrameLen, Ms(80), WriteFlags.None, count, null, out r), "TryBegin: taken slot");
            Check(r == null, "no IAsyncResult for a dropped frame");
            var refused = v.TryWriteFrameAsync(true, taken, 0, FrameLen, Ms(80));
            Check(refused.Status == TaskStatus.RanToCompletion && !refused.Result, "TryWriteFrameAsync: completed false");
            Equal(0, w.PendingWrites, "dropped frames leave nothing pending");

            // 210 ms is slot 6: empty frames fill slots 3 to 5.
            Check(v.TryBeginWriteFrame(true, Frame(4, FrameLen), 0, FrameLen, Ms(210), WriteFlags.None, count, null, out r), "slot 6");
            v.EndWriteFrame(r);
            v.SkipFrames(0);
            v.SkipFrames(2);                                     // slots 7 and 8
            v.WriteFrame(true, Frame(5, FrameLen), 0, FrameLen); // untimed: the next slot, 9
            var late = v.TryWriteFrameAsync(true, Frame(6, FrameLen), 0, FrameLen, Ms(400)); // slot 12
            Check(late.Wait(30000) && late.Result, "TryWriteFrameAsync queued and written");
            Equal(AvikitStatus.Limit, Throws<AvikitException>(() =>
                v.WriteFrame(true, Frame(7, FrameLen), 0, FrameLen, Ms(40000000))).Status, "a gap of 1.2 million slots");
            Equal(AvikitStatus.Limit, Throws<AvikitException>(() => v.SkipFrames(1000001)).Status, "SkipFrames over 1,000,000");
            Throws<ArgumentOutOfRangeException>(() => v.SkipFrames(-1));
            stats = v.Stats;
            Equal(6, v.FramesWritten, "FramesWritten counts frames, not empty frames");
        }
        Equal(13L, stats.Chunks, "chunks: 6 frames, 7 empty frames");
        Equal(7L, stats.EmptyFrames, "empty frames: 3 for the gap at 210 ms, 2 skipped, 2 for the gap at 400 ms");
        Equal(6L, stats.Dropped, "dropped: the six writes into slot 2");
        Equal(6L * FrameLen, stats.PayloadBytes, "payload bytes");
        Equal(1, Volatile.Read(ref callbacks), "a callback only for the queued frame");
        Equal("0,3072|1,3072|2,3072|6,3072|9,3072|12,3072", string.Join("|", PacketLines(path, "v:0")), "ffprobe packets");
        Check(ProbeValues(path, "stream=nb_frames").Contains("nb_frames=13"), "13 frames in the header");
    }

    private static void TimedAudio()
    {
        const int align = 4; // 16-bit stereo at 48 kHz: 48 samples per ms, 960 of jitter tolerance
        var path = OutPath("timed-audio.avi");
        StreamStats stats;
        using (var w = new AviWriter(path, Deterministic()))
        {
            var a = w.AddAudioStream(2, 48000, 16);
            Func<int, int, byte[]> block = (samples, id) => Frame(id, samples * align);
            var b0 = block(1600, 0);
            a.WriteBlock(b0, 0, b0.Length, Ms(0));                       // samples 0..1600
            var b1 = block(1600, 1);
            a.EndWriteBlock(a.BeginWriteBlock(b1, 0, b1.Length, Ms(100), null, null)); // 3200 of silence first
            var b2 = block(1600, 2);                                     // wholly before 6400: dropped
            Check(!a.TryWriteBlock(b2, 0, b2.Length, Ms(100)), "TryWriteBlock: dropped");
            Equal(AvikitStatus.Dropped, Throws<AvikitException>(() => a.WriteBlock(b2, 0, b2.Length, Ms(100))).Status, "dropped");
            var b3 = block(3200, 3);                                     // starts at 5280: 1120 cut
            Check(a.WriteBlockAsync(b3, 0, b3.Length, Ms(110)).Wait(30000), "trimmed block");
            var b4 = block(1600, 4);                                     // 8640 against 8480: jitter
            var t = a.TryWriteBlockAsync(b4, 0, b4.Length, Ms(180));
            Check(t.Wait(30000) && t.Result, "TryWriteBlockAsync within the tolerance");
            var b5 = block(1600, 5);
            a.WriteBlock(b5, 0, b5.Length);                              // untimed: next samples
            stats = a.Stats;
            Equal(5, a.BlocksWritten, "blocks written");
        }
        Equal(11680L, stats.Samples, "samples: 1600 + 3200 + 1600 + 2080 + 1600 + 1600");
        Equal(3200L, stats.SilenceSamples, "silence for the gap at 100 ms");
        Equal(1120L, stats.TrimmedSamples, "the overlap cut from the block at 110 ms");
        Equal(2L, stats.Dropped, "the two writes wholly before the stream's end");
        Equal(5L, stats.Chunks, "chunks");
        Equal(11680L * align, stats.PayloadBytes, "payload bytes");
        Equal(11680L * align, PacketBytes(path, "a:0"), "ffprobe: audio bytes in the file");
    }

    private static void NoWaitQueueFull()
    {
        var sink = new GatedStream();
        var options = Deterministic();
        options.MaxQueuedBytes = FrameLen; // one frame in flight fills the queue
        var slot = TimeSpan.FromTicks(TimeSpan.TicksPerSecond / 30);
        var callbacks = 0;
        using (var w = new AviWriter(sink, true, options))
        {
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            try
            {
                v.WriteFrame(true, Frame(0, FrameLen), 0, FrameLen, Clock0);
                sink.Gate.Reset();
                sink.Entered.Reset();
                // Not NoWait: frame 0's room comes back just after its write returned.
                IAsyncResult first;
                Check(v.TryBeginWriteFrame(true, Frame(1, FrameLen), 0, FrameLen, Clock0 + slot, WriteFlags.None, null, null, out first),
                    "frame 1 queued");
                Check(sink.Entered.Wait(10000), "the worker is blocked writing frame 1");

                // Without NoWait these would wait for the gate; the helper thread must come back at once.
                var frame2 = Frame(2, FrameLen);
                var block = Frame(9, AudioBlock);
                var refusals = Task.Run(() =>
                {
                    IAsyncResult r, ra;
                    var begun = v.TryBeginWriteFrame(true, frame2, 0, FrameLen, Clock0 + slot + slot, WriteFlags.NoWait,
                        ar => Interlocked.Increment(ref callbacks), null, out r);
                    var task = v.TryWriteFrameAsync(true, frame2, 0, FrameLen, Clock0 + slot + slot, WriteFlags.NoWait);
                    var sync = v.TryWriteFrame(true, frame2, 0, FrameLen, Clock0 + slot + slot, WriteFlags.NoWait);
                    var audio = a.TryBeginWriteBlock(block, 0, AudioBlock, Clock0, WriteFlags.NoWait, null, null, out ra);
                    return new[] { begun || r != null, !task.IsCompleted || task.Result, sync, audio || ra != null };
                });
                Check(refusals.Wait(10000), "NoWait answered without waiting for the blocked worker");
                Equal("False,False,False,False", string.Join(",", refusals.Result), "TryBegin, TryWriteAsync, TryWrite, audio TryBegin");
                Equal(1, w.PendingWrites, "nothing queued by the refusals: frame 1 alone pending");

                // Without NoWait the same Try waits for room, then queues.
                var waiting = Task.Run(() =>
                {
                    IAsyncResult r;
                    v.TryBeginWriteFrame(true, frame2, 0, FrameLen, Clock0 + slot + slot, WriteFlags.None, null, null, out r);
                    return r;
                });
                Check(!waiting.Wait(300), "without NoWait the write waits for queue room");
                sink.Gate.Set();
                Check(waiting.Wait(10000) && waiting.Result != null, "queued once there was room");
                v.EndWriteFrame(first);
                v.EndWriteFrame(waiting.Result);
                a.WriteBlock(block, 0, AudioBlock, Clock0);
                Equal(3L, v.Stats.Dropped, "video refusals count as dropped");
                Equal(3L, v.Stats.Chunks, "video chunks");
                Equal(0L, v.Stats.EmptyFrames, "a refused frame takes no slot");
                Equal(1L, a.Stats.Dropped, "audio refusal counts as dropped");
            }
            finally
            {
                sink.Gate.Set(); // a failed check must not leave Close waiting on the gate
            }
        }
        Equal(0, callbacks, "no callback for a refused write");
        var path = OutPath("nowait.avi");
        File.WriteAllBytes(path, sink.Inner.ToArray());
        Equal("0,3072|1,3072|2,3072", string.Join("|", PacketLines(path, "v:0")), "ffprobe video packets");
        Equal((long)AudioBlock, PacketBytes(path, "a:0"), "ffprobe audio bytes: the block written once there was room");
    }

    /// <summary>A timed recording through every write form, from arrays or (with owned) from
    /// unmanaged copies; returns the file's bytes.</summary>
    private static byte[] TimedRecording(string name, List<IntPtr> owned)
    {
        var path = OutPath(name);
        var pending = new List<Action>();
        var outcomes = new List<bool>();
        using (var w = new AviWriter(path, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            // Video slots 0, 1, 3, 3 again (dropped), 6. Audio (735 samples a block, 882 of
            // tolerance) at 0, 100 (silence first), 105 and 125 (jitter), 125 again (wholly before
            // the stream's end: dropped), 140.
            var videoMs = new[] { 0, 34, 100, 110, 200 };
            var audioMs = new[] { 0, 100, 105, 125, 140 };
            for (var i = 0; i < videoMs.Length; i++)
            {
                var f = Frame(i, FrameLen);
                var b = Frame(1000 + i, AudioBlock);
                var fp = owned == null ? IntPtr.Zero : Unmanaged(f, owned);
                var bp = owned == null ? IntPtr.Zero : Unmanaged(b, owned);
                TimeSpan tv = Ms(videoMs[i]), ta = Ms(audioMs[i]);
                IAsyncResult vr, ar;
                switch (i % 4)
                {
                    case 0:
                        if (owned == null) { v.WriteFrame(true, f, 0, FrameLen, tv); a.WriteBlock(b, 0, AudioBlock, ta); }
                        else { v.WriteFrame(true, fp, FrameLen, tv); a.WriteBlock(bp, AudioBlock, ta); }
                        break;
                    case 1:
                        vr = owned == null ? v.BeginWriteFrame(true, f, 0, FrameLen, tv, null, null) : v.BeginWriteFrame(true, fp, FrameLen, tv, null, null);
                        ar = owned == null ? a.BeginWriteBlock(b, 0, AudioBlock, ta, null, null) : a.BeginWriteBlock(bp, AudioBlock, ta, null, null);
                        pending.Add(() => { v.EndWriteFrame(vr); a.EndWriteBlock(ar); });
                        break;
                    case 2:
                        var tasks = owned == null
                            ? new[] { v.WriteFrameAsync(true, f, 0, FrameLen, tv), a.WriteBlockAsync(b, 0, AudioBlock, ta) }
                            : new[] { v.WriteFrameAsync(true, fp, FrameLen, tv), a.WriteBlockAsync(bp, AudioBlock, ta) };
                        pending.Add(() => Check(Task.WaitAll(tasks, 30000), "tasks"));
                        break;
                    default:
                        outcomes.Add(owned == null
                            ? v.TryBeginWriteFrame(true, f, 0, FrameLen, tv, WriteFlags.NoWait, null, null, out vr)
                            : v.TryBeginWriteFrame(true, fp, FrameLen, tv, WriteFlags.NoWait, null, null, out vr));
                        outcomes.Add(owned == null
                            ? a.TryWriteBlock(b, 0, AudioBlock, ta)
                            : a.TryWriteBlock(bp, AudioBlock, ta));
                        var u = owned == null ? a.TryWriteBlockAsync(b, 0, AudioBlock, ta) : a.TryWriteBlockAsync(bp, AudioBlock, ta);
                        outcomes.Add(u.Result);
                        var t = owned == null ? v.TryWriteFrameAsync(true, f, 0, FrameLen, tv) : v.TryWriteFrameAsync(true, fp, FrameLen, tv);
                        outcomes.Add(t.Result);
                        break;
                }
            }
            foreach (var end in pending) end();
            Equal("False,True,False,False", string.Join(",", outcomes), "slot 3 taken; audio at 125 ms, then again");
            Equal(4L, v.Stats.Chunks - v.Stats.EmptyFrames, "video frames");
            Equal(3L, v.Stats.EmptyFrames, "video empty frames: slots 2, 4, 5");
            Equal(3675L, a.Stats.SilenceSamples, "audio silence before the block at 100 ms");
        }
        return File.ReadAllBytes(path);
    }

    private static void PointerWritesIdentical()
    {
        var owned = new List<IntPtr>();
        try
        {
            const int n = 12;
            var reference = Reference("ptr-ref.avi", Enumerable.Range(0, n).ToList(), true);
            var path = OutPath("ptr.avi");
            using (var w = new AviWriter(path, Deterministic()))
            {
                var v = w.AddVideoStream(W, H, 32);
                var a = w.AddAudioStream(2, 44100, 16);
                var pending = new List<Action>();
                for (var i = 0; i < n; i++)
                {
                    var f = Unmanaged(Frame(i, FrameLen), owned);
                    var b = Unmanaged(Frame(1000 + i, AudioBlock), owned);
                    switch (i % 3)
                    {
                        case 0:
                            v.WriteFrame(true, f, FrameLen);
                            a.WriteBlock(b, AudioBlock);
                            break;
                        case 1:
                            var vr = v.BeginWriteFrame(true, f, FrameLen, null, null);
                            var ar = a.BeginWriteBlock(b, AudioBlock, null, null);
                            pending.Add(() => { v.EndWriteFrame(vr); a.EndWriteBlock(ar); });
                            break;
                        default:
                            var tasks = new[] { v.WriteFrameAsync(true, f, FrameLen), a.WriteBlockAsync(b, AudioBlock) };
                            pending.Add(() => Check(Task.WaitAll(tasks, 30000), "tasks"));
                            break;
                    }
                }
                foreach (var end in pending) end();
            }
            BytesEqual(reference, File.ReadAllBytes(path), "untimed: IntPtr vs byte[]");
            ExpectPackets(path, n, n);

            var fromArrays = TimedRecording("timed-arrays.avi", null);
            BytesEqual(fromArrays, TimedRecording("timed-pointers.avi", owned), "timed: IntPtr vs byte[]");
            Equal("0,3072|1,3072|3,3072|6,3072", string.Join("|", PacketLines(OutPath("timed-pointers.avi"), "v:0")), "timed packets");
        }
        finally
        {
            foreach (var p in owned) Marshal.FreeHGlobal(p);
        }
    }

    private static void TimingMisuse()
    {
        var path = OutPath("timing-misuse.avi");
        var mem = Marshal.AllocHGlobal(FrameLen);
        try
        {
            Marshal.Copy(new byte[FrameLen], 0, mem, FrameLen);
            var w = new AviWriter(path, Deterministic());
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            var raw = w.AddAudioStream(new AudioStreamOptions { Codec = AudioCodec.Raw, FormatTag = 1 });
            IAsyncResult r = null;
            // IntPtr.Zero with bytes and negative lengths: .NET's argument exceptions in every form.
            Throws<ArgumentNullException>(() => v.WriteFrame(true, IntPtr.Zero, FrameLen));
            Throws<ArgumentNullException>(() => v.BeginWriteFrame(true, IntPtr.Zero, FrameLen, null, null));
            Throws<ArgumentNullException>(() => v.WriteFrameAsync(true, IntPtr.Zero, FrameLen, Ms(0)));
            Throws<ArgumentNullException>(() => v.TryBeginWriteFrame(true, IntPtr.Zero, 1, Ms(0), WriteFlags.NoWait, null, null, out r));
            Throws<ArgumentNullException>(() => a.WriteBlock(IntPtr.Zero, AudioBlock));
            Throws<ArgumentNullException>(() => a.TryWriteBlockAsync(IntPtr.Zero, AudioBlock, Ms(0)));
            Throws<ArgumentOutOfRangeException>(() => v.WriteFrame(true, mem, -1));
            Throws<ArgumentOutOfRangeException>(() => v.WriteFrameAsync(true, mem, -1));
            Throws<ArgumentOutOfRangeException>(() => a.BeginWriteBlock(mem, -4, Ms(0), null, null));
            Throws<ArgumentOutOfRangeException>(() => a.TryWriteBlock(mem, int.MinValue, Ms(0)));
            Check(Throws<ArgumentException>(() => v.WriteFrame(true, mem, 100)).Message.Contains("3072 bytes"),
                "the library checks an IntPtr frame's length as an array's");
            // Capture times beyond 64-bit nanoseconds, unknown flags.
            var tooLate = TimeSpan.FromTicks(long.MaxValue / 100 + 1);
            Equal("captureTime", Throws<ArgumentOutOfRangeException>(() => v.WriteFrame(true, mem, FrameLen, tooLate)).ParamName, "param");
            Throws<ArgumentOutOfRangeException>(() => v.TryBeginWriteFrame(true, mem, FrameLen, TimeSpan.MinValue, WriteFlags.None, null, null, out r));
            Throws<ArgumentOutOfRangeException>(() => a.WriteBlockAsync(Frame(0, AudioBlock), 0, AudioBlock, TimeSpan.MaxValue));
            Throws<ArgumentOutOfRangeException>(() => v.TryWriteFrame(true, mem, FrameLen, Ms(0), (WriteFlags)1));
            Throws<NotSupportedException>(() => raw.WriteBlock(mem, AudioBlock, Ms(0)));
            Equal(0, w.PendingWrites, "nothing pending");
            Equal(0L, v.Stats.Chunks + v.Stats.Dropped, "nothing reached the video stream");

            // The largest capture time in range is taken; a frame and a block before it are dropped.
            var last = TimeSpan.FromTicks(long.MaxValue / 100);
            Check(v.TryWriteFrame(true, mem, FrameLen, last), "frame at the last representable time");
            Check(!v.TryWriteFrame(true, mem, FrameLen, last - TimeSpan.FromSeconds(1)), "before time zero: dropped");
            Check(!a.TryWriteBlock(mem, AudioBlock, last - TimeSpan.FromSeconds(1)), "block before time zero: dropped");
            a.WriteBlock(mem, AudioBlock);
            raw.WriteBlock(mem, AudioBlock);
            w.Close();

            Throws<ObjectDisposedException>(() => { var s = v.Stats; });
            Throws<ObjectDisposedException>(() => { var s = a.Stats; });
            Throws<ObjectDisposedException>(() => v.SkipFrames(1));
            Throws<ObjectDisposedException>(() => v.WriteFrame(true, mem, FrameLen, Ms(0)));
            Throws<ObjectDisposedException>(() => v.TryWriteFrame(true, mem, FrameLen, Ms(0)));
            Throws<ObjectDisposedException>(() => a.TryBeginWriteBlock(mem, AudioBlock, Ms(0), WriteFlags.NoWait, null, null, out r));
            Throws<ObjectDisposedException>(() => a.WriteBlockAsync(mem, AudioBlock));
        }
        finally
        {
            Marshal.FreeHGlobal(mem);
        }
        Equal("0,3072", string.Join("|", PacketLines(path, "v:0")), "ffprobe: the frame at the last time");
        Equal((long)AudioBlock, PacketBytes(path, "a:0"), "ffprobe: the PCM block");
        Equal((long)AudioBlock, PacketBytes(path, "a:1"), "ffprobe: the raw block");
    }

    private static void StopwatchConversion()
    {
        Equal(TimeSpan.FromSeconds(5), CaptureTime.FromStopwatchTimestamp(Stopwatch.Frequency * 5), "5 s of Stopwatch ticks");
        Func<long, long, long> ticks = (t, f) => CaptureTime.FromTimestamp(t, f).Ticks;
        Equal(1L, ticks(149, 1000000000), "149 ns");
        Equal(2L, ticks(150, 1000000000), "150 ns: halves up");
        Equal(-1L, ticks(-150, 1000000000), "-150 ns: halves up");
        Equal(-2L, ticks(-151, 1000000000), "-151 ns");
        Equal(92233720368547758L, ticks(long.MaxValue, 1000000000), "the largest timestamp at 1 GHz");
        Equal(long.MaxValue, ticks(long.MaxValue, TimeSpan.TicksPerSecond), "at 10 MHz a timestamp is ticks");
        Equal(3333333L, ticks(1, 3), "1/3 s");
        Equal(6666667L, ticks(2, 3), "2/3 s");
        // 2.4 GHz: timestamp * 10^7 needs 87 bits.
        Equal(38430716820228233L, ticks(long.MaxValue, 2400000000), "the largest timestamp at 2.4 GHz");
        Equal(38430716708138642L, ticks(long.MaxValue, 2400000007), "the largest timestamp at 2.400000007 GHz");
        Throws<ArgumentOutOfRangeException>(() => CaptureTime.FromTimestamp(long.MaxValue, 3579545));
        Throws<ArgumentOutOfRangeException>(() => CaptureTime.FromTimestamp(1, 0));
    }
}
