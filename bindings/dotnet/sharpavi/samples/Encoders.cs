// SharpAvi docs, "Using Video Encoders": encoding streams created from encoder instances
// (UncompressedVideoEncoder, MJpegWpfVideoEncoder, and Mpeg4VcmVideoEncoder picked from
// GetAvailableCodecs inside a SingleThreadedVideoEncoderWrapper); top-down BGR32 frames, the
// isKeyFrame and length arguments ignored by encoding streams. Compiled unchanged against SharpAvi
// or Avikit.SharpAvi.dll. Writes <dir>/encoder-uncompressed.avi, encoder-mjpeg.avi, encoder-mpeg4.avi.
using System;
using System.IO;
using System.Linq;
using SharpAvi;
using SharpAvi.Output;
using SharpAvi.Codecs;

static class Encoders
{
    const int Width = 320, Height = 240;

    static void Main(string[] args)
    {
        Write(Path.Combine(args[0], "encoder-uncompressed.avi"), () => new UncompressedVideoEncoder(Width, Height));
        Write(Path.Combine(args[0], "encoder-mjpeg.avi"), () => new MJpegWpfVideoEncoder(Width, Height, 70));

        var codecs = Mpeg4VcmVideoEncoder.GetAvailableCodecs();
        foreach (var c in codecs) Console.WriteLine("codec: " + c.Codec + " " + c.Name);
        FourCC selectedCodec = codecs.Length > 0 ? codecs[0].Codec : CodecIds.Xvid;
        Write(Path.Combine(args[0], "encoder-mpeg4.avi"), () => new SingleThreadedVideoEncoderWrapper(
            () => new Mpeg4VcmVideoEncoder(Width, Height, 30, 0, 70, selectedCodec)));
    }

    static void Write(string path, Func<IVideoEncoder> createEncoder)
    {
        using (var writer = new AviWriter(path) { FramesPerSecond = 30 })
        {
            var encoder = createEncoder();
            var stream = writer.AddEncodingVideoStream(encoder, width: Width, height: Height);
            var bits = new byte[Width * Height * 4];
            for (var frame = 0; frame < 60; frame++)
            {
                for (var y = 0; y < Height; y++)
                    for (var x = 0; x < Width; x++)
                    {
                        var p = (y * Width + x) * 4;
                        bits[p] = (byte)(x + frame * 3);
                        bits[p + 1] = (byte)(y * 2);
                        bits[p + 2] = (byte)(frame * 4);
                    }
                stream.WriteFrame(true, bits, 0, bits.Length);
            }
            Console.WriteLine(Path.GetFileName(path) + ": " + stream.Codec + ", " + stream.FramesWritten + " frames");
        }
    }
}
