// Sinks and formats: MemoryStream and FileStream sinks, MJPEG, uncompressed and H.264 streams,
// camera pixel formats, float 5.1 audio, INFO metadata, pixel aspect. Part of AvikitTests (see
// AvikitTests.cs).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Avikit;
using static Harness;

internal static partial class AvikitTests
{
    private static void StreamSinks()
    {
        var ids = Enumerable.Range(0, 12).ToList();
        var reference = Reference("by-path.avi", ids, true);

        var ms = new MemoryStream();
        using (var w = new AviWriter(ms, leaveOpen: true, options: Deterministic()))
        {
            Task.WaitAll(BeginReferenceTasks(w, ids));
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

    private static void UtVideoOptions()
    {
        const int w = 64, h = 48;
        Func<PixelFormat, VideoStreamOptions> ut = f => new VideoStreamOptions
        {
            Width = w, Height = h, Codec = VideoCodec.UtVideo, InputFormat = f,
        };
        var path = OutPath("utvideo.avi");
        using (var writer = new AviWriter(path, Deterministic()))
        {
            var bad = new List<VideoStreamOptions>();
            var o1 = ut(PixelFormat.Bgra32); o1.Prediction = (Prediction)4; bad.Add(o1);
            var o2 = ut(PixelFormat.I420); o2.ColorMatrix = (ColorMatrix)2; bad.Add(o2);
            var o3 = ut(PixelFormat.Bgra32); o3.Flags = (VideoFlags)0x2; bad.Add(o3);
            var o4 = ut(PixelFormat.Bgra32); o4.Slices = 257; bad.Add(o4);
            var o5 = ut(PixelFormat.Gray8); o5.Width = w + 1; bad.Add(o5);
            var o6 = ut(PixelFormat.Yuy2); o6.Width = w + 1; bad.Add(o6);
            var o7 = ut(PixelFormat.Bgr24); o7.Flags = VideoFlags.KeepAlpha; bad.Add(o7);
            var o8 = ut(PixelFormat.Gray8); o8.InputStride = w - 1; bad.Add(o8);
            foreach (var o in bad)
            {
                var e = Throws<ArgumentException>(() => writer.AddVideoStream(o));
                Check(e.Message.Length > 0, "a message");
            }
            var alpha = ut(PixelFormat.Rgba32);
            alpha.Flags = VideoFlags.KeepAlpha;
            alpha.Prediction = Prediction.Gradient;
            alpha.Slices = 3;
            var ulra = writer.AddVideoStream(alpha);
            var gray = ut(PixelFormat.Gray8);
            gray.ColorMatrix = ColorMatrix.Bt709;
            var ulh0 = writer.AddVideoStream(gray);
            var mono = new VideoStreamOptions
            {
                Width = w, Height = h, Codec = VideoCodec.Uncompressed, InputFormat = PixelFormat.Gray8,
            };
            var dib8 = writer.AddVideoStream(mono);
            for (var i = 0; i < 3; i++)
            {
                ulra.WriteFrame(true, Frame(i, w * h * 4));
                ulh0.WriteFrame(true, Frame(i, w * h));
                dib8.WriteFrame(true, Frame(i, w * h));
            }
        }
        var streams = Probe(path);
        Equal(3, streams.Count, "three streams (nothing of the refused ones)");
        Equal("utvideo", streams[0].CodecName, "RGBA into ULRA");
        Equal("utvideo", streams[1].CodecName, "GRAY8 into ULH0");
        Equal("rawvideo", streams[2].CodecName, "GRAY8 into an 8-bit DIB");
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
}
