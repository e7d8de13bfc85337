// Misuse as SharpAvi documents it, and the exception types SharpAvi raises for it: writing after
// Close (ObjectDisposedException), changing streams or settings after the first write
// (InvalidOperationException), wrong buffers (ArgumentNullException, ArgumentOutOfRangeException,
// ArgumentException), properties an encoder defines (NotSupportedException).
using System;
using System.IO;
using System.Threading.Tasks;
using SharpAvi;
using SharpAvi.Codecs;
using SharpAvi.Output;
using SharpAvi.Utilities;
using static Harness;

internal static partial class SharpAviTests
{
    private static void WriteAfterClose()
    {
        var w = Compat(OutPath("after-close.avi"));
        var v = w.AddVideoStream(8, 8);
        var a = w.AddAudioStream(1, 8000, 16);
        var e = w.AddUncompressedVideoStream(8, 8);
        var u = w.AddEncodingAudioStream(new HalvingEncoder());
        v.WriteFrame(true, new byte[256], 0, 256);
        w.Close();
        var frame = new byte[256];
        foreach (var s in new[] { v, e })
        {
            Throws<ObjectDisposedException>(() => s.WriteFrame(true, frame, 0, 256));
            Faults<ObjectDisposedException>(s.WriteFrameAsync(true, frame, 0, 256));
            Throws<ObjectDisposedException>(() => s.BeginWriteFrame(true, frame, 0, 256, null, null));
        }
        foreach (var s in new[] { a, u })
        {
            Throws<ObjectDisposedException>(() => s.WriteBlock(frame, 0, 2));
            Faults<ObjectDisposedException>(s.WriteBlockAsync(frame, 0, 2));
            Throws<ObjectDisposedException>(() => s.BeginWriteBlock(frame, 0, 2, null, null));
        }
        Throws<ObjectDisposedException>(() => w.AddVideoStream());
        Throws<ObjectDisposedException>(() => w.AddAudioStream());
        Throws<ObjectDisposedException>(() => w.AddEncodingVideoStream(new UncompressedVideoEncoder(8, 8)));
        Throws<ObjectDisposedException>(() => w.AddEncodingAudioStream(new HalvingEncoder()));
        Throws<ObjectDisposedException>(() => w.AddMJpegWpfVideoStream(8, 8));
        Equal(1, v.FramesWritten, "frames before Close");

        // Closed before any write: the first write is the one that fails.
        var never = new AviWriter(OutPath("after-close-2.avi"));
        var nv = never.AddVideoStream(8, 8);
        never.Close();
        Throws<ObjectDisposedException>(() => nv.WriteFrame(true, frame, 0, 256));
    }

    private static void ChangeAfterStart()
    {
        var w = Compat(OutPath("after-start.avi"));
        var v = w.AddVideoStream(8, 8);
        var a = w.AddAudioStream(1, 8000, 16);
        a.WriteBlock(new byte[2], 0, 2);
        var acts = new Action[]
        {
            () => w.FramesPerSecond = 25,
            () => w.EmitIndex1 = true,
            () => w.MaxSuperIndexEntries = 512,
            () => v.Name = "x", () => v.Width = 4, () => v.Height = 4,
            () => v.BitsPerPixel = BitsPerPixel.Bpp24, () => v.Codec = CodecIds.MotionJpeg,
            () => a.Name = "x", () => a.ChannelCount = 2, () => a.SamplesPerSecond = 4, () => a.BitsPerSample = 8,
            () => a.Format = AudioFormats.Mp3, () => a.BytesPerSecond = 1, () => a.Granularity = 1,
            () => a.FormatSpecificData = new byte[1],
            () => w.AddVideoStream(), () => w.AddAudioStream(),
            () => w.AddEncodingVideoStream(new UncompressedVideoEncoder(8, 8)),
            () => w.AddEncodingAudioStream(new HalvingEncoder()),
            () => w.AddUncompressedVideoStream(8, 8), () => w.AddMJpegWpfVideoStream(8, 8),
            () => w.AddMJpegImageSharpVideoStream(8, 8), () => w.AddMpeg4VcmVideoStream(16, 16, 30),
        };
        for (var i = 0; i < acts.Length; i++)
        {
            try { Throws<InvalidOperationException>(acts[i]); }
            catch (Exception e) { throw new Exception("change #" + i, e); }
        }
        // The encoder is made before the writer is asked, as in SharpAvi: without LAME that fails first.
        if (lame) Throws<InvalidOperationException>(() => w.AddMp3LameAudioStream(2, 44100));
        else Throws<NotSupportedException>(() => w.AddMp3LameAudioStream(2, 44100));
        Equal(1m, w.FramesPerSecond, "unchanged rate");
        Equal(8, v.Width, "unchanged width");
        v.WriteFrame(true, new byte[256], 0, 256);
        w.Close();
        Inspect(OutPath("after-start.avi"), 1, 1);

        // At most 100 streams, as in SharpAvi (and avikit).
        var many = new AviWriter(OutPath("many.avi"));
        for (var i = 0; i < 100; i++) many.AddVideoStream(8, 8);
        Throws<InvalidOperationException>(() => many.AddVideoStream(8, 8));
        many.Close();
    }

    private static void WrongBuffers()
    {
        var w = Compat(OutPath("buffers.avi"));
        var v = w.AddVideoStream(8, 8);                               // 256-byte frames
        var e = w.AddMJpegWpfVideoStream(8, 8);                       // 256 bytes of BGR32 input
        var a = w.AddAudioStream(2, 8000, 16);                        // 4-byte samples
        var buf = new byte[256];
        var videoWrites = new Func<IAviVideoStream, byte[], int, int, Action>[]
        {
            (s, d, o, n) => () => s.WriteFrame(true, d, o, n),
            (s, d, o, n) => () => s.WriteFrameAsync(true, d, o, n),
            (s, d, o, n) => () => s.BeginWriteFrame(true, d, o, n, null, null),
        };
        foreach (var s in new[] { v, e })
            foreach (var write in videoWrites)
            {
                Throws<ArgumentNullException>(write(s, null, 0, 1));
                Throws<ArgumentOutOfRangeException>(write(s, buf, -1, 1));
                Throws<ArgumentOutOfRangeException>(write(s, buf, 0, 0));
                Throws<ArgumentException>(write(s, buf, 200, 57));
            }
        var audioWrites = new Func<byte[], int, int, Action>[]
        {
            (d, o, n) => () => a.WriteBlock(d, o, n),
            (d, o, n) => () => a.WriteBlockAsync(d, o, n),
            (d, o, n) => () => a.BeginWriteBlock(d, o, n, null, null),
        };
        foreach (var write in audioWrites)
        {
            Throws<ArgumentNullException>(write(null, 0, 4));
            Throws<ArgumentOutOfRangeException>(write(buf, -1, 4));
            Throws<ArgumentOutOfRangeException>(write(buf, 0, -4));
            Throws<ArgumentException>(write(buf, 254, 4));
        }
        // What avikit checks and SharpAvi did not: a DIB frame of the wrong size, a PCM block that
        // is not whole samples, an encoding stream's input shorter than Width * Height * 4.
        Throws<ArgumentException>(() => v.WriteFrame(true, buf, 0, 255));
        Faults<ArgumentException>(v.WriteFrameAsync(true, buf, 0, 255));
        Throws<ArgumentException>(() => v.BeginWriteFrame(true, buf, 0, 255, null, null));
        Throws<ArgumentException>(() => a.WriteBlock(buf, 0, 3));
        Faults<ArgumentException>(a.WriteBlockAsync(buf, 0, 6));
        Throws<ArgumentException>(() => e.WriteFrame(true, buf, 1, 255));
        Faults<ArgumentException>(e.WriteFrameAsync(true, buf, 1, 255));
        Throws<ArgumentException>(() => e.BeginWriteFrame(true, buf, 1, 255, null, null));
        v.WriteFrame(true, buf, 0, 256);
        e.WriteFrame(true, buf, 0, 1);
        a.WriteBlock(buf, 0, 8);
        w.Close();
        Inspect(OutPath("buffers.avi"), 1, 1);

        // Encoders used directly.
        bool key;
        var u = new UncompressedVideoEncoder(8, 8);
        var dst = new byte[u.MaxEncodedSize];
        Throws<ArgumentNullException>(() => u.EncodeFrame(null, 0, dst, 0, out key));
        Throws<ArgumentNullException>(() => u.EncodeFrame(buf, 0, null, 0, out key));
        Throws<ArgumentOutOfRangeException>(() => u.EncodeFrame(buf, -1, dst, 0, out key));
        Throws<ArgumentOutOfRangeException>(() => u.EncodeFrame(buf, 0, dst, -1, out key));
        Throws<ArgumentException>(() => u.EncodeFrame(buf, 1, dst, 0, out key));
        Throws<ArgumentException>(() => u.EncodeFrame(buf, 0, dst, 1, out key));
        var m = new MJpegWpfVideoEncoder(8, 8, 50);
        Throws<ArgumentNullException>(() => m.EncodeFrame(null, 0, dst, 0, out key));
        Throws<ArgumentNullException>(() => m.EncodeFrame(buf, 0, null, 0, out key));
        Throws<ArgumentOutOfRangeException>(() => m.EncodeFrame(buf, -1, dst, 0, out key));
        Throws<ArgumentException>(() => m.EncodeFrame(buf, 1, dst, 0, out key));
        Throws<ArgumentException>(() => m.EncodeFrame(Picture(0, 8, 8), 0, new byte[10], 0, out key));
        using (var h = new Mpeg4VcmVideoEncoder(16, 16, 30, 0, 50))
        {
            var hb = new byte[16 * 16 * 4];
            Throws<ArgumentNullException>(() => h.EncodeFrame(null, 0, hb, 0, out key));
            Throws<ArgumentOutOfRangeException>(() => h.EncodeFrame(hb, 0, hb, -1, out key));
            Throws<ArgumentException>(() => h.EncodeFrame(hb, 4, hb, 0, out key));
            Check(h.EncodeFrame(hb, 0, hb, 0, out key) > 0 && key, "a frame");
            h.Dispose();
            Throws<ObjectDisposedException>(() => h.EncodeFrame(hb, 0, hb, 0, out key));
        }
        if (lame)
        {
            var mp3 = new Mp3LameAudioEncoder(1, 44100, 64);
            Throws<ArgumentNullException>(() => mp3.EncodeBlock(null, 0, 2, dst, 0));
            Throws<ArgumentOutOfRangeException>(() => mp3.EncodeBlock(buf, -1, 2, dst, 0));
            Throws<ArgumentOutOfRangeException>(() => mp3.EncodeBlock(buf, 0, 0, dst, 0));
            Throws<ArgumentException>(() => mp3.EncodeBlock(buf, 250, 8, dst, 0));
            Throws<ArgumentException>(() => mp3.EncodeBlock(buf, 0, 3, dst, 0));   // half a sample
            Throws<ArgumentNullException>(() => mp3.Flush(null, 0));
            Throws<ArgumentOutOfRangeException>(() => mp3.Flush(dst, -1));
            Throws<ArgumentOutOfRangeException>(() => mp3.GetMaxEncodedLength(-1));
            mp3.Dispose();
        }
    }

    private static void BadArguments()
    {
        Throws<ArgumentNullException>(() => new AviWriter((string)null));
        Throws<ArgumentOutOfRangeException>(() => new AviWriter(""));
        Throws<DirectoryNotFoundException>(() => new AviWriter(Path.Combine(OutPath("no-such-dir"), "x.avi")));
        Throws<ArgumentNullException>(() => new AviWriter((Stream)null));
        Throws<ArgumentOutOfRangeException>(() => new AviWriter(new MemoryStream(new byte[10], false)));
        var w = new AviWriter(new MemoryStream());
        Throws<ArgumentOutOfRangeException>(() => w.FramesPerSecond = 0);
        Throws<ArgumentOutOfRangeException>(() => w.FramesPerSecond = -1);
        Throws<ArgumentOutOfRangeException>(() => w.MaxSuperIndexEntries = 0);
        Throws<ArgumentOutOfRangeException>(() => w.AddVideoStream(0, 1));
        Throws<ArgumentOutOfRangeException>(() => w.AddVideoStream(1, -1));
        Throws<ArgumentOutOfRangeException>(() => w.AddVideoStream(1, 1, (BitsPerPixel)12));
        Throws<ArgumentNullException>(() => w.AddEncodingVideoStream(null));
        Throws<ArgumentOutOfRangeException>(() => w.AddEncodingVideoStream(new UncompressedVideoEncoder(8, 8), true, 0, 8));
        Throws<ArgumentOutOfRangeException>(() => w.AddAudioStream(0));
        Throws<ArgumentOutOfRangeException>(() => w.AddAudioStream(1, 0));
        Throws<ArgumentOutOfRangeException>(() => w.AddAudioStream(1, 44100, 12));
        Throws<ArgumentNullException>(() => w.AddEncodingAudioStream(null));
        Throws<ArgumentNullException>(() => EncodingStreamFactory.AddUncompressedVideoStream(null, 8, 8));
        Throws<ArgumentNullException>(() => EncodingStreamFactory.AddMJpegWpfVideoStream(null, 8, 8));
        Throws<ArgumentNullException>(() => EncodingStreamFactory.AddMpeg4VcmVideoStream(null, 16, 16, 30));
        Throws<ArgumentNullException>(() => EncodingStreamFactory.AddMp3LameAudioStream(null, 2, 44100));
        Throws<ArgumentNullException>(() => ImageSharpEncoderStreamFactory.AddMJpegImageSharpVideoStream(null, 8, 8));
        Throws<ArgumentOutOfRangeException>(() => w.AddUncompressedVideoStream(0, 8));
        Throws<ArgumentOutOfRangeException>(() => w.AddMJpegWpfVideoStream(8, 8, 0));
        Throws<ArgumentOutOfRangeException>(() => w.AddMJpegImageSharpVideoStream(8, 8, 101));
        Throws<ArgumentOutOfRangeException>(() => w.AddMpeg4VcmVideoStream(16, 16, 0));
        Throws<ArgumentOutOfRangeException>(() => w.AddMp3LameAudioStream(3, 44100));
        Throws<ArgumentOutOfRangeException>(() => w.AddMp3LameAudioStream(2, 44100, 100));
        Equal(0, w.Streams.Count, "nothing added by refused calls");
        w.Close();

        Throws<ArgumentOutOfRangeException>(() => new UncompressedVideoEncoder(0, 8));
        Throws<ArgumentOutOfRangeException>(() => new MJpegWpfVideoEncoder(8, 0, 50));
        Throws<ArgumentOutOfRangeException>(() => new MJpegImageSharpVideoEncoder(8, 8, 0));
        Throws<ArgumentOutOfRangeException>(() => new Mpeg4VcmVideoEncoder(16, 16, 30, -1, 50));
        Throws<ArgumentOutOfRangeException>(() => new Mpeg4VcmVideoEncoder(16, 16, 30, 0, 101));
        Throws<ArgumentOutOfRangeException>(() => new Mp3LameAudioEncoder(0, 44100, 128));
        Throws<ArgumentOutOfRangeException>(() => new Mp3LameAudioEncoder(1, 0, 128));
        Throws<ArgumentOutOfRangeException>(() => new Mp3LameAudioEncoder(1, 44100, 127));
        Throws<ArgumentNullException>(() => Mp3LameAudioEncoder.SetLameDllLocation(null));
        Throws<ArgumentOutOfRangeException>(() => Mp3LameAudioEncoder.SetLameDllLocation(""));
        Throws<DllNotFoundException>(() => Mp3LameAudioEncoder.SetLameDllLocation(OutPath("no-lame-here.so")));
        // An existing file is handed to avikit; LAME already looked for stays as it was.
        Mp3LameAudioEncoder.SetLameDllLocation(typeof(SharpAviTests).Assembly.Location);
        if (lame) new Mp3LameAudioEncoder(1, 44100, 64).Dispose();
        else Throws<NotSupportedException>(() => new Mp3LameAudioEncoder(1, 44100, 64));
        Throws<ArgumentNullException>(() => new FourCC((string)null));
        Throws<ArgumentOutOfRangeException>(() => new FourCC("ABCDE"));
        Throws<ArgumentOutOfRangeException>(() => new FourCC("A\u00e9"));
        uint r, s;
        Throws<ArgumentOutOfRangeException>(() => AviUtils.SplitFrameRate(0m, out r, out s));
        Throws<ArgumentNullException>(() => new SingleThreadedVideoEncoderWrapper(null));
        Throws<InvalidOperationException>(() => new SingleThreadedVideoEncoderWrapper(() => null));

        // Settings avikit refuses surface at the first write, with its exception type; the writer
        // stays usable once they are fixed.
        var path = OutPath("refused.avi");
        var rw = Compat(path);
        var rv = rw.AddVideoStream(8, 8);
        rv.Codec = new FourCC(0x80u);                 // not ASCII: avikit refuses the FourCC
        Throws<ArgumentException>(() => rv.WriteFrame(true, new byte[256], 0, 256));
        Faults<ArgumentException>(rv.WriteFrameAsync(true, new byte[256], 0, 256));
        rv.Codec = CodecIds.Uncompressed;
        rw.AvikitOptions.CheckpointIntervalMs = -1;     // avikit's options are checked there too
        Throws<ArgumentOutOfRangeException>(() => rv.WriteFrame(true, new byte[256], 0, 256));
        rw.AvikitOptions.CheckpointIntervalMs = 0;
        rv.WriteFrame(true, new byte[256], 0, 256);
        rw.AvikitOptions.CheckpointIntervalMs = -1;     // no effect after the first write
        rv.WriteFrame(true, new byte[256], 0, 256);
        rw.Close();
        Inspect(path, 2, 0);
    }

    private static void EncoderMisuse()
    {
        var w = Compat(OutPath("encoder-misuse.avi"));
        var v = w.AddMJpegWpfVideoStream(16, 16);
        var a = lame ? w.AddMp3LameAudioStream(2, 44100, 128) : w.AddEncodingAudioStream(new HalvingEncoder());
        var u = w.AddEncodingAudioStream(new HalvingEncoder());
        var raw = w.AddVideoStream(8, 8);
        var other = w.AddVideoStream(8, 8);
        Throws<NotSupportedException>(() => v.Codec = CodecIds.Xvid);
        Throws<NotSupportedException>(() => v.BitsPerPixel = BitsPerPixel.Bpp32);
        foreach (var s in new[] { a, u })
        {
            Throws<NotSupportedException>(() => s.ChannelCount = 1);
            Throws<NotSupportedException>(() => s.SamplesPerSecond = 1);
            Throws<NotSupportedException>(() => s.BitsPerSample = 8);
            Throws<NotSupportedException>(() => s.Format = 1);
            Throws<NotSupportedException>(() => s.BytesPerSecond = 1);
            Throws<NotSupportedException>(() => s.Granularity = 1);
            Throws<NotSupportedException>(() => s.FormatSpecificData = null);
        }
        if (lame)
        {
            Equal(AudioFormats.Mp3, a.Format, "MP3 format");
            Equal(16000, a.BytesPerSecond, "MP3 byte rate");
            Equal(12, a.FormatSpecificData.Length, "MPEGLAYER3WAVEFORMAT extra");
        }
        v.Width = 32;                                 // allowed, as in SharpAvi: the stream header's size
        Throws<ArgumentNullException>(() => raw.EndWriteFrame(null));
        Throws<ArgumentException>(() => raw.EndWriteFrame(new Task(() => { })));
        Throws<ArgumentNullException>(() => a.EndWriteBlock(null));
        var frame = new byte[256];
        var ar = raw.BeginWriteFrame(true, frame, 0, 256, null, "state");
        Throws<ArgumentException>(() => other.EndWriteFrame(ar));
        raw.EndWriteFrame(ar);
        Throws<InvalidOperationException>(() => raw.EndWriteFrame(ar));
        var nothing = u.BeginWriteBlock(frame, 0, 1, null, "s");   // the encoder produced nothing
        Check(nothing.IsCompleted && nothing.CompletedSynchronously && nothing.AsyncWaitHandle.WaitOne(0), "completed at once");
        Equal("s", (string)nothing.AsyncState, "state");
        Throws<ArgumentException>(() => a.EndWriteBlock(nothing));
        u.EndWriteBlock(nothing);
        var block = a.BeginWriteBlock(new byte[1152 * 4], 0, 1152 * 4, null, null);
        Throws<ArgumentException>(() => u.EndWriteBlock(block));
        a.EndWriteBlock(block);
        w.Close();
        Inspect(OutPath("encoder-misuse.avi"), 0, -1);         // the first video stream has no frame

        var wrapper = new SingleThreadedVideoEncoderWrapper(() => new UncompressedVideoEncoder(8, 8));
        wrapper.Dispose();
        bool key;
        Throws<ObjectDisposedException>(() => wrapper.EncodeFrame(frame, 0, frame, 0, out key));
        Throws<ObjectDisposedException>(() => { var c = wrapper.Codec; });
        Throws<ObjectDisposedException>(() => { var b = wrapper.BitsPerPixel; });
        wrapper.Dispose();
    }
}
