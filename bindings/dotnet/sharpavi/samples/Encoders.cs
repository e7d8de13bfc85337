// SharpAvi docs, "Using Video Encoders": encoding streams created from encoder instances
// (UncompressedVideoEncoder, MJpegWpfVideoEncoder, and Mpeg4VcmVideoEncoder picked from
// GetAvailableCodecs inside a SingleThreadedVideoEncoderWrapper); top-down BGR32 frames copied
// from unmanaged memory into a buffer with Marshal.Copy, as SharpAvi 2's docs do with a locked
// System.Drawing.Bitmap (not available on every runtime here, so the memory is our own). Compiled
// unchanged against SharpAvi or Avikit.SharpAvi.dll. Writes <dir>/encoder-uncompressed.avi,
// encoder-mjpeg.avi, encoder-mpeg4.avi.
using System;
using System.IO;
using System.Runtime.InteropServices;
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
            var buffer = new byte[Width * Height * 4];
            var scan0 = Marshal.AllocHGlobal(buffer.Length);
            try
            {
                for (var frame = 0; frame < 60; frame++)
                {
                    for (var y = 0; y < Height; y++)
                        for (var x = 0; x < Width; x++)
                        {
                            var p = (y * Width + x) * 4;
                            Marshal.WriteInt32(scan0, p, (x + frame * 3) & 0xff | (y * 2 & 0xff) << 8 | (frame * 4 & 0xff) << 16);
                        }
                    Marshal.Copy(scan0, buffer, 0, buffer.Length);
                    stream.WriteFrame(true, buffer, 0, buffer.Length);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(scan0);
            }
            Console.WriteLine(Path.GetFileName(path) + ": " + stream.Codec + ", " + stream.FramesWritten + " frames");
        }
    }
}
