// What the compatibility surface writes: byte-identical to Avikit.Net, frame rates, formats,
// sinks, and SharpAvi's encoders used directly.
using System;
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
    private static void MjpegPcmIdentical()
    {
        var compatPath = OutPath("identical-compat.avi");
        var compat = Compat(compatPath);
        compat.FramesPerSecond = 29.97m;
        compat.EmitIndex1 = true;
        var v = compat.AddMJpegWpfVideoStream(W, H, quality: 70);
        var a = compat.AddAudioStream(channelCount: 2, samplesPerSecond: 44100, bitsPerSample: 16);
        for (var i = 0; i < Frames; i++)
        {
            v.WriteFrame(true, Picture(i), 0, W * H * 4);
            a.WriteBlock(Frame(1000 + i, Block), 0, Block);
        }
        Equal(Frames, v.FramesWritten, "frames written");
        Equal(Frames, a.BlocksWritten, "blocks written");
        compat.Close();

        var directPath = OutPath("identical-direct.avi");
        using (var direct = new Avikit.AviWriter(directPath, DirectOptions(Avikit.Rational.Ntsc, true)))
        {
            var dv = direct.AddMjpegVideoStream(W, H, 70);
            var da = direct.AddAudioStream(2, 44100, 16);
            for (var i = 0; i < Frames; i++)
            {
                dv.WriteFrame(true, Picture(i), 0, W * H * 4);
                da.WriteBlock(Frame(1000 + i, Block), 0, Block);
            }
        }
        BytesEqual(File.ReadAllBytes(directPath), File.ReadAllBytes(compatPath), "compat vs Avikit.Net");
        Inspect(compatPath, Frames, Frames);
        uint rate, scale;
        VideoRate(compatPath, out rate, out scale);
        Equal(30000u, rate, "rate");
        Equal(1001u, scale, "scale");
    }

    private static void RawWriteFormsIdentical()
    {
        const int len = W * H * 3;
        var directPath = OutPath("forms-direct.avi");
        using (var direct = new Avikit.AviWriter(directPath, DirectOptions(25, false)))
        {
            var dv = direct.AddVideoStream(W, H, 24);
            var da = direct.AddAudioStream(1, 8000, 8);
            for (var i = 0; i < Frames; i++)
            {
                dv.WriteFrame(true, Frame(i, len), 0, len);
                da.WriteBlock(Frame(500 + i, 320), 0, 320);
            }
        }
        var expected = File.ReadAllBytes(directPath);
        foreach (var form in new[] { "sync", "task", "apm" })
        {
            var path = OutPath("forms-" + form + ".avi");
            var w = Compat(path);
            w.FramesPerSecond = 25;
            var v = w.AddVideoStream(W, H, BitsPerPixel.Bpp24);
            var a = w.AddAudioStream(1, 8000, 8);
            var pending = new System.Collections.Generic.List<Task>();
            IAsyncResult lastFrame = null, lastBlock = null;
            var callbacks = 0;
            for (var i = 0; i < Frames; i++)
            {
                var frame = Frame(i, len);
                var block = Frame(500 + i, 320);
                if (form == "sync")
                {
                    v.WriteFrame(true, frame, 0, len);
                    a.WriteBlock(block, 0, 320);
                }
                else if (form == "task")
                {
                    pending.Add(v.WriteFrameAsync(true, frame, 0, len));
                    pending.Add(a.WriteBlockAsync(block, 0, 320));
                }
                else
                {
                    if (lastFrame != null) v.EndWriteFrame(lastFrame);
                    if (lastBlock != null) a.EndWriteBlock(lastBlock);
                    lastFrame = v.BeginWriteFrame(true, frame, 0, len, r => Interlocked.Increment(ref callbacks), i);
                    lastBlock = a.BeginWriteBlock(block, 0, 320, null, null);
                }
            }
            Task.WaitAll(pending.ToArray());
            if (lastFrame != null)
            {
                v.EndWriteFrame(lastFrame);
                a.EndWriteBlock(lastBlock);
                Equal(Frames - 1, (int)lastFrame.AsyncState, "APM state");
                Equal(Frames, Volatile.Read(ref callbacks), "APM callbacks");
            }
            w.Close();
            BytesEqual(expected, File.ReadAllBytes(path), form + " writes vs Avikit.Net");
        }
    }

    /// <summary>A user's encoder (a decorator, so the writer cannot recognize it) runs in managed
    /// code into a raw stream; avikit converts UncompressedVideoEncoder's frames natively. Both
    /// files must be equal, byte for byte.</summary>
    private sealed class Decorator : IVideoEncoder
    {
        private readonly IVideoEncoder inner;
        public int Calls;

        public Decorator(IVideoEncoder inner) { this.inner = inner; }
        public FourCC Codec { get { return inner.Codec; } }
        public BitsPerPixel BitsPerPixel { get { return inner.BitsPerPixel; } }
        public int MaxEncodedSize { get { return inner.MaxEncodedSize; } }

        public int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame)
        {
            Calls++;
            return inner.EncodeFrame(source, srcOffset, destination, destOffset, out isKeyFrame);
        }
    }

    private static void UserEncoderMatchesNative()
    {
        const int w = 30, h = 20;                     // 90-byte rows: padded to 92
        var nativePath = OutPath("uncompressed-native.avi");
        var userPath = OutPath("uncompressed-user.avi");
        var deco = new Decorator(new UncompressedVideoEncoder(w, h));
        foreach (var path in new[] { nativePath, userPath })
        {
            var writer = Compat(path);
            var s = path == nativePath ? writer.AddUncompressedVideoStream(w, h) : writer.AddEncodingVideoStream(deco, true, w, h);
            var frame = new byte[8 + w * h * 4];
            for (var i = 0; i < 10; i++)
            {
                Array.Copy(Frame(i, w * h * 4), 0, frame, 8, w * h * 4);
                s.WriteFrame(false, frame, 8, 1);    // length and key flag ignored by encoding streams
            }
            writer.Close();
            Inspect(path, 10, 0);
        }
        Equal(10, deco.Calls, "user encoder calls");
        BytesEqual(File.ReadAllBytes(nativePath), File.ReadAllBytes(userPath), "managed vs native uncompressed");
    }

    private static void FrameRates()
    {
        var cases = new[]
        {
            new { Fps = 29.97m, Rate = 30000u, Scale = 1001u },
            new { Fps = 23.976m, Rate = 24000u, Scale = 1001u },
            new { Fps = 59.94m, Rate = 60000u, Scale = 1001u },
            new { Fps = 30m, Rate = 30u, Scale = 1u },
            new { Fps = 12.5m, Rate = 25u, Scale = 2u },
            new { Fps = 29.9m, Rate = 299u, Scale = 10u },
            new { Fps = 0.5m, Rate = 1u, Scale = 2u },
            new { Fps = 7.0004m, Rate = 7u, Scale = 1u },   // rounded to 3 digits first, as SharpAvi
        };
        var unset = OutPath("rate-default.avi");
        var dw = Compat(unset);
        dw.AddVideoStream(8, 8).WriteFrame(true, new byte[256], 0, 256);
        dw.Close();
        uint r1, s1;
        VideoRate(unset, out r1, out s1);
        Equal("1/1", r1 + "/" + s1, "SharpAvi's default of 1 frame per second");
        foreach (var c in cases)
        {
            var path = OutPath("rate.avi");
            var w = Compat(path);
            w.FramesPerSecond = c.Fps;
            Equal(decimal.Round(c.Fps, 3), w.FramesPerSecond, "FramesPerSecond reads back rounded");
            var s = w.AddVideoStream(8, 8, BitsPerPixel.Bpp32);
            s.WriteFrame(true, new byte[256], 0, 256);
            w.Close();
            uint rate, scale;
            VideoRate(path, out rate, out scale);
            Equal(c.Rate + "/" + c.Scale, rate + "/" + scale, "rate of " + c.Fps);
        }
    }

    private static void Defaults()
    {
        var w = new AviWriter(OutPath("defaults.avi"));
        Equal(1m, w.FramesPerSecond, "FramesPerSecond");
        Equal(false, w.EmitIndex1, "EmitIndex1");
        Equal(256, w.MaxSuperIndexEntries, "MaxSuperIndexEntries");
        Equal(0, w.Streams.Count, "no streams");
        var v = w.AddVideoStream();
        Equal(1, v.Width, "Width");
        Equal(1, v.Height, "Height");
        Equal(BitsPerPixel.Bpp32, v.BitsPerPixel, "BitsPerPixel");
        Equal(CodecIds.Uncompressed, v.Codec, "Codec");
        Equal(null, v.Name, "Name");
        Equal(0, v.Index, "Index");
        Equal(0, v.FramesWritten, "FramesWritten");
        var a = w.AddAudioStream();
        Equal(1, a.Index, "audio Index");
        Equal(1, a.ChannelCount, "ChannelCount");
        Equal(44100, a.SamplesPerSecond, "SamplesPerSecond");
        Equal(16, a.BitsPerSample, "BitsPerSample");
        Equal(AudioFormats.Pcm, a.Format, "Format");
        Equal(2, a.Granularity, "Granularity");
        Equal(88200, a.BytesPerSecond, "BytesPerSecond");
        Equal(null, a.FormatSpecificData, "FormatSpecificData");
        var e = w.AddEncodingVideoStream(new MJpegWpfVideoEncoder(16, 16, 50), true, 16, 16);
        Equal(CodecIds.MotionJpeg, e.Codec, "encoder codec");
        Equal(BitsPerPixel.Bpp24, e.BitsPerPixel, "encoder depth");
        Equal(3, w.Streams.Count, "three streams");
        Check(ReferenceEquals(w.Streams[2], e), "Streams lists the streams");

        v.Width = 16;
        v.Height = 16;
        v.Name = "video";
        w.MaxSuperIndexEntries = 100000;             // beyond avikit's 65536: clamped
        w.EmitIndex1 = true;
        a.WriteBlock(new byte[4], 0, 4);
        v.WriteFrame(true, new byte[16 * 16 * 4], 0, 16 * 16 * 4);
        e.WriteFrame(true, new byte[16 * 16 * 4], 0, 16 * 16 * 4);
        Equal("video", v.Name, "Name");
        w.Close();
        w.Close();                                    // a second Close does nothing
        Inspect(OutPath("defaults.avi"), 1, 1);
        var bytes = File.ReadAllBytes(OutPath("defaults.avi"));
        Check(System.Text.Encoding.ASCII.GetString(bytes).Contains("strn\u0006\0\0\0video"), "stream name written");
        Check(System.Text.Encoding.ASCII.GetString(bytes).Contains("idx1"), "idx1 written");
    }

    private static void PrecompressedAudio()
    {
        var path = OutPath("mulaw.avi");
        var w = Compat(path);
        var v = w.AddVideoStream(8, 8);
        var a = w.AddAudioStream(1, 8000, 8);
        a.Format = 7;                                 // WAVE_FORMAT_MULAW
        a.FormatSpecificData = new byte[0];
        v.WriteFrame(true, new byte[256], 0, 256);
        a.WriteBlock(Frame(1, 800), 0, 800);
        w.Close();
        var b = File.ReadAllBytes(path);
        var strf = IndexOf(b, "strf", IndexOf(b, "auds", 0));
        Equal((ushort)7, BitConverter.ToUInt16(b, strf + 8), "format tag");
        Equal(8000u, BitConverter.ToUInt32(b, strf + 8 + 8), "bytes per second");
        Inspect(path, 1, 1);
    }

    private static int IndexOf(byte[] b, string s, int from)
    {
        for (var i = from; i + s.Length <= b.Length; i++)
        {
            var k = 0;
            while (k < s.Length && b[i + k] == s[k]) k++;
            if (k == s.Length) return i;
        }
        throw new Exception(s + " not found");
    }

    /// <summary>A user's audio encoder that keeps every other byte back until Flush.</summary>
    private sealed class HalvingEncoder : IAudioEncoder, IDisposable
    {
        public int Flushes, Disposals;
        private byte[] held = new byte[0];

        public int ChannelCount { get { return 1; } }
        public int SamplesPerSecond { get { return 8000; } }
        public int BitsPerSample { get { return 8; } }
        public short Format { get { return AudioFormats.Pcm; } }
        public int BytesPerSecond { get { return 8000; } }
        public int Granularity { get { return 1; } }
        public byte[] FormatSpecificData { get { return null; } }
        public int GetMaxEncodedLength(int sourceCount) { return sourceCount + held.Length; }

        public int EncodeBlock(byte[] source, int sourceOffset, int sourceCount, byte[] destination, int destinationOffset)
        {
            var half = sourceCount / 2;
            Array.Copy(source, sourceOffset, destination, destinationOffset, half);
            var keep = new byte[held.Length + sourceCount - half];
            Array.Copy(held, keep, held.Length);
            Array.Copy(source, sourceOffset + half, keep, held.Length, sourceCount - half);
            held = keep;
            return half;
        }

        public int Flush(byte[] destination, int destinationOffset)
        {
            Flushes++;
            Array.Copy(held, 0, destination, destinationOffset, held.Length);
            var n = held.Length;
            held = new byte[0];
            return n;
        }

        public void Dispose() { Disposals++; }
    }

    private static void UserAudioEncoder()
    {
        var path = OutPath("user-audio.avi");
        var w = Compat(path);
        var enc = new HalvingEncoder();
        var v = w.AddVideoStream(8, 8);
        var a = w.AddEncodingAudioStream(enc);
        Equal(8, a.BitsPerSample, "encoder's bits");
        v.WriteFrame(true, new byte[256], 0, 256);
        a.WriteBlock(Frame(1, 100), 0, 100);
        a.WriteBlockAsync(Frame(2, 100), 0, 100).Wait();
        a.EndWriteBlock(a.BeginWriteBlock(Frame(3, 100), 0, 100, null, null));
        a.EndWriteBlock(a.BeginWriteBlock(Frame(4, 1), 0, 1, null, null));   // encodes to nothing
        Equal(0, enc.Flushes, "no flush before Close");
        w.Close();
        Equal(1, enc.Flushes, "Close flushes the encoder");
        Equal(1, enc.Disposals, "Close disposes an owned encoder");
        var r = Inspect(path, 1, 4);
        Check(r.StreamCount == 2, "two streams");
        var b = File.ReadAllBytes(path);
        var strf = IndexOf(b, "strf", IndexOf(b, "auds", 0));
        Equal((ushort)1, BitConverter.ToUInt16(b, strf + 8), "encoder's format tag");
        Equal((ushort)8, BitConverter.ToUInt16(b, strf + 8 + 14), "encoder's bits per sample");
    }

    private static void StreamSinks()
    {
        var filePath = OutPath("sink-file.avi");
        var memory = new MemoryStream();
        foreach (var leaveOpen in new[] { true, false })
        {
            var ms = leaveOpen ? memory : new MemoryStream();
            var w = leaveOpen ? new AviWriter(ms, leaveOpen: true) : new AviWriter(ms);
            w.AvikitOptions.CheckpointIntervalMs = 0;
            w.FramesPerSecond = 10;
            var v = w.AddVideoStream(8, 8);
            for (var i = 0; i < 5; i++) v.WriteFrame(true, Frame(i, 256), 0, 256);
            w.Close();
            Check(ms.CanWrite == leaveOpen, "leaveOpen " + leaveOpen + " keeps the stream open: " + ms.CanWrite);
        }
        var fw = Compat(filePath);
        fw.FramesPerSecond = 10;
        var fv = fw.AddVideoStream(8, 8);
        for (var i = 0; i < 5; i++) fv.WriteFrame(true, Frame(i, 256), 0, 256);
        fw.Close();
        BytesEqual(File.ReadAllBytes(filePath), memory.ToArray(), "MemoryStream vs file");

        var never = new MemoryStream();
        new AviWriter(never).Close();
        Check(!never.CanWrite, "Close without writes disposes the stream");
    }

    private static void CloseWithoutWrites()
    {
        var path = OutPath("empty.avi");
        File.WriteAllBytes(path, new byte[100]);
        var w = new AviWriter(path);
        Equal(0L, new FileInfo(path).Length, "the constructor truncates");
        w.AddVideoStream(8, 8);
        ((IDisposable)w).Dispose();
        Equal(0L, new FileInfo(path).Length, "nothing written");
    }

    private static void DirectEncoders()
    {
        // Uncompressed: flipped rows, BGR24, rows padded to 4 bytes.
        var u = new UncompressedVideoEncoder(3, 2);
        Equal(24, u.MaxEncodedSize, "padded size");
        var src = new byte[] { 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 10, 11, 12, 0, 13, 14, 15, 0, 16, 17, 18, 0 };
        var dst = new byte[30];
        bool key;
        Equal(24, u.EncodeFrame(src, 0, dst, 2, out key), "uncompressed length");
        Check(key, "uncompressed key frame");
        var expected = new byte[] { 0, 0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0 };
        for (var i = 0; i < expected.Length; i++) Equal(expected[i], dst[i], "uncompressed byte " + i);

        // MJPEG: the JPEG of each frame equals the chunk avikit writes for it in a file.
        var mjpeg = new MJpegImageSharpVideoEncoder(W, H, 70);
        var path = OutPath("direct-mjpeg.avi");
        using (var direct = new Avikit.AviWriter(path, DirectOptions(30, false)))
        {
            var s = direct.AddMjpegVideoStream(W, H, 70);
            for (var i = 0; i < 3; i++) s.WriteFrame(true, Picture(i), 0, W * H * 4);
        }
        var file = File.ReadAllBytes(path);
        var at = IndexOf(file, "movi", 0);
        for (var i = 0; i < 3; i++)
        {
            var jpeg = new byte[mjpeg.MaxEncodedSize + 5];
            var n = mjpeg.EncodeFrame(Picture(i), 0, jpeg, 5, out key);
            Check(key && n > 100, "a JPEG");
            Equal(0xD8FF, BitConverter.ToUInt16(jpeg, 5), "SOI");
            at = IndexOf(file, "00dc", at + 1);
            Equal((uint)n, BitConverter.ToUInt32(file, at + 4), "frame " + i + " length");
            for (var k = 0; k < n; k++)
                if (file[at + 8 + k] != jpeg[5 + k]) throw new Exception("frame " + i + " differs at " + k);
        }

        // H.264: a sequence, the first frame a key frame and the next ones not.
        using (var h264 = new Mpeg4VcmVideoEncoder(W, H, 30, 0, 70))
        {
            var buf = new byte[h264.MaxEncodedSize];
            var keys = 0;
            for (var i = 0; i < 5; i++)
            {
                var n = h264.EncodeFrame(Picture(i), 0, buf, 0, out key);
                Check(n > 0, "H.264 frame " + i + " has data");
                if (key) keys++;
                if (i == 0) Check(key, "the first H.264 frame is a key frame");
            }
            Equal(1, keys, "one key frame in five");
        }

        // MP3: frames come out as LAME completes them, the rest at Flush.
        if (!lame)
        {
            Throws<NotSupportedException>(() => new Mp3LameAudioEncoder(2, 44100, 128));
            return;
        }
        using (var mp3 = new Mp3LameAudioEncoder(2, 44100, 128))
        {
            var total = 0;
            var buf = new byte[mp3.GetMaxEncodedLength(Block)];
            for (var i = 0; i < 20; i++) total += mp3.EncodeBlock(Frame(i, Block), 0, Block, buf, 0);
            var flushed = mp3.Flush(buf, 0);
            Check(flushed > 0, "Flush writes the held frames");
            Equal(0xFF, (int)buf[0], "MP3 frame sync");
            total += flushed;
            // 20/30 s at 128 kbit/s is about 10.7 kB.
            Check(total > 9000 && total < 13000, "MP3 size " + total);
            Throws<ObjectDisposedException>(() => mp3.EncodeBlock(Frame(0, Block), 0, Block, buf, 0));
            Equal(0, mp3.Flush(buf, 0), "a second Flush has nothing");
        }
    }

    private sealed class ThreadRecorder : IVideoEncoder, IDisposable
    {
        public int CreatedOn, DisposedOn = -1;
        public readonly System.Collections.Generic.HashSet<int> EncodedOn = new System.Collections.Generic.HashSet<int>();

        public ThreadRecorder() { CreatedOn = Thread.CurrentThread.ManagedThreadId; }
        public FourCC Codec { get { return new FourCC("TEST"); } }
        public BitsPerPixel BitsPerPixel { get { return BitsPerPixel.Bpp24; } }
        public int MaxEncodedSize { get { return 16; } }

        public int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame)
        {
            lock (EncodedOn) EncodedOn.Add(Thread.CurrentThread.ManagedThreadId);
            destination[destOffset] = source[srcOffset];
            isKeyFrame = source[srcOffset] == 0;
            return 16;
        }

        public void Dispose() { DisposedOn = Thread.CurrentThread.ManagedThreadId; }
    }

    private static void WrapperThread()
    {
        ThreadRecorder rec = null;
        var wrapper = new SingleThreadedVideoEncoderWrapper(() => rec = new ThreadRecorder());
        Check(rec.CreatedOn != Thread.CurrentThread.ManagedThreadId, "created on the wrapper's thread");
        var path = OutPath("wrapper.avi");
        var w = Compat(path);
        var s = w.AddEncodingVideoStream(wrapper, true, 8, 8);
        Equal(new FourCC("TEST"), s.Codec, "the wrapped encoder's codec");
        var tasks = new Task[8];
        for (var i = 0; i < tasks.Length; i++)
        {
            var data = new byte[256];
            data[0] = (byte)(i % 4);
            tasks[i] = Task.Run(() => s.WriteFrame(false, data, 0, 256));
        }
        Task.WaitAll(tasks);
        w.Close();
        Equal(1, rec.EncodedOn.Count, "encoded on one thread");
        Check(rec.EncodedOn.Contains(rec.CreatedOn), "the thread that created it");
        Equal(rec.CreatedOn, rec.DisposedOn, "disposed there by the writer's Close");
        var r = Inspect(path, 8, 0);
        Check(r.StreamCount == 1, "one stream");
        Throws<ObjectDisposedException>(() => { var c = wrapper.MaxEncodedSize; });
        wrapper.Dispose();
    }

    private static void FourCCAndUtils()
    {
        FourCC a = "MJPG";
        Equal(0x47504A4Du, (uint)a, "value");
        Equal("MJPG", a.ToString(), "ToString");
        Equal("AB  ", (string)new FourCC("AB"), "padded");
        Equal("00000000", CodecIds.Uncompressed.ToString(), "unprintable as hex");
        Check(a == CodecIds.MotionJpeg && a != CodecIds.Xvid && a.Equals((object)CodecIds.MotionJpeg), "equality");
        Equal(a.GetHashCode(), CodecIds.MotionJpeg.GetHashCode(), "hash");
        FourCC b = 0x34363248u;
        Equal("H264", b.ToString(), "from uint");
        uint rate, scale;
        AviUtils.SplitFrameRate(29.97m, out rate, out scale);
        Equal("2997/100", rate + "/" + scale, "29.97");
        AviUtils.SplitFrameRate(25m, out rate, out scale);
        Equal("25/1", rate + "/" + scale, "25");
        AviUtils.SplitFrameRate(23.976m, out rate, out scale);
        Equal("2997/125", rate + "/" + scale, "23.976");
        Equal(0x55, (int)AudioFormats.Mp3, "MP3 tag");
        Equal(6, Mp3LameAudioEncoder.SupportedBitRates.Length, "bit rates");
        Equal(5, Mpeg4VcmVideoEncoder.DefaultCodecPreference.Count, "codec preference");
        Check(Mpeg4VcmVideoEncoder.IsSupported(), "H.264 is built in");
        Equal("H264", Mpeg4VcmVideoEncoder.GetAvailableCodecs()[0].Codec.ToString(), "available codec");
        var info = new CodecInfo("ABCD", "name");
        Equal("ABCD", info.Codec.ToString(), "CodecInfo.Codec");
        Equal("name", info.Name, "CodecInfo.Name");
    }
}
