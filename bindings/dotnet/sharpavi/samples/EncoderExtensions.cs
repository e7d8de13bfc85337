// SharpAvi docs, "Using Video Encoders", "Even more": the EncodingStreamFactory extension methods
// (AddUncompressedVideoStream, AddMJpegWpfVideoStream, AddMJpegImageSharpVideoStream,
// AddMpeg4VcmVideoStream with forceSingleThreadedAccess), one stream per file. Compiled unchanged
// against SharpAvi (+ SharpAvi.ImageSharp) or Avikit.SharpAvi.dll. Writes <dir>/ext-*.avi.
using System;
using System.IO;
using SharpAvi;
using SharpAvi.Output;
using SharpAvi.Codecs;

static class EncoderExtensions
{
    static void Main(string[] args)
    {
        Write(args[0], "ext-uncompressed.avi", writer => writer.AddUncompressedVideoStream(640, 480));
        Write(args[0], "ext-mjpeg-wpf.avi", writer => writer.AddMJpegWpfVideoStream(640, 480, quality: 70));
        Write(args[0], "ext-mjpeg-imagesharp.avi", writer => writer.AddMJpegImageSharpVideoStream(640, 480, quality: 70));
        Write(args[0], "ext-mpeg4.avi", writer => writer.AddMpeg4VcmVideoStream(640, 480, 30,
            quality: 70, codec: CodecIds.X264, forceSingleThreadedAccess: true));
    }

    static void Write(string dir, string name, Func<AviWriter, IAviVideoStream> addStream)
    {
        var writer = new AviWriter(Path.Combine(dir, name)) { FramesPerSecond = 30, EmitIndex1 = true };
        var stream = addStream(writer);
        var frame = new byte[stream.Width * stream.Height * 4];
        for (var i = 0; i < 60; i++)
        {
            for (var p = 0; p < frame.Length; p += 4)
            {
                frame[p] = (byte)(p / 4 % 640 + i);
                frame[p + 1] = (byte)(p / 2560);
                frame[p + 2] = (byte)(i * 4);
            }
            stream.WriteFrame(true, frame, 0, frame.Length);
        }
        writer.Close();
        Console.WriteLine(name + ": " + stream.Codec + ", " + stream.FramesWritten + " frames");
    }
}
