// Self-checking tests of the avikit .NET binding. One line per test, then "N passed, M failed";
// the exit code is non-zero when anything failed. Runs on Mono and on CoreCLR (same exe).
// Output files go to $AVIKIT_TEST_OUT (default: a temp folder); ffprobe must be on PATH, or under
// Wine be served through $AVIKIT_FFPROBE_BRIDGE (see RunFfprobe).
// The tests are split by concern over partial-class files AvikitTests.*.cs; this one has the
// list (Main runs every test) and the helpers the other files use; the runner and the checks are
// in bindings/dotnet/testing/Harness.cs, shared with the SharpAvi tests.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Avikit;
using static Harness;

internal static partial class AvikitTests
{
    private const int W = 32, H = 24;                 // 32-bit DIB: 3072 bytes per frame
    private const int FrameLen = W * H * 4;
    private const int AudioBlock = 735 * 4;           // 1/60 s of 16-bit stereo 44.1 kHz (ffmpeg
                                                      // splits PCM chunks over 4096 bytes into packets)
    private static string outDir;

    private static int Main()
    {
        outDir = Environment.GetEnvironmentVariable("AVIKIT_TEST_OUT");
        if (string.IsNullOrEmpty(outDir)) outDir = Path.Combine(Path.GetTempPath(), "avikit-dotnet-" + Process.GetCurrentProcess().Id);
        Directory.CreateDirectory(outDir);
        var runtime = Type.GetType("Mono.Runtime") != null ? "Mono" : "CoreCLR";
        Console.WriteLine("avikit " + AvikitLibrary.VersionString + " on " + runtime + " " + Environment.Version + ", output in " + outDir);

        Run("struct layouts match avikit.h", StructLayouts);
        Run("version", Version);
        Run("rational frame rates", Rationals);
        Run("sync, APM and Task writes give byte-identical files", SyncApmTaskIdentical);
        Run("APM callbacks, IAsyncResult members, EndWriteFrame", ApmCallbacks);
        Run("EndWriteFrame inside a callback for a pending write throws", EndInsideCallback);
        Run("Task continuations run off the worker thread", TaskContinuations);
        Run("CancellationToken cancels a queued write", Cancellation);
        Run("status codes map to exception types", StatusMappingTable);
        Run("native errors map to exceptions with the library message", ErrorMapping);
        Run("a failing Stream surfaces as IOException", FailingSink);
        Run("MemoryStream and FileStream sinks equal the file written by path", StreamSinks);
        Run("GC pressure with many pending writes", GcPressure);
        Run("MJPEG, uncompressed and H.264 encoding streams", EncodingStreams);
        Run("camera pixel formats: NV12, I420 and YUY2 input", CameraPixelFormats);
        Run("Ut Video and GRAY8: streams, and every bad option refused", UtVideoOptions);
        Run("FlushAsync and Flush", FlushAsync);
        Run("an exception thrown by a callback is rethrown by Close", CallbackException);
        Run("float 5.1 audio, INFO metadata and non-square pixels", FormatsAndMetadata);
        Run("timed frames: gaps become empty frames, a taken slot is dropped, SkipFrames", TimedFrames);
        Run("timed audio: silence for gaps, trimmed overlaps, jitter ignored", TimedAudio);
        Run("NoWait on a full queue answers false without waiting", NoWaitQueueFull);
        Run("IntPtr writes give the files byte[] writes give", PointerWritesIdentical);
        Run("timed and IntPtr misuse, stats after close", TimingMisuse);
        Run("Stopwatch timestamps convert exactly", StopwatchConversion);
        Run("durable checkpoints sync a FileStream; Durability.None never does", DurableCheckpoints);

        return Summary();
    }

    // ---- helpers (the runner and the checks are Harness's) ----------------------------------

    private static string OutPath(string name) { return Path.Combine(outDir, name); }

    private static byte[] Frame(int i, int len)
    {
        var b = new byte[len];
        for (var k = 0; k < len; k++) b[k] = (byte)(i * 31 + k * 7 + (k >> 8));
        return b;
    }

    private static AviWriterOptions Deterministic()
    {
        return new AviWriterOptions { FramesPerSecond = 30, CheckpointIntervalMs = 0 };
    }

    /// <summary>A seekable in-memory sink whose Write blocks while Gate is reset, so writes queue up
    /// behind it deterministically; Entered is set when a Write starts.</summary>
    private sealed class GatedStream : Stream
    {
        public readonly MemoryStream Inner = new MemoryStream();
        public readonly ManualResetEventSlim Gate = new ManualResetEventSlim(true);
        public readonly ManualResetEventSlim Entered = new ManualResetEventSlim(false);
        public long FailAtOrAfter = long.MaxValue;
        public bool Disposed;

        public override bool CanRead { get { return false; } }
        public override bool CanSeek { get { return true; } }
        public override bool CanWrite { get { return true; } }
        public override long Length { get { return Inner.Length; } }
        public override long Position { get { return Inner.Position; } set { Inner.Position = value; } }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) { return Inner.Seek(offset, origin); }
        public override void SetLength(long value) { Inner.SetLength(value); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Entered.Set();
            Gate.Wait();
            if (Inner.Position + count > FailAtOrAfter) throw new IOException("disk on fire (test)");
            Inner.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }

    /// <summary>The reference file: frames (and matching audio blocks) written synchronously by path.</summary>
    private static byte[] Reference(string name, IList<int> frameIds, bool audio, int len = FrameLen, int w = W, int h = H)
    {
        var path = OutPath(name);
        using (var writer = new AviWriter(path, Deterministic()))
        {
            var v = writer.AddVideoStream(w, h, 32);
            var a = audio ? writer.AddAudioStream(2, 44100, 16) : null;
            foreach (var i in frameIds)
            {
                v.WriteFrame(true, Frame(i, len), 0, len);
                if (a != null) a.WriteBlock(Frame(1000 + i, AudioBlock), 0, AudioBlock);
            }
        }
        return File.ReadAllBytes(path);
    }

    /// <summary>The reference recording begun as Tasks on `w` (a video and a matching audio stream), in
    /// the reference's order; the caller waits for them before the writer is disposed.</summary>
    private static Task[] BeginReferenceTasks(AviWriter w, IList<int> frameIds)
    {
        var v = w.AddVideoStream(W, H, 32);
        var a = w.AddAudioStream(2, 44100, 16);
        var tasks = new List<Task>();
        foreach (var i in frameIds)
        {
            tasks.Add(v.WriteFrameAsync(true, Frame(i, FrameLen), 0, FrameLen));
            tasks.Add(a.WriteBlockAsync(Frame(1000 + i, AudioBlock), 0, AudioBlock));
        }
        return tasks.ToArray();
    }
}
