// Self-checking tests of the avikit .NET binding. One line per test, then "N passed, M failed";
// the exit code is non-zero when anything failed. Runs on Mono and on CoreCLR (same exe).
// Output files go to $AVIKIT_TEST_OUT (default: a temp folder); ffprobe must be on PATH, or under
// Wine be served through $AVIKIT_FFPROBE_BRIDGE (see RunFfprobe).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Avikit;

internal static partial class AvikitTests
{
    private const int W = 32, H = 24;                 // 32-bit DIB: 3072 bytes per frame
    private const int FrameLen = W * H * 4;
    private const int AudioBlock = 735 * 4;           // 1/60 s of 16-bit stereo 44.1 kHz (ffmpeg
                                                      // splits PCM chunks over 4096 bytes into packets)
    private static string outDir;
    private static int passed, failed;

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
        Run("FlushAsync and Flush", FlushAsync);
        Run("an exception thrown by a callback is rethrown by Close", CallbackException);
        Run("float 5.1 audio, INFO metadata and non-square pixels", FormatsAndMetadata);
        Run("timed frames: gaps become empty frames, a taken slot is dropped, SkipFrames", TimedFrames);
        Run("timed audio: silence for gaps, trimmed overlaps, jitter ignored", TimedAudio);
        Run("NoWait on a full queue answers false without waiting", NoWaitQueueFull);
        Run("IntPtr writes give the files byte[] writes give", PointerWritesIdentical);
        Run("timed and IntPtr misuse, stats after close", TimingMisuse);
        Run("Stopwatch timestamps convert exactly", StopwatchConversion);

        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static void Run(string name, Action test)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            test();
            passed++;
            Console.WriteLine("ok   " + name + " (" + sw.ElapsedMilliseconds + " ms)");
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL " + name + ": " + e);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new Exception("check failed: " + what);
    }

    private static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new Exception("check failed: " + what + ": expected <" + expected + ">, got <" + actual + ">");
    }

    /// <summary>Runs action and returns the exception, which must be exactly of type T.</summary>
    private static T Throws<T>(Action action) where T : Exception
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            if (e.GetType() != typeof(T)) throw new Exception("expected " + typeof(T).Name + ", got " + e.GetType().Name, e);
            return (T)e;
        }
        throw new Exception("expected " + typeof(T).Name + ", nothing was thrown");
    }

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

    private static void BytesEqual(byte[] a, byte[] b, string what)
    {
        Check(a.Length == b.Length, what + ": lengths " + a.Length + " and " + b.Length);
        for (var i = 0; i < a.Length; i++)
            if (a[i] != b[i]) throw new Exception("check failed: " + what + ": first difference at byte " + i);
    }

    private sealed class StreamInfo
    {
        public string CodecName, CodecType, FrameRate;
        public int Packets;
    }

    [DllImport("kernel32.dll", EntryPoint = "wine_get_unix_file_name", CharSet = CharSet.Unicode)]
    private static extern IntPtr WineGetUnixFileName(string dosPath);
    [DllImport("kernel32.dll")] private static extern IntPtr GetProcessHeap();
    [DllImport("kernel32.dll")] private static extern bool HeapFree(IntPtr heap, uint flags, IntPtr mem);

    /// <summary>The Unix path Wine maps a Windows path to.</summary>
    private static string WineUnixPath(string path)
    {
        var unix = WineGetUnixFileName(Path.GetFullPath(path));
        Check(unix != IntPtr.Zero, "wine_get_unix_file_name(" + path + ")");
        var bytes = new List<byte>();
        for (var i = 0; Marshal.ReadByte(unix, i) != 0; i++) bytes.Add(Marshal.ReadByte(unix, i));
        HeapFree(GetProcessHeap(), 0, unix);
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Runs ffprobe on `path` with `args` before it; returns its exit code. Under Wine,
    /// which starts a Linux program without a process handle (so no output, no exit code), through
    /// the folder $AVIKIT_FFPROBE_BRIDGE: a request file of arguments (the path as Unix path),
    /// answered by scripts/windows.sh running the Linux ffprobe.</summary>
    private static int RunFfprobe(string args, string path, out string stdout, out string stderr)
    {
        var bridge = Environment.GetEnvironmentVariable("AVIKIT_FFPROBE_BRIDGE");
        if (!string.IsNullOrEmpty(bridge))
        {
            var request = Path.Combine(bridge, Guid.NewGuid().ToString("N"));
            var lines = args.Split(' ').Concat(new[] { WineUnixPath(path) });
            File.WriteAllText(request + ".tmp", string.Join("\n", lines) + "\n");
            File.Move(request + ".tmp", request + ".req");
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!File.Exists(request + ".done"))
            {
                Check(DateTime.UtcNow < deadline, "no answer from the ffprobe bridge in " + bridge);
                Thread.Sleep(10);
            }
            stdout = File.ReadAllText(request + ".out");
            stderr = File.ReadAllText(request + ".err");
            return int.Parse(File.ReadAllText(request + ".done").Trim());
        }
        var psi = new ProcessStartInfo("ffprobe", args + " \"" + path + "\"")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using (var p = Process.Start(psi))
        {
            var err = p.StandardError.ReadToEndAsync();
            stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            stderr = err.Result;
            return p.ExitCode;
        }
    }

    /// <summary>ffprobe -count_packets: one entry per stream; fails on any ffprobe error.</summary>
    private static List<StreamInfo> Probe(string path)
    {
        string stdout, stderr;
        var rc = RunFfprobe(
            "-v error -count_packets -show_entries stream=codec_name,codec_type,r_frame_rate,nb_read_packets " +
            "-of default=noprint_wrappers=1", path, out stdout, out stderr);
        Check(rc == 0 && stderr.Trim().Length == 0, "ffprobe " + path + " exit " + rc + ": " + stderr);
        var list = new List<StreamInfo>();
        foreach (var line in stdout.Split('\n'))
        {
            var eq = line.IndexOf('=');
            if (eq < 0) continue;
            var key = line.Substring(0, eq);
            var value = line.Substring(eq + 1).Trim();
            if (key == "codec_name") list.Add(new StreamInfo());
            var s = list[list.Count - 1];
            if (key == "codec_name") s.CodecName = value;
            else if (key == "codec_type") s.CodecType = value;
            else if (key == "r_frame_rate") s.FrameRate = value;
            else if (key == "nb_read_packets") s.Packets = value == "N/A" ? 0 : int.Parse(value); // N/A: no chunk
        }
        return list;
    }

    private static void ExpectPackets(string path, int video, int audio)
    {
        var streams = Probe(path);
        var v = streams.Where(s => s.CodecType == "video").Sum(s => s.Packets);
        var a = streams.Where(s => s.CodecType == "audio").Sum(s => s.Packets);
        Equal(video, v, "ffprobe video packets of " + Path.GetFileName(path));
        Equal(audio, a, "ffprobe audio packets of " + Path.GetFileName(path));
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

    // ---- tests ------------------------------------------------------------------------------

    private static void StructLayouts()
    {
        var buf = Marshal.AllocHGlobal(512);
        try
        {
            Action<Action<IntPtr>, Type, string> native = (init, type, name) =>
            {
                for (var i = 0; i < 512; i++) Marshal.WriteByte(buf, i, 0xAA);
                init(buf);
                Equal(Marshal.SizeOf(type), Marshal.ReadInt32(buf), name + " struct_size");
            };
            native(p => Native.avk_writer_options_init(p), typeof(WriterOptionsNative), "avk_writer_options");
            native(p => Native.avk_video_stream_options_init(p), typeof(VideoStreamOptionsNative), "avk_video_stream_options");
            native(p => Native.avk_audio_stream_options_init(p), typeof(AudioStreamOptionsNative), "avk_audio_stream_options");

            // The defaults the native init writes equal the managed option defaults.
            Native.avk_writer_options_init(buf);
            var wo = (WriterOptionsNative)Marshal.PtrToStructure(buf, typeof(WriterOptionsNative));
            var mo = new AviWriterOptions().ToNative();
            Equal(wo.FrameRateNum, mo.FrameRateNum, "default frame_rate_num");
            Equal(wo.FrameRateDen, mo.FrameRateDen, "default frame_rate_den");
            Equal(wo.Flags, mo.Flags, "default flags");
            Equal(wo.CheckpointIntervalMs, mo.CheckpointIntervalMs, "default checkpoint_interval_ms");
            Equal(wo.SuperIndexCapacity, mo.SuperIndexCapacity, "default super_index_capacity");
            Native.avk_video_stream_options_init(buf);
            var vo = (VideoStreamOptionsNative)Marshal.PtrToStructure(buf, typeof(VideoStreamOptionsNative));
            Equal(vo.BitsPerPixel, 32u, "default bits_per_pixel");
            Equal(vo.Quality, 75u, "default quality");
            Native.avk_audio_stream_options_init(buf);
            var ao = (AudioStreamOptionsNative)Marshal.PtrToStructure(buf, typeof(AudioStreamOptionsNative));
            Equal(ao.Codec, 1, "default audio codec");
            Equal(ao.Channels, 2u, "default channels");
            Equal(ao.BitrateKbps, 160u, "default bitrate");
        }
        finally
        {
            Marshal.FreeHGlobal(buf);
        }
        if (IntPtr.Size == 8)
        {
            // Offsets of include/avikit.h on LP64 (pointer and size_t 8 bytes, u64 8-aligned).
            Func<Type, string, int> off = (t, f) => (int)Marshal.OffsetOf(t, f);
            Equal(24, off(typeof(WriterOptionsNative), "MaxQueuedBytes"), "max_queued_bytes offset");
            Equal(32, off(typeof(WriterOptionsNative), "EncoderThreads"), "encoder_threads offset");
            Equal(40, off(typeof(WriterOptionsNative), "SuperIndexCapacity"), "super_index_capacity offset");
            Equal(48, Marshal.SizeOf(typeof(WriterOptionsNative)), "sizeof(avk_writer_options)");
            Equal(40, off(typeof(VideoStreamOptionsNative), "Name"), "video name offset");
            Equal(32, off(typeof(AudioStreamOptionsNative), "FormatExtra"), "format_extra offset");
            Equal(40, off(typeof(AudioStreamOptionsNative), "FormatExtraLen"), "format_extra_len offset");
            Equal(48, off(typeof(AudioStreamOptionsNative), "BitrateKbps"), "bitrate_kbps offset");
            Equal(56, off(typeof(AudioStreamOptionsNative), "Name"), "audio name offset");
            Equal(40, Marshal.SizeOf(typeof(IoNative)), "sizeof(avk_io)");
            Equal(8, off(typeof(IoNative), "User"), "avk_io.user offset");
            Equal(32, off(typeof(IoNative), "Close"), "avk_io.close offset");
            Equal(40, Marshal.SizeOf(typeof(FileReportNative)), "sizeof(avk_file_report)");
            Equal(32, off(typeof(FileReportNative), "RiffCount"), "riff_count offset");
        }
        // avk_stream_stats: u32 and seven 8-aligned u64 on every supported platform.
        Func<string, int> statsOff = f => (int)Marshal.OffsetOf(typeof(StreamStatsNative), f);
        Equal(64, Marshal.SizeOf(typeof(StreamStatsNative)), "sizeof(avk_stream_stats)");
        Equal(8, statsOff("Chunks"), "chunks offset");
        Equal(56, statsOff("TrimmedSamples"), "trimmed_samples offset");
    }

    private static void Version()
    {
        var v = AvikitLibrary.Version;
        Equal(v.Major + "." + v.Minor + "." + v.Build, AvikitLibrary.VersionString, "version string");
    }

    private static void Rationals()
    {
        Equal(new Rational(2997, 100), Rational.FromDecimal(29.97m), "29.97");
        Equal("2997/100", ((Rational)29.97m).ToString(), "29.97 text");
        Equal(new Rational(25, 1), (Rational)25, "int");
        Equal("30000/1001", Rational.Ntsc.ToString(), "NTSC");
        Check(new Rational(60, 2) == 30, "60/2 == 30");
        var path = OutPath("ntsc.avi");
        using (var w = new AviWriter(path, new AviWriterOptions { FramesPerSecond = Rational.Ntsc }))
        {
            Equal(Rational.Ntsc, w.FramesPerSecond, "writer rate");
            w.AddVideoStream(W, H).WriteFrame(true, Frame(0, FrameLen));
        }
        Equal("30000/1001", Probe(path)[0].FrameRate, "ffprobe r_frame_rate");
    }

    private static void SyncApmTaskIdentical()
    {
        const int n = 40;
        var ids = Enumerable.Range(0, n).ToList();
        var reference = Reference("sync.avi", ids, true);

        // APM: two writes in flight per stream, ended in order.
        var apmPath = OutPath("apm.avi");
        using (var w = new AviWriter(apmPath, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            var pending = new Queue<Action>();
            foreach (var i in ids)
            {
                var vr = v.BeginWriteFrame(true, Frame(i, FrameLen), 0, FrameLen, null, null);
                var ar = a.BeginWriteBlock(Frame(1000 + i, AudioBlock), 0, AudioBlock, null, null);
                pending.Enqueue(() => v.EndWriteFrame(vr));
                pending.Enqueue(() => a.EndWriteBlock(ar));
                while (pending.Count > 4) pending.Dequeue()();
            }
            while (pending.Count > 0) pending.Dequeue()();
            Equal(n, v.FramesWritten, "FramesWritten");
            Equal(n, a.BlocksWritten, "BlocksWritten");
        }
        BytesEqual(reference, File.ReadAllBytes(apmPath), "APM file vs sync file");

        // Task: everything begun at once, awaited together.
        var taskPath = OutPath("task.avi");
        using (var w = new AviWriter(taskPath, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            var tasks = new List<Task>();
            foreach (var i in ids)
            {
                tasks.Add(v.WriteFrameAsync(true, Frame(i, FrameLen), 0, FrameLen));
                tasks.Add(a.WriteBlockAsync(Frame(1000 + i, AudioBlock), 0, AudioBlock));
            }
            Check(Task.WaitAll(tasks.ToArray(), 30000), "tasks completed");
            Equal(0, w.PendingWrites, "PendingWrites after all tasks");
        }
        BytesEqual(reference, File.ReadAllBytes(taskPath), "Task file vs sync file");

        ExpectPackets(OutPath("sync.avi"), n, n);
        var report = AviFile.Inspect(taskPath);
        Equal(2, report.StreamCount, "inspect streams");
        Equal((long)n, report.VideoFrames, "inspect video frames");
        Equal((long)n, report.AudioChunks, "inspect audio chunks");
    }

    private static void ApmCallbacks()
    {
        var path = OutPath("callbacks.avi");
        const int n = 20;
        var calls = 0;
        var order = new List<int>();
        var errors = new List<string>();
        var allDone = new ManualResetEventSlim(false);
        var results = new IAsyncResult[n];
        using (var w = new AviWriter(path, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var v2 = w.AddVideoStream(W, H, 32);
            for (var i = 0; i < n; i++)
            {
                results[i] = v.BeginWriteFrame(true, Frame(i, FrameLen), 0, FrameLen, ar =>
                {
                    // Runs on the worker after the write completed, in begin order.
                    if (!ar.IsCompleted) errors.Add("IsCompleted false inside callback");
                    if (ar.CompletedSynchronously) errors.Add("CompletedSynchronously");
                    if (!ar.AsyncWaitHandle.WaitOne(0)) errors.Add("wait handle not set inside callback");
                    order.Add((int)ar.AsyncState);
                    if ((int)ar.AsyncState % 2 == 0) v.EndWriteFrame(ar); // End inside the own callback returns at once
                    if (Interlocked.Increment(ref calls) == n) allDone.Set();
                }, i);
                Check(!results[i].CompletedSynchronously, "CompletedSynchronously after begin");
                Equal(i, (int)results[i].AsyncState, "AsyncState");
            }
            Check(results[n - 1].AsyncWaitHandle.WaitOne(30000), "AsyncWaitHandle signaled");
            Check(allDone.Wait(30000), "every callback fired");
            Check(results.All(r => r.IsCompleted), "all IsCompleted");
            for (var i = 1; i < n; i += 2) v.EndWriteFrame(results[i]);
            Equal("", string.Join("; ", errors), "errors seen in callbacks");
            Equal(string.Join(",", Enumerable.Range(0, n)), string.Join(",", order), "callback order");

            var again = Throws<InvalidOperationException>(() => v.EndWriteFrame(results[0]));
            Check(again.Message.Contains("already"), "second End message: " + again.Message);
            Throws<InvalidOperationException>(() => v.EndWriteFrame(results[1]));
            var foreign = v2.BeginWriteFrame(true, Frame(0, FrameLen), 0, FrameLen, null, null);
            Throws<ArgumentException>(() => v.EndWriteFrame(foreign));
            v2.EndWriteFrame(foreign); // still usable by its own stream
            Throws<ArgumentNullException>(() => v.EndWriteFrame(null));
        }
        ExpectPackets(path, n + 1, 0);
    }

    private static void EndInsideCallback()
    {
        var path = OutPath("end-inside.avi");
        using (var w = new AviWriter(path, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            IAsyncResult second = null;
            Exception seen = null, closeSeen = null;
            var done = new ManualResetEventSlim(false);
            var frame2 = Frame(2, FrameLen);
            var first = v.BeginWriteFrame(true, Frame(1, FrameLen), 0, FrameLen, ar =>
            {
                try
                {
                    second = v.BeginWriteFrame(true, frame2, 0, FrameLen, null, null); // begin only queues here
                    try { v.EndWriteFrame(second); } catch (Exception e) { seen = e; }
                    try { w.Close(); } catch (Exception e) { closeSeen = e; }
                }
                finally
                {
                    done.Set();
                }
            }, null);
            Check(done.Wait(30000), "callback ran");
            Check(seen is InvalidOperationException && seen.Message.Contains("deadlock"), "End inside callback: " + seen);
            Check(closeSeen is InvalidOperationException, "Close inside callback: " + closeSeen);
            Equal(AvikitStatus.WouldDeadlock, (AvikitStatus)closeSeen.Data["Avikit.Status"], "Close status");
            v.EndWriteFrame(second); // from outside it waits and succeeds
            v.EndWriteFrame(first);
        }
        ExpectPackets(path, 2, 0);
    }

    private static void TaskContinuations()
    {
        var path = OutPath("continuations.avi");
        using (var w = new AviWriter(path, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var worker = -1;
            var probe = v.BeginWriteFrame(true, Frame(0, FrameLen), 0, FrameLen,
                ar => Volatile.Write(ref worker, Thread.CurrentThread.ManagedThreadId), null);
            v.EndWriteFrame(probe);
            SpinWait.SpinUntil(() => Volatile.Read(ref worker) != -1, 10000);
            Check(worker != -1 && worker != Thread.CurrentThread.ManagedThreadId, "callback ran on a worker thread");

            var threads = new List<int>();
            var chain = new List<Task>();
            for (var i = 1; i <= 10; i++)
            {
                chain.Add(v.WriteFrameAsync(true, Frame(i, FrameLen), 0, FrameLen).ContinueWith(t =>
                {
                    lock (threads) threads.Add(Thread.CurrentThread.ManagedThreadId);
                    if (t.Status != TaskStatus.RanToCompletion) throw new Exception("write task " + t.Status);
                }, TaskContinuationOptions.ExecuteSynchronously));
            }
            Check(Task.WaitAll(chain.ToArray(), 30000), "continuations ran");
            Check(threads.Count == 10 && !threads.Contains(worker), "no continuation ran inline on the worker thread");

            var awaited = WriteSeveral(v, 11, 5);
            Check(awaited.Wait(30000), "async method finished");
            Equal(5, awaited.Result, "awaited writes");
            Check(w.FlushAsync().Wait(30000), "flush");
        }
        ExpectPackets(path, 16, 0);
    }

    private static async Task<int> WriteSeveral(AviVideoStream v, int first, int count)
    {
        var done = 0;
        for (var i = first; i < first + count; i++)
        {
            await v.WriteFrameAsync(true, Frame(i, FrameLen), 0, FrameLen);
            done++;
        }
        return done;
    }

    private static void Cancellation()
    {
        var sink = new GatedStream();
        using (var w = new AviWriter(sink, true, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            v.WriteFrame(true, Frame(0, FrameLen), 0, FrameLen);

            sink.Gate.Reset();
            sink.Entered.Reset();
            var t1 = v.WriteFrameAsync(true, Frame(1, FrameLen), 0, FrameLen);
            Check(sink.Entered.Wait(10000), "worker is blocked writing frame 1");
            var cts = new CancellationTokenSource();
            var t2 = v.WriteFrameAsync(true, Frame(2, FrameLen), 0, FrameLen, cts.Token);
            var t3 = v.WriteFrameAsync(true, Frame(3, FrameLen), 0, FrameLen, cts.Token);
            var t4 = v.WriteFrameAsync(true, Frame(4, FrameLen), 0, FrameLen);
            var keep = new CancellationTokenSource();
            var t5 = v.WriteFrameAsync(true, Frame(5, FrameLen), 0, FrameLen, keep.Token);
            Equal(5, w.PendingWrites, "pending writes behind the blocked one");
            cts.Cancel();
            Check(!t2.IsCompleted && !t3.IsCompleted, "canceled writes complete in their place in the queue");

            var pre = new CancellationTokenSource();
            pre.Cancel();
            var t6 = v.WriteFrameAsync(true, Frame(6, FrameLen), 0, FrameLen, pre.Token);
            Check(t6.IsCanceled, "an already canceled token gives a canceled task at once");
            Equal(5, w.PendingWrites, "nothing queued for an already canceled token");

            sink.Gate.Set();
            Check(Task.WhenAll(t1, t4, t5).Wait(30000), "the other writes succeed");
            try
            {
                t3.Wait(30000);
                throw new Exception("t3 did not fail");
            }
            catch (AggregateException e)
            {
                Check(e.InnerException is TaskCanceledException, "t3 exception: " + e.InnerException);
            }
            Check(t2.IsCanceled && t3.IsCanceled, "t2 and t3 canceled");
            Check(t2.Exception == null, "a canceled task has no exception");
            keep.Cancel(); // after completion: no effect
            Equal(TaskStatus.RanToCompletion, t5.Status, "t5 status");
            Equal(0, w.PendingWrites, "nothing pending");
        }
        Check(!sink.Disposed, "leaveOpen kept the stream open");
        var reference = Reference("cancel-ref.avi", new[] { 0, 1, 4, 5 }, false);
        BytesEqual(reference, sink.Inner.ToArray(), "canceled frames were not written");
        var path = OutPath("cancel.avi");
        File.WriteAllBytes(path, sink.Inner.ToArray());
        ExpectPackets(path, 4, 0);
    }

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
            try
            {
                w2.AddMp3AudioStream(2, 44100, 128);
                Console.WriteLine("     (MP3 encoding is available here)");
            }
            catch (NotSupportedException ns)
            {
                Equal(AvikitStatus.Unsupported, (AvikitStatus)ns.Data["Avikit.Status"], "MP3 status");
            }
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

    private static void StreamSinks()
    {
        var ids = Enumerable.Range(0, 12).ToList();
        var reference = Reference("by-path.avi", ids, true);

        var ms = new MemoryStream();
        using (var w = new AviWriter(ms, leaveOpen: true, options: Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            var tasks = new List<Task>();
            foreach (var i in ids)
            {
                tasks.Add(v.WriteFrameAsync(true, Frame(i, FrameLen), 0, FrameLen));
                tasks.Add(a.WriteBlockAsync(Frame(1000 + i, AudioBlock), 0, AudioBlock));
            }
            Task.WaitAll(tasks.ToArray());
        }
        Check(ms.CanWrite, "leaveOpen: MemoryStream still open");
        BytesEqual(reference, ms.ToArray(), "MemoryStream vs path");

        var fsPath = OutPath("filestream.avi");
        var fs = new FileStream(fsPath, FileMode.Create, FileAccess.ReadWrite);
        using (var w = new AviWriter(fs, false, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            foreach (var i in ids)
            {
                v.WriteFrame(true, Frame(i, FrameLen), 0, FrameLen);
                a.EndWriteBlock(a.BeginWriteBlock(Frame(1000 + i, AudioBlock), 0, AudioBlock, null, null));
            }
        }
        Check(!fs.CanWrite, "leaveOpen false: FileStream closed by Close");
        BytesEqual(reference, File.ReadAllBytes(fsPath), "FileStream vs path");
        ExpectPackets(fsPath, ids.Count, ids.Count);

        Throws<ArgumentException>(() => new AviWriter(new MemoryStream(new byte[10], false)));
    }

    private static void GcPressure()
    {
        // Small frames live in the movable young generation: an unpinned buffer would move.
        const int w = 16, h = 8, len = w * h * 4;
        const int n = 300;
        var sink = new GatedStream();
        var callbacks = 0;
        using (var writer = new AviWriter(sink, true, Deterministic()))
        {
            var v = writer.AddVideoStream(w, h, 32);
            v.WriteFrame(true, Frame(0, len), 0, len);
            sink.Gate.Reset();
            var results = new List<IAsyncResult>();
            var tasks = new List<Task>();
            var garbage = new List<byte[]>();
            for (var i = 1; i <= n; i++)
            {
                if (i % 2 == 0) tasks.Add(v.WriteFrameAsync(true, Frame(i, len), 0, len));
                else results.Add(v.BeginWriteFrame(true, Frame(i, len), 0, len, ar => Interlocked.Increment(ref callbacks), null));
                for (var g = 0; g < 20; g++) garbage.Add(new byte[100 + g]);
                if (i % 25 == 0)
                {
                    garbage.Clear();
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                }
            }
            Check(writer.PendingWrites >= n - 1, "writes stayed pending during the collections: " + writer.PendingWrites);
            sink.Gate.Set();
            foreach (var r in results) v.EndWriteFrame(r);
            Check(Task.WaitAll(tasks.ToArray(), 30000), "tasks completed");
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Equal(n / 2, Volatile.Read(ref callbacks), "callbacks");
        var reference = Reference("gc-ref.avi", Enumerable.Range(0, n + 1).ToList(), false, len, w, h);
        BytesEqual(reference, sink.Inner.ToArray(), "pinned buffers written intact");
        var path = OutPath("gc.avi");
        File.WriteAllBytes(path, sink.Inner.ToArray());
        ExpectPackets(path, n + 1, 0);
    }

    private static void EncodingStreams()
    {
        const int w = 64, h = 48, n = 15;
        var path = OutPath("encoding.avi");
        using (var writer = new AviWriter(path, new AviWriterOptions { FramesPerSecond = 25 }))
        {
            var mjpeg = writer.AddMjpegVideoStream(w, h, 80, PixelFormat.Bgra32, name: "mjpeg");
            var dib = writer.AddUncompressedVideoStream(w, h, PixelFormat.Rgb24, 24, name: "dib");
            // The library the tests build has every default codec, H.264 included.
            var h264 = writer.AddVideoStream(new VideoStreamOptions
            {
                Width = w, Height = h, Codec = VideoCodec.H264, InputFormat = PixelFormat.Bgra32,
                KeyframeInterval = 5, Name = "h264",
            });
            var tasks = new List<Task>();
            for (var i = 0; i < n; i++)
            {
                tasks.Add(mjpeg.WriteFrameAsync(true, Frame(i, w * h * 4), 0, w * h * 4));
                tasks.Add(dib.WriteFrameAsync(false, Frame(i, w * h * 3), 0, w * h * 3));
                tasks.Add(h264.WriteFrameAsync(false, Frame(i, w * h * 4), 0, w * h * 4));
            }
            Check(Task.WaitAll(tasks.ToArray(), 60000), "encoded");
            Equal(VideoCodec.Mjpeg, mjpeg.Codec, "codec property");
            Equal(VideoCodec.H264, h264.Codec, "H.264 codec property");
            Equal("dib", writer.Streams[1].Name, "stream name");
        }
        var streams = Probe(path);
        Equal(3, streams.Count, "three streams");
        Equal("mjpeg", streams[0].CodecName, "first codec");
        Equal("rawvideo", streams[1].CodecName, "second codec");
        Equal("h264", streams[2].CodecName, "third codec");
        Equal(n, streams[0].Packets, "mjpeg packets");
        Equal(n, streams[1].Packets, "dib packets");
        Equal(n, streams[2].Packets, "h264 packets");
    }

    /// <summary>ffprobe's key=value lines for <paramref name="entries"/> (-show_entries syntax).</summary>
    private static List<string> ProbeValues(string path, string entries)
    {
        string stdout, stderr;
        var rc = RunFfprobe("-v error -show_entries " + entries + " -of default=noprint_wrappers=1",
            path, out stdout, out stderr);
        Check(rc == 0 && stderr.Trim().Length == 0, "ffprobe " + path + " exit " + rc + ": " + stderr);
        return stdout.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
    }

    private static void FormatsAndMetadata()
    {
        const int w = 64, h = 48, n = 5, samples = 1600;
        var path = OutPath("formats.avi");
        using (var writer = new AviWriter(path, Deterministic()))
        {
            writer.Title = "Titre é — .NET";
            writer.SetInfo("IART", "avikit .NET tests");
            Throws<ArgumentException>(() => writer.SetInfo("name", "x"));
            var v = writer.AddVideoStream(new VideoStreamOptions
            {
                Width = w, Height = h, BitsPerPixel = 32, PixelAspect = new Rational(4, 3),
            });
            Throws<ArgumentException>(() => writer.AddAudioStream(new AudioStreamOptions
            {
                Codec = AudioCodec.Float, Channels = 2, BitsPerSample = 32, ChannelMask = ChannelMask.Surround51,
            }));
            var a = writer.AddAudioStream(new AudioStreamOptions
            {
                Codec = AudioCodec.Float, Channels = 6, SampleRate = 48000, BitsPerSample = 32,
                ChannelMask = ChannelMask.Surround51,
            });
            var block = new byte[samples * 6 * 4];
            for (var i = 0; i < n; i++)
            {
                v.WriteFrame(true, Frame(i, w * h * 4), 0, w * h * 4);
                a.WriteBlock(block, 0, block.Length);
            }
            Throws<InvalidOperationException>(() => writer.SetInfo("ICMT", "late"));
        }
        var values = ProbeValues(path, "stream=codec_name,channel_layout,sample_aspect_ratio:format_tags=title,artist");
        Check(values.Contains("sample_aspect_ratio=4:3"), "4:3 pixels: " + string.Join(" ", values));
        Check(values.Contains("codec_name=pcm_f32le"), "float audio");
        Check(values.Contains("channel_layout=5.1"), "5.1 layout");
        Check(values.Contains("TAG:title=Titre é — .NET"), "UTF-8 title");
        Check(values.Contains("TAG:artist=avikit .NET tests"), "artist");
        Equal(n, Probe(path)[0].Packets, "video packets");
    }

    private static void CameraPixelFormats()
    {
        const int w = 64, h = 48, n = 5;
        const int nv12Len = w * h * 3 / 2, i420Stride = 71, yuy2Len = w * h * 2;
        // I420 at an odd padded stride: Y rows of 71 bytes, U and V rows of 35.
        const int i420Len = i420Stride * h + 2 * (i420Stride / 2) * (h / 2);
        var path = OutPath("camera.avi");
        using (var writer = new AviWriter(path, Deterministic()))
        {
            Throws<ArgumentException>(() => writer.AddMjpegVideoStream(w + 1, h, 80, PixelFormat.Nv12));
            Throws<ArgumentException>(() => writer.AddUncompressedVideoStream(w, h, PixelFormat.Yuy2, 24, -w * 2));
            var mjpeg = writer.AddMjpegVideoStream(w, h, 80, PixelFormat.Nv12);
            var dib = writer.AddUncompressedVideoStream(w, h, PixelFormat.I420, 24, i420Stride);
            var h264 = writer.AddVideoStream(new VideoStreamOptions
            {
                Width = w, Height = h, Codec = VideoCodec.H264, InputFormat = PixelFormat.Yuy2,
            });
            Throws<ArgumentException>(() => mjpeg.WriteFrame(true, Frame(0, nv12Len + 1)));
            Throws<ArgumentException>(() => dib.WriteFrame(true, Frame(0, i420Stride * h * 3 / 2)));
            for (var i = 0; i < n; i++)
            {
                mjpeg.WriteFrame(true, Frame(i, nv12Len));
                dib.WriteFrame(true, Frame(i, i420Len));
                h264.WriteFrame(true, Frame(i, yuy2Len));
            }
        }
        var streams = Probe(path);
        Equal(3, streams.Count, "three streams");
        Equal("mjpeg", streams[0].CodecName, "NV12 into MJPEG");
        Equal("rawvideo", streams[1].CodecName, "I420 into a DIB");
        Equal("h264", streams[2].CodecName, "YUY2 into H.264");
        Check(streams.All(s => s.Packets == n), "every frame written");
    }

    private static void FlushAsync()
    {
        var sink = new GatedStream();
        using (var w = new AviWriter(sink, true, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var idle = w.FlushAsync();
            Equal(TaskStatus.RanToCompletion, idle.Status, "nothing pending: completed task");
            v.WriteFrame(true, Frame(0, FrameLen), 0, FrameLen);
            w.Flush();
            w.Flush(durable: true);

            sink.Gate.Reset();
            var write = v.WriteFrameAsync(true, Frame(1, FrameLen), 0, FrameLen);
            var flush = w.FlushAsync();
            Check(!flush.Wait(200), "flush waits for the pending write");
            sink.Gate.Set();
            Check(flush.Wait(30000) && write.IsCompleted, "flush completed after the write");
            Equal(TaskStatus.RanToCompletion, w.FlushAsync().Status, "idle again");
        }
        var path = OutPath("flush.avi");
        File.WriteAllBytes(path, sink.Inner.ToArray());
        ExpectPackets(path, 2, 0);
    }

    private sealed class CallbackBoom : Exception
    {
        public CallbackBoom() : base("boom from a callback") { }
    }

    private static void CallbackException()
    {
        var path = OutPath("callback-throws.avi");
        var w = new AviWriter(path, Deterministic());
        var v = w.AddVideoStream(W, H, 32);
        var r = v.BeginWriteFrame(true, Frame(0, FrameLen), 0, FrameLen, ar => { throw new CallbackBoom(); }, null);
        v.EndWriteFrame(r);
        v.WriteFrame(true, Frame(1, FrameLen), 0, FrameLen); // the worker kept going
        Throws<CallbackBoom>(() => w.Close());
        w.Close();
        ExpectPackets(path, 2, 0);
    }

    // ---- capture timing, unmanaged buffers -----------------------------------------------------

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

    /// <summary>ffprobe's "pts,size" per packet of one stream. Readers skip empty frames, so they
    /// show as gaps in pts.</summary>
    private static List<string> PacketLines(string path, string stream)
    {
        string stdout, stderr;
        var rc = RunFfprobe("-v error -select_streams " + stream + " -show_entries packet=pts,size -of csv=p=0",
            path, out stdout, out stderr);
        Check(rc == 0 && stderr.Trim().Length == 0, "ffprobe " + path + " exit " + rc + ": " + stderr);
        return stdout.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
    }

    /// <summary>The payload bytes of one stream's packets (ffmpeg splits PCM chunks into packets
    /// as it likes, so audio is compared by bytes).</summary>
    private static long PacketBytes(string path, string stream)
    {
        return PacketLines(path, stream).Sum(l => long.Parse(l.Split(',')[1]));
    }
}
