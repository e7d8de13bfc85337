// SharpAvi docs, "Using Video Encoders" ("write your own implementation of the interface") and
// "Working with Audio Streams" (IAudioEncoder): a user's IVideoEncoder (top-down BGR32 to a
// bottom-up 16-bit RGB555 DIB), one decorating a built-in encoder (MJpegWpfVideoEncoder, counting
// its frames), and a user's IAudioEncoder (16-bit PCM to 8-bit unsigned PCM, keeping a sample split
// across blocks for the next one). Compiled unchanged against SharpAvi or Avikit.SharpAvi.dll.
// Writes <dir>/custom-encoders.avi and <dir>/custom-decorator.avi.
using System;
using System.IO;
using SharpAvi;
using SharpAvi.Output;
using SharpAvi.Codecs;

sealed class Rgb555Encoder : IVideoEncoder
{
    readonly int width, height;

    public Rgb555Encoder(int width, int height) { this.width = width; this.height = height; }

    public FourCC Codec { get { return CodecIds.Uncompressed; } }
    public BitsPerPixel BitsPerPixel { get { return BitsPerPixel.Bpp16; } }
    public int MaxEncodedSize { get { return (width * 2 + 3) / 4 * 4 * height; } }

    public int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame)
    {
        var stride = (width * 2 + 3) / 4 * 4;
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var s = srcOffset + (y * width + x) * 4;
                var v = (source[s] >> 3) | ((source[s + 1] >> 3) << 5) | ((source[s + 2] >> 3) << 10);
                var d = destOffset + (height - 1 - y) * stride + x * 2;
                destination[d] = (byte)v;
                destination[d + 1] = (byte)(v >> 8);
            }
        isKeyFrame = true;
        return MaxEncodedSize;
    }
}

sealed class CountingEncoder : IVideoEncoder
{
    readonly IVideoEncoder inner;
    public int Frames;

    public CountingEncoder(IVideoEncoder inner) { this.inner = inner; }

    public FourCC Codec { get { return inner.Codec; } }
    public BitsPerPixel BitsPerPixel { get { return inner.BitsPerPixel; } }
    public int MaxEncodedSize { get { return inner.MaxEncodedSize; } }

    public int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame)
    {
        Frames++;
        return inner.EncodeFrame(source, srcOffset, destination, destOffset, out isKeyFrame);
    }
}

sealed class EightBitEncoder : IAudioEncoder
{
    readonly int channels;
    byte? pendingLow;

    public EightBitEncoder(int channels) { this.channels = channels; }

    public int ChannelCount { get { return channels; } }
    public int SamplesPerSecond { get { return 44100; } }
    public int BitsPerSample { get { return 8; } }
    public short Format { get { return AudioFormats.Pcm; } }
    public int BytesPerSecond { get { return 44100 * channels; } }
    public int Granularity { get { return channels; } }
    public byte[] FormatSpecificData { get { return null; } }

    public int GetMaxEncodedLength(int sourceCount) { return sourceCount / 2 + 1; }

    public int EncodeBlock(byte[] source, int sourceOffset, int sourceCount, byte[] destination, int destinationOffset)
    {
        var n = 0;
        for (var i = sourceOffset; i < sourceOffset + sourceCount; i++)
        {
            if (pendingLow == null) { pendingLow = source[i]; continue; }
            var sample = (short)(pendingLow.Value | (source[i] << 8));
            destination[destinationOffset + n++] = (byte)((sample >> 8) + 128);
            pendingLow = null;
        }
        return n;
    }

    public int Flush(byte[] destination, int destinationOffset) { return 0; }
}

static class CustomEncoders
{
    static void Main(string[] args)
    {
        var writer = new AviWriter(Path.Combine(args[0], "custom-encoders.avi")) { FramesPerSecond = 30 };
        var video = writer.AddEncodingVideoStream(new Rgb555Encoder(320, 240), true, 320, 240);
        var audio = writer.AddEncodingAudioStream(new EightBitEncoder(1));
        var frame = new byte[320 * 240 * 4];
        var block = new byte[44100 / 30 * 2];
        for (var i = 0; i < 60; i++)
        {
            for (var p = 0; p < frame.Length; p++) frame[p] = (byte)(p / 1280 + i * 4);
            for (var s = 0; s < block.Length; s += 2) block[s + 1] = (byte)(Math.Sin((i * block.Length + s) * 0.01) * 60);
            video.WriteFrame(true, frame, 0, frame.Length);
            audio.WriteBlock(block, 0, block.Length);
        }
        writer.Close();
        Console.WriteLine("custom-encoders.avi: " + video.Codec + " " + video.BitsPerPixel + ", audio format " + audio.Format + " " + audio.BitsPerSample + " bits");

        var counting = new CountingEncoder(new MJpegWpfVideoEncoder(320, 240, 70));
        using (var w2 = new AviWriter(Path.Combine(args[0], "custom-decorator.avi")) { FramesPerSecond = 30 })
        {
            var s = w2.AddEncodingVideoStream(counting, true, 320, 240);
            for (var i = 0; i < 60; i++)
            {
                for (var p = 0; p < frame.Length; p++) frame[p] = (byte)(p / 1280 + i * 4);
                s.WriteFrame(true, frame, 0, frame.Length);
            }
        }
        Console.WriteLine("custom-decorator.avi: " + counting.Frames + " frames through the user's encoder");
    }
}
