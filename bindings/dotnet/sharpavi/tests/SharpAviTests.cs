// Self-checking tests of Avikit.SharpAvi, the SharpAvi-compatible surface. One line per test, then
// "N passed, M failed"; the exit code is non-zero when anything failed. Runs on Mono and CoreCLR
// (Linux and Wine). Output files go to $AVIKIT_TEST_OUT (default: a temp folder). Files are read
// back with avikit's own inspector and by parsing their headers (no ffprobe here: the scripts
// check the samples' files with ffprobe).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SharpAvi;
using SharpAvi.Codecs;
using SharpAvi.Output;
using SharpAvi.Utilities;
using static Harness;

internal static partial class SharpAviTests
{
    private const int W = 64, H = 48;
    private const int Frames = 40;
    private const int Block = 1470 * 4;               // 1/30 s of 16-bit stereo 44.1 kHz
    private static string outDir;
    private static bool lame;                          // avikit found LAME (not under Wine here)

    private static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "--unclosed")
        {
            // Writers left open at exit, one on a path and one on a Stream (the script checks that
            // the process ends and that both files were finalized): code that forgets Close.
            var byPath = new AviWriter(args[1]);
            var onStream = new AviWriter(new FileStream(args[2], FileMode.Create, FileAccess.ReadWrite));
            foreach (var w in new[] { byPath, onStream })
            {
                var v = w.AddVideoStream(8, 8);
                for (var i = 0; i < 3; i++) v.WriteFrame(true, new byte[256], 0, 256);
            }
            return 0;
        }

        outDir = Environment.GetEnvironmentVariable("AVIKIT_TEST_OUT");
        if (string.IsNullOrEmpty(outDir)) outDir = Path.Combine(Path.GetTempPath(), "avikit-sharpavi-" + Process.GetCurrentProcess().Id);
        Directory.CreateDirectory(outDir);
        var runtime = Type.GetType("Mono.Runtime") != null ? "Mono" : "CoreCLR";
        Console.WriteLine("Avikit.SharpAvi on avikit " + Avikit.AvikitLibrary.VersionString + ", " + runtime + " " + Environment.Version + ", output in " + outDir);

        try
        {
            new Mp3LameAudioEncoder(1, 44100, 64).Dispose();
            lame = true;
        }
        catch (NotSupportedException e)
        {
            Console.WriteLine("(no LAME here: the MP3 checks expect NotSupportedException: " + e.Message + ")");
        }

        Run("MJPEG + PCM through SharpAvi's API is byte-identical to Avikit.Net", MjpegPcmIdentical);
        Run("sync, Task and APM writes of raw frames are byte-identical to Avikit.Net", RawWriteFormsIdentical);
        Run("a user IVideoEncoder gives the bytes of avikit's own conversion", UserEncoderMatchesNative);
        Run("FramesPerSecond: NTSC decimals become n*1000/1001, others exact", FrameRates);
        Run("defaults and properties before the first write", Defaults);
        Run("pre-compressed audio set through stream properties is written raw", PrecompressedAudio);
        Run("a user IAudioEncoder: blocks and Flush written with its format", UserAudioEncoder);
        Run("Stream sinks: leaveOpen, and the bytes of the file", StreamSinks);
        Run("Close without writes leaves an empty file", CloseWithoutWrites);
        Run("encoders used directly: uncompressed, MJPEG, H.264, MP3", DirectEncoders);
        Run("SingleThreadedVideoEncoderWrapper: one thread, disposal", WrapperThread);
        Run("FourCC and AviUtils", FourCCAndUtils);
        Run("misuse: writing after Close", WriteAfterClose);
        Run("misuse: changing streams or settings after the first write", ChangeAfterStart);
        Run("misuse: wrong buffers and arguments of writes", WrongBuffers);
        Run("misuse: constructor and Add* arguments", BadArguments);
        Run("misuse: encoder-defined properties, End* results, wrapper", EncoderMisuse);

        return Summary();
    }

    // ---- helpers (the runner and the checks are Harness's) ----------------------------------

    /// <summary>A task that must fault with exactly T.</summary>
    private static void Faults<T>(Task task) where T : Exception
    {
        try
        {
            task.Wait();
        }
        catch (AggregateException e)
        {
            var inner = e.InnerException;
            if (inner == null || inner.GetType() != typeof(T))
                throw new Exception("expected a task faulted with " + typeof(T).Name + ", got " + (inner == null ? "none" : inner.GetType().Name), e);
            return;
        }
        throw new Exception("expected a task faulted with " + typeof(T).Name + ", it succeeded");
    }

    private static string OutPath(string name) { return Path.Combine(outDir, name); }

    private static byte[] Frame(int i, int len)
    {
        var b = new byte[len];
        for (var k = 0; k < len; k++) b[k] = (byte)(i * 31 + k * 7 + (k >> 8));
        return b;
    }

    /// <summary>A smooth top-down BGR32 picture (JPEG and H.264 like it better than noise).</summary>
    private static byte[] Picture(int i, int w = W, int h = H)
    {
        var b = new byte[w * h * 4];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var p = (y * w + x) * 4;
                b[p] = (byte)(x * 4 + i);
                b[p + 1] = (byte)(y * 5);
                b[p + 2] = (byte)(i * 6);
            }
        return b;
    }

    /// <summary>avikit's options that a compat writer uses by default, made deterministic: no
    /// timed checkpoints, so the bytes depend only on the calls.</summary>
    private static Avikit.AviWriterOptions DirectOptions(Avikit.Rational fps, bool index1)
    {
        return new Avikit.AviWriterOptions { FramesPerSecond = fps, EmitIndex1 = index1, CheckpointIntervalMs = 0 };
    }

    /// <summary>A compat writer with the same deterministic setting.</summary>
    private static AviWriter Compat(string path)
    {
        var w = new AviWriter(path);
        w.AvikitOptions.CheckpointIntervalMs = 0;
        return w;
    }

    /// <summary>The first video stream header's (rate, scale).</summary>
    private static void VideoRate(string path, out uint rate, out uint scale)
    {
        var b = File.ReadAllBytes(path);
        for (var i = 0; i + 40 < b.Length; i++)
        {
            if (b[i] == 's' && b[i + 1] == 't' && b[i + 2] == 'r' && b[i + 3] == 'h' && b[i + 8] == 'v' && b[i + 9] == 'i')
            {
                scale = BitConverter.ToUInt32(b, i + 8 + 20);
                rate = BitConverter.ToUInt32(b, i + 8 + 24);
                return;
            }
        }
        throw new Exception("no video strh in " + path);
    }

    /// <summary>avikit's strict check of the file, with the frames of its first video stream and
    /// the chunks of all audio streams (-1: not checked).</summary>
    private static Avikit.AviFileReport Inspect(string path, long videoFrames, long audioChunks)
    {
        var r = Avikit.AviFile.Inspect(path);
        Equal(videoFrames, r.VideoFrames, path + ": video frames");
        if (audioChunks >= 0) Equal(audioChunks, r.AudioChunks, path + ": audio chunks");
        return r;
    }
}
