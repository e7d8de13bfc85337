// SharpAvi docs, "Getting Started": an uncompressed 32-bit stream, frame rate and idx1 set on the
// writer, stream properties set after AddVideoStream, bottom-up DIB frames written synchronously.
// Compiled unchanged against SharpAvi or Avikit.SharpAvi.dll. Writes <dir>/getting-started.avi.
using System.IO;
using SharpAvi;
using SharpAvi.Output;
using SharpAvi.Codecs;

static class GettingStarted
{
    static void Main(string[] args)
    {
        var writer = new AviWriter(Path.Combine(args[0], "getting-started.avi"))
        {
            FramesPerSecond = 30,
            EmitIndex1 = true
        };

        var stream = writer.AddVideoStream();
        stream.Width = 320;
        stream.Height = 240;
        stream.Codec = CodecIds.Uncompressed;
        stream.BitsPerPixel = BitsPerPixel.Bpp32;

        var frameData = new byte[stream.Width * stream.Height * 4];
        for (var frame = 0; frame < 60; frame++)
        {
            for (var i = 0; i < frameData.Length; i++) frameData[i] = (byte)(frame * 4 + i / 1280);
            stream.WriteFrame(true, frameData, 0, frameData.Length);
        }

        writer.Close();
    }
}
