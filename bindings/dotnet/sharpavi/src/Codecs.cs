using System;
using System.Collections.ObjectModel;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SharpAvi.Output;

namespace SharpAvi.Codecs
{
    /// <summary>A video encoder: turns top-down BGR32 frames into the stream's format.</summary>
    /// <remarks>An encoder given to <see cref="AviWriter.AddEncodingVideoStream"/> that is not one
    /// of SharpAvi's own is called on the writing thread, one frame at a time; its output is written
    /// as a raw stream with its <see cref="Codec"/> and <see cref="BitsPerPixel"/>.</remarks>
    public interface IVideoEncoder
    {
        /// <summary>The FOURCC of the encoded frames.</summary>
        FourCC Codec { get; }

        /// <summary>Bits per pixel written into the stream format.</summary>
        BitsPerPixel BitsPerPixel { get; }

        /// <summary>The largest frame the encoder produces: the size of the destination buffer.</summary>
        int MaxEncodedSize { get; }

        /// <summary>Encodes Width * Height * 4 bytes of BGR32 from <paramref name="srcOffset"/> into
        /// <paramref name="destination"/> and returns the encoded length.</summary>
        int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame);
    }

    /// <summary>An audio encoder: turns blocks of source audio into the stream's format.</summary>
    /// <remarks>An encoder given to <see cref="AviWriter.AddEncodingAudioStream"/> that is not
    /// <see cref="Mp3LameAudioEncoder"/> is called on the writing thread, one block at a time, and
    /// its <see cref="Flush"/> by the writer's Close; its output is written as given, described by
    /// its format properties (WAVEFORMATEX).</remarks>
    public interface IAudioEncoder
    {
        /// <summary>Channels of the encoded audio.</summary>
        int ChannelCount { get; }

        /// <summary>Sample rate of the encoded audio.</summary>
        int SamplesPerSecond { get; }

        /// <summary>Bits per sample of the encoded audio.</summary>
        int BitsPerSample { get; }

        /// <summary>WAVE format tag of the encoded audio.</summary>
        short Format { get; }

        /// <summary>Average bytes per second of the encoded audio.</summary>
        int BytesPerSecond { get; }

        /// <summary>Block alignment of the encoded audio.</summary>
        int Granularity { get; }

        /// <summary>Extra format bytes after WAVEFORMATEX, or null.</summary>
        byte[] FormatSpecificData { get; }

        /// <summary>The most bytes <see cref="EncodeBlock"/> (or <see cref="Flush"/>, for 0) may
        /// produce from <paramref name="sourceCount"/> bytes.</summary>
        int GetMaxEncodedLength(int sourceCount);

        /// <summary>Encodes a block; returns the bytes written to <paramref name="destination"/>
        /// (possibly 0 while the encoder buffers).</summary>
        int EncodeBlock(byte[] source, int sourceOffset, int sourceCount, byte[] destination, int destinationOffset);

        /// <summary>Writes what the encoder still buffers; returns its length.</summary>
        int Flush(byte[] destination, int destinationOffset);
    }

    /// <summary>A built-in video encoder that avikit runs natively when it encodes a stream.</summary>
    internal interface INativeVideoEncoder
    {
        int Width { get; }

        int Height { get; }

        Avikit.VideoStreamOptions NativeOptions(string name);
    }

    /// <summary>A built-in audio encoder that avikit runs natively when it encodes a stream.</summary>
    internal interface INativeAudioEncoder
    {
        Avikit.AudioStreamOptions NativeOptions(string name);
    }

    /// <summary>A codec's FOURCC and name.</summary>
    public class CodecInfo
    {
        /// <summary>A codec description.</summary>
        public CodecInfo(FourCC codec, string name)
        {
            Codec = codec;
            Name = name;
        }

        /// <summary>The codec's FOURCC.</summary>
        public FourCC Codec { get; private set; }

        /// <summary>The codec's name.</summary>
        public string Name { get; private set; }
    }

    /// <summary>
    /// Encodes to uncompressed 24-bit bottom-up DIB frames. In a writer's stream avikit converts
    /// natively; <see cref="EncodeFrame"/> converts in managed code, for direct use.
    /// Immutable; thread-safe.
    /// </summary>
    public class UncompressedVideoEncoder : IVideoEncoder, INativeVideoEncoder
    {
        private readonly int width, height, stride;

        /// <summary>An encoder for frames of this size.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A size that is not positive.</exception>
        public UncompressedVideoEncoder(int width, int height)
        {
            Check.Positive(width, "width");
            Check.Positive(height, "height");
            this.width = width;
            this.height = height;
            stride = (width * 3 + 3) / 4 * 4;
        }

        /// <summary><see cref="CodecIds.Uncompressed"/>.</summary>
        public FourCC Codec { get { return CodecIds.Uncompressed; } }

        /// <summary>24 bits.</summary>
        public BitsPerPixel BitsPerPixel { get { return BitsPerPixel.Bpp24; } }

        /// <summary>One frame: rows of 3 bytes a pixel padded to 4 bytes, times the height.</summary>
        public int MaxEncodedSize { get { return stride * height; } }

        int INativeVideoEncoder.Width { get { return width; } }

        int INativeVideoEncoder.Height { get { return height; } }

        /// <summary>Converts a top-down BGR32 frame to a bottom-up BGR24 DIB; every frame is a key frame.</summary>
        /// <exception cref="ArgumentNullException">A null array.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative offset.</exception>
        /// <exception cref="ArgumentException">The source or destination is too short.</exception>
        public int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame)
        {
            Check.NotNull(source, "source");
            Check.NotNegative(srcOffset, "srcOffset");
            Check.NotNull(destination, "destination");
            Check.NotNegative(destOffset, "destOffset");
            if ((long)srcOffset + 4L * width * height > source.Length)
                throw new ArgumentException("The source is shorter than Width * Height * 4 bytes from srcOffset.", "source");
            if ((long)destOffset + MaxEncodedSize > destination.Length)
                throw new ArgumentException("The destination is shorter than MaxEncodedSize from destOffset.", "destination");
            for (var y = 0; y < height; y++)
            {
                var s = srcOffset + y * width * 4;
                var d = destOffset + (height - 1 - y) * stride;
                for (var x = 0; x < width; x++, s += 4, d += 3)
                {
                    destination[d] = source[s];
                    destination[d + 1] = source[s + 1];
                    destination[d + 2] = source[s + 2];
                }
                for (var p = width * 3; p < stride; p++) destination[destOffset + (height - 1 - y) * stride + p] = 0;
            }
            isKeyFrame = true;
            return MaxEncodedSize;
        }

        Avikit.VideoStreamOptions INativeVideoEncoder.NativeOptions(string name)
        {
            return new Avikit.VideoStreamOptions
            {
                Width = width, Height = height, Codec = Avikit.VideoCodec.Uncompressed, BitsPerPixel = 24,
                InputFormat = Avikit.PixelFormat.Bgra32, Name = name,
            };
        }
    }

    /// <summary>
    /// What SharpAvi's two Motion JPEG encoders share: avikit's MJPEG (libjpeg-turbo) stands in for
    /// WPF and ImageSharp, on every platform. The JPEG bytes differ from theirs; quality means the
    /// same. Not a SharpAvi type: only <see cref="MJpegWpfVideoEncoder"/> and
    /// <see cref="MJpegImageSharpVideoEncoder"/> derive from it. Thread-safe.
    /// </summary>
    public abstract class MJpegVideoEncoderBase : IVideoEncoder, INativeVideoEncoder
    {
        private readonly int width;
        private readonly int height;
        private readonly int quality;

        internal MJpegVideoEncoderBase(int width, int height, int quality)
        {
            Check.Positive(width, "width");
            Check.Positive(height, "height");
            Check.InRange(quality, 1, 100, "quality");
            this.width = width;
            this.height = height;
            this.quality = quality;
        }

        /// <summary><see cref="CodecIds.MotionJpeg"/>.</summary>
        public FourCC Codec { get { return CodecIds.MotionJpeg; } }

        /// <summary>24 bits.</summary>
        public BitsPerPixel BitsPerPixel { get { return BitsPerPixel.Bpp24; } }

        /// <summary>max(width * height * 3, 1024) bytes, as SharpAvi assumes a JPEG never exceeds.</summary>
        public int MaxEncodedSize { get { return Math.Max(width * height * 3, 1024); } }

        int INativeVideoEncoder.Width { get { return width; } }

        int INativeVideoEncoder.Height { get { return height; } }

        /// <summary>
        /// Encodes one top-down BGR32 frame to a JPEG with avikit, for direct use (a writer's stream
        /// encodes natively on avikit's encoder threads instead), through a short-lived avikit
        /// writer on memory. Thread-safe.
        /// </summary>
        /// <exception cref="ArgumentNullException">A null array.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative offset.</exception>
        /// <exception cref="ArgumentException">The source is too short, or the JPEG does not fit
        /// into the destination.</exception>
        public int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame)
        {
            Check.NotNull(source, "source");
            Check.NotNegative(srcOffset, "srcOffset");
            Check.NotNull(destination, "destination");
            Check.NotNegative(destOffset, "destOffset");
            var len = width * height * 4;
            if ((long)srcOffset + len > source.Length)
                throw new ArgumentException("The source is shorter than Width * Height * 4 bytes from srcOffset.", "source");
            isKeyFrame = true;
            // Every JPEG stands alone, so a writer per call: nothing stays open for an encoder
            // that, as in SharpAvi, has no Dispose.
            using (var detached = DetachedEncoder.Video(((INativeVideoEncoder)this).NativeOptions(null)))
                return detached.EncodeFrame(source, srcOffset, len, destination, destOffset);
        }

        Avikit.VideoStreamOptions INativeVideoEncoder.NativeOptions(string name)
        {
            return new Avikit.VideoStreamOptions
            {
                Width = width, Height = height, Codec = Avikit.VideoCodec.Mjpeg, Quality = quality,
                InputFormat = Avikit.PixelFormat.Bgra32, Name = name,
            };
        }
    }

    /// <summary>SharpAvi's WPF Motion JPEG encoder, mapped to avikit's MJPEG (see
    /// <see cref="MJpegVideoEncoderBase"/>). Thread-safe.</summary>
    public sealed class MJpegWpfVideoEncoder : MJpegVideoEncoderBase
    {
        /// <summary>An encoder for frames of this size at <paramref name="quality"/> 1..100.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A size that is not positive, or a quality
        /// outside 1..100.</exception>
        public MJpegWpfVideoEncoder(int width, int height, int quality) : base(width, height, quality) { }
    }

    /// <summary>SharpAvi.ImageSharp's Motion JPEG encoder, mapped to avikit's MJPEG (see
    /// <see cref="MJpegVideoEncoderBase"/>): no ImageSharp dependency. Thread-safe.</summary>
    public sealed class MJpegImageSharpVideoEncoder : MJpegVideoEncoderBase
    {
        /// <summary>An encoder for frames of this size at <paramref name="quality"/> 1..100.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A size that is not positive, or a quality
        /// outside 1..100.</exception>
        public MJpegImageSharpVideoEncoder(int width, int height, int quality) : base(width, height, quality) { }
    }

    /// <summary>
    /// SharpAvi's Video for Windows MPEG-4 encoder, mapped to avikit's built-in H.264 (OpenH264):
    /// no codec install, any platform. The stream's FOURCC is "H264" whatever codec preference is
    /// given; the frame rate and frame count arguments are checked and not used (the writer's rate
    /// applies; a keyframe every two seconds). Where avikit was built without H.264 the constructor
    /// throws <see cref="NotSupportedException"/>.
    /// </summary>
    public class Mpeg4VcmVideoEncoder : IVideoEncoder, INativeVideoEncoder, IDisposable
    {
        private static readonly Lazy<bool> Available = new Lazy<bool>(() => DetachedEncoder.Probe(new Avikit.VideoStreamOptions
        {
            Width = 16, Height = 16, Codec = Avikit.VideoCodec.H264,
        }));

        private readonly int width, height, quality;
        private readonly object sync = new object();
        private DetachedEncoder detached;

        /// <summary>Whether avikit has H.264 (the encoder's only codec) built in.</summary>
        public static bool IsSupported() { return Available.Value; }

        /// <summary>SharpAvi's list of preferred VfW codecs: MP43, MP42, XVID, X264, DIVX. Accepted and
        /// not used.</summary>
        public static ReadOnlyCollection<FourCC> DefaultCodecPreference { get; } = new ReadOnlyCollection<FourCC>(new[]
        {
            CodecIds.MicrosoftMpeg4V3, CodecIds.MicrosoftMpeg4V2, CodecIds.Xvid, CodecIds.X264, CodecIds.DivX,
        });

        /// <summary>The one codec this encoder uses, H.264 ("H264"), when avikit has it; else none.</summary>
        public static CodecInfo[] GetAvailableCodecs()
        {
            return IsSupported() ? new[] { new CodecInfo(new FourCC("H264"), "H.264 (OpenH264, built into avikit)") } : new CodecInfo[0];
        }

        /// <summary>An H.264 encoder for frames of this size at <paramref name="quality"/> 1..100.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A size or frame rate that is not positive,
        /// a negative frame count, or a quality outside 1..100.</exception>
        /// <exception cref="NotSupportedException">avikit was built without H.264.</exception>
        public Mpeg4VcmVideoEncoder(int width, int height, double fps, int frameCount, int quality, params FourCC[] codecPreference)
        {
            Check.Positive(width, "width");
            Check.Positive(height, "height");
            Check.Positive(fps, "fps");
            Check.NotNegative(frameCount, "frameCount");
            Check.InRange(quality, 1, 100, "quality");
            if (!IsSupported())
                throw new NotSupportedException("This avikit library was built without H.264, which stands in for Video for Windows MPEG-4; use AddMJpegWpfVideoStream (Motion JPEG) or AddUncompressedVideoStream instead.");
            this.width = width;
            this.height = height;
            this.quality = quality;
        }

        /// <summary>"H264".</summary>
        public FourCC Codec { get { return new FourCC("H264"); } }

        /// <summary>24 bits.</summary>
        public BitsPerPixel BitsPerPixel { get { return BitsPerPixel.Bpp24; } }

        /// <summary>width * height * 4 bytes: more than an H.264 frame of this size takes.</summary>
        public int MaxEncodedSize { get { return Math.Max(width * height * 4, 1024); } }

        int INativeVideoEncoder.Width { get { return width; } }

        int INativeVideoEncoder.Height { get { return height; } }

        /// <summary>
        /// Encodes the next frame of a sequence to H.264 (Annex B) with avikit, for direct use (a
        /// writer's stream encodes natively instead). Frames depend on earlier ones: call it for
        /// every frame in order. Thread-safe: calls are serialized.
        /// </summary>
        /// <exception cref="ArgumentNullException">A null array.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative offset.</exception>
        /// <exception cref="ArgumentException">The source is too short, the frame does not fit into
        /// the destination, or a size H.264 refuses (odd, or under 16).</exception>
        /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
        public int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame)
        {
            Check.NotNull(source, "source");
            Check.NotNegative(srcOffset, "srcOffset");
            Check.NotNull(destination, "destination");
            Check.NotNegative(destOffset, "destOffset");
            var len = width * height * 4;
            if ((long)srcOffset + len > source.Length)
                throw new ArgumentException("The source is shorter than Width * Height * 4 bytes from srcOffset.", "source");
            lock (sync)
            {
                if (detached == null) detached = DetachedEncoder.Video(((INativeVideoEncoder)this).NativeOptions(null));
                var n = detached.EncodeFrame(source, srcOffset, len, destination, destOffset);
                isKeyFrame = DetachedEncoder.HasIdr(destination, destOffset, n);
                return n;
            }
        }

        /// <summary>Ends direct encoding (stops the avikit writer it used); a writer's stream needs
        /// no disposal.</summary>
        public void Dispose()
        {
            lock (sync)
            {
                if (detached != null) detached.Dispose();
            }
        }

        Avikit.VideoStreamOptions INativeVideoEncoder.NativeOptions(string name)
        {
            return new Avikit.VideoStreamOptions
            {
                Width = width, Height = height, Codec = Avikit.VideoCodec.H264, Quality = quality, Name = name,
            };
        }
    }

    /// <summary>
    /// SharpAvi's LAME MP3 encoder, mapped to avikit's MP3 stream: LAME is loaded by avikit at run
    /// time (libmp3lame.so.0, libmp3lame.dll or libmp3lame-0.dll, AVIKIT_LAME_PATH, or
    /// <see cref="SetLameDllLocation"/>). Input is 16-bit PCM of 1 or 2 channels.
    /// </summary>
    public sealed class Mp3LameAudioEncoder : IAudioEncoder, INativeAudioEncoder, IDisposable
    {
        /// <summary>The output bit rates SharpAvi accepts, in kbit/s: 64, 96, 128, 160, 192, 320.</summary>
        public static readonly int[] SupportedBitRates = { 64, 96, 128, 160, 192, 320 };

        private readonly int channelCount, sampleRate, bitRate;
        private readonly object sync = new object();
        private DetachedEncoder detached;

        /// <summary>
        /// Loads LAME from <paramref name="lameLibraryPath"/> (any LAME build with the libmp3lame
        /// API, such as libmp3lame.dll; SharpAvi's lame_enc.dll API is not used) for MP3 streams
        /// added afterwards, as long as no MP3 stream loaded LAME yet in this process. Optional: avikit
        /// finds an installed LAME by itself.
        /// </summary>
        /// <exception cref="ArgumentNullException">A null path.</exception>
        /// <exception cref="ArgumentOutOfRangeException">An empty path.</exception>
        /// <exception cref="DllNotFoundException">No file at the path.</exception>
        public static void SetLameDllLocation(string lameLibraryPath)
        {
            if (lameLibraryPath == null) throw new ArgumentNullException("lameLibraryPath");
            if (lameLibraryPath.Length == 0) throw new ArgumentOutOfRangeException("lameLibraryPath", "A non-empty path is required.");
            if (!File.Exists(lameLibraryPath)) throw new DllNotFoundException("No LAME library at '" + lameLibraryPath + "'.");
            Avikit.AvikitLibrary.SetLamePath(lameLibraryPath);
        }

        /// <summary>An encoder of <paramref name="channelCount"/> channels of 16-bit PCM at
        /// <paramref name="sampleRate"/> into MP3 at <paramref name="outputBitRateKbps"/>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Not 1 or 2 channels, a rate that is not
        /// positive, or a bit rate not in <see cref="SupportedBitRates"/>.</exception>
        /// <exception cref="NotSupportedException">avikit finds no LAME (the message says what to install).</exception>
        public Mp3LameAudioEncoder(int channelCount, int sampleRate, int outputBitRateKbps)
        {
            Check.InRange(channelCount, 1, 2, "channelCount");
            Check.Positive(sampleRate, "sampleRate");
            if (Array.IndexOf(SupportedBitRates, outputBitRateKbps) < 0)
                throw new ArgumentOutOfRangeException("outputBitRateKbps", "One of 64, 96, 128, 160, 192, 320 is required.");
            this.channelCount = channelCount;
            this.sampleRate = sampleRate;
            bitRate = outputBitRateKbps;
            DetachedEncoder.ThrowIfRefused(((INativeAudioEncoder)this).NativeOptions(null));
        }

        /// <summary>Channels, as given.</summary>
        public int ChannelCount { get { return channelCount; } }

        /// <summary>The sample rate, as given.</summary>
        public int SamplesPerSecond { get { return sampleRate; } }

        /// <summary>16, the input's bits per sample (as SharpAvi reports it).</summary>
        public int BitsPerSample { get { return 16; } }

        /// <summary><see cref="AudioFormats.Mp3"/>.</summary>
        public short Format { get { return AudioFormats.Mp3; } }

        /// <summary>The bit rate in bytes per second.</summary>
        public int BytesPerSecond { get { return bitRate * 1000 / 8; } }

        /// <summary>1.</summary>
        public int Granularity { get { return 1; } }

        /// <summary>MPEGLAYER3WAVEFORMAT's 12 bytes after WAVEFORMATEX (ID, flags, block size, frames
        /// per block, codec delay), as avikit writes them.</summary>
        public byte[] FormatSpecificData
        {
            get
            {
                var blockSize = (sampleRate <= 24000 ? 72 : 144) * bitRate * 1000 / sampleRate;
                var b = new byte[12];
                BitConverter.GetBytes((ushort)1).CopyTo(b, 0);       // MPEGLAYER3_ID_MPEG
                BitConverter.GetBytes(2u).CopyTo(b, 2);              // MPEGLAYER3_FLAG_PADDING_OFF
                BitConverter.GetBytes((ushort)blockSize).CopyTo(b, 6);
                BitConverter.GetBytes((ushort)1).CopyTo(b, 8);
                BitConverter.GetBytes((ushort)0).CopyTo(b, 10);
                return b;
            }
        }

        /// <summary>LAME's bound: 1.25 * samples + 7200 bytes.</summary>
        public int GetMaxEncodedLength(int sourceCount)
        {
            Check.NotNegative(sourceCount, "sourceCount");
            var samples = sourceCount / 2 / channelCount;
            return samples * 5 / 4 + 7200;
        }

        /// <summary>Encodes 16-bit PCM with avikit's LAME, for direct use (a writer's stream encodes
        /// natively instead); returns the MP3 frames completed so far (possibly 0). Thread-safe:
        /// calls are serialized.</summary>
        /// <exception cref="ArgumentNullException">A null array.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative offset or count.</exception>
        /// <exception cref="ArgumentException">A slice past the source's end, a count that is not
        /// whole samples, or output that does not fit into the destination.</exception>
        /// <exception cref="ObjectDisposedException">After <see cref="Flush"/> or Dispose.</exception>
        public int EncodeBlock(byte[] source, int sourceOffset, int sourceCount, byte[] destination, int destinationOffset)
        {
            Check.NotNull(source, "source");
            Check.NotNegative(sourceOffset, "sourceOffset");
            Check.Positive(sourceCount, "sourceCount");
            Check.NotNull(destination, "destination");
            Check.NotNegative(destinationOffset, "destinationOffset");
            if ((long)sourceOffset + sourceCount > source.Length)
                throw new ArgumentException("sourceOffset + sourceCount exceeds the length of source.", "source");
            lock (sync)
            {
                if (detached == null) detached = DetachedEncoder.Audio(((INativeAudioEncoder)this).NativeOptions(null));
                return detached.EncodeBlock(source, sourceOffset, sourceCount, destination, destinationOffset);
            }
        }

        /// <summary>Writes the MP3 frames LAME still holds and ends direct encoding.</summary>
        /// <exception cref="ArgumentNullException">A null array.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative offset.</exception>
        /// <exception cref="ArgumentException">The output does not fit into the destination.</exception>
        public int Flush(byte[] destination, int destinationOffset)
        {
            Check.NotNull(destination, "destination");
            Check.NotNegative(destinationOffset, "destinationOffset");
            lock (sync)
            {
                return detached == null ? 0 : detached.Finish(destination, destinationOffset);
            }
        }

        /// <summary>Ends direct encoding; a writer's stream needs no disposal.</summary>
        public void Dispose()
        {
            lock (sync)
            {
                if (detached != null) detached.Dispose();
            }
        }

        Avikit.AudioStreamOptions INativeAudioEncoder.NativeOptions(string name)
        {
            return new Avikit.AudioStreamOptions
            {
                Codec = Avikit.AudioCodec.Mp3, Channels = channelCount, SampleRate = sampleRate, BitsPerSample = 16,
                BitrateKbps = bitRate, Name = name,
            };
        }
    }

    /// <summary>
    /// Runs an encoder on a thread of its own: the factory, every member and Dispose are called
    /// there, for encoders that must stay on the thread that created them. SharpAvi's own encoders
    /// wrapped in it are still recognized by the writer and encoded inside avikit.
    /// </summary>
    public class SingleThreadedVideoEncoderWrapper : IVideoEncoder, IDisposable
    {
        private readonly IVideoEncoder encoder;
        private readonly Thread thread;
        private readonly BlockingQueue queue = new BlockingQueue();
        private int disposed;

        /// <summary>Starts the thread and creates the encoder on it.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="encoderFactory"/> is null.</exception>
        /// <exception cref="InvalidOperationException">The factory returned null.</exception>
        public SingleThreadedVideoEncoderWrapper(Func<IVideoEncoder> encoderFactory)
        {
            Check.NotNull(encoderFactory, "encoderFactory");
            thread = new Thread(queue.Run) { IsBackground = true, Name = "SharpAvi encoder" };
            thread.Start();
            encoder = Invoke(encoderFactory);
            if (encoder == null)
            {
                Dispose();
                throw new InvalidOperationException("The encoder factory returned null.");
            }
        }

        /// <summary>The wrapped encoder, for the writer to recognize built-in ones.</summary>
        internal IVideoEncoder Inner { get { return encoder; } }

        /// <summary>The encoder's, read on its thread.</summary>
        public FourCC Codec { get { return Invoke(() => encoder.Codec); } }

        /// <summary>The encoder's, read on its thread.</summary>
        public BitsPerPixel BitsPerPixel { get { return Invoke(() => encoder.BitsPerPixel); } }

        /// <summary>The encoder's, read on its thread.</summary>
        public int MaxEncodedSize { get { return Invoke(() => encoder.MaxEncodedSize); } }

        /// <summary>The encoder's EncodeFrame, on its thread; its exception is rethrown here.</summary>
        /// <exception cref="ObjectDisposedException">After Dispose.</exception>
        public int EncodeFrame(byte[] source, int srcOffset, byte[] destination, int destOffset, out bool isKeyFrame)
        {
            var key = false;
            var n = Invoke(() => encoder.EncodeFrame(source, srcOffset, destination, destOffset, out key));
            isKeyFrame = key;
            return n;
        }

        /// <summary>Disposes an IDisposable encoder on its thread and stops the thread. A second call
        /// does nothing.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            var d = encoder as IDisposable;
            if (d != null) queue.Call(() => { d.Dispose(); return true; });
            queue.Stop();
            if (Thread.CurrentThread != thread) thread.Join();
        }

        private T Invoke<T>(Func<T> f)
        {
            if (Volatile.Read(ref disposed) != 0) throw new ObjectDisposedException(typeof(SingleThreadedVideoEncoderWrapper).Name);
            return queue.Call(f);
        }

        /// <summary>The thread's work: calls run one at a time, in order.</summary>
        private sealed class BlockingQueue
        {
            private readonly System.Collections.Concurrent.BlockingCollection<Action> items =
                new System.Collections.Concurrent.BlockingCollection<Action>();

            internal void Run()
            {
                foreach (var a in items.GetConsumingEnumerable()) a();
            }

            internal T Call<T>(Func<T> f)
            {
                var tcs = new TaskCompletionSource<T>();
                try
                {
                    items.Add(() =>
                    {
                        try { tcs.SetResult(f()); }
                        catch (Exception e) { tcs.SetException(e); }
                    });
                }
                catch (InvalidOperationException)
                {
                    // Adding was completed: the wrapper was disposed meanwhile.
                    throw new ObjectDisposedException(typeof(SingleThreadedVideoEncoderWrapper).Name);
                }
                return tcs.Task.GetAwaiter().GetResult();
            }

            internal void Stop() { items.CompleteAdding(); }
        }
    }

    /// <summary>SharpAvi's extension methods that add encoding streams.</summary>
    public static class EncodingStreamFactory
    {
        /// <summary>A stream of 24-bit uncompressed frames from top-down BGR32 input
        /// (<see cref="UncompressedVideoEncoder"/>, converted by avikit).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A size that is not positive.</exception>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        /// <exception cref="ObjectDisposedException">After the writer's Close.</exception>
        public static IAviVideoStream AddUncompressedVideoStream(this AviWriter writer, int width, int height)
        {
            Check.NotNull(writer, "writer");
            return writer.AddEncodingVideoStream(new UncompressedVideoEncoder(width, height), true, width, height);
        }

        /// <summary>A Motion JPEG stream (<see cref="MJpegWpfVideoEncoder"/>: avikit's MJPEG, any platform).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A size that is not positive, or a quality outside 1..100.</exception>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        /// <exception cref="ObjectDisposedException">After the writer's Close.</exception>
        public static IAviVideoStream AddMJpegWpfVideoStream(this AviWriter writer, int width, int height, int quality = 70)
        {
            Check.NotNull(writer, "writer");
            return writer.AddEncodingVideoStream(new MJpegWpfVideoEncoder(width, height, quality), true, width, height);
        }

        /// <summary>An H.264 stream standing in for VfW MPEG-4 (<see cref="Mpeg4VcmVideoEncoder"/>);
        /// <paramref name="codec"/> is accepted and not used. With
        /// <paramref name="forceSingleThreadedAccess"/> the encoder is created inside a
        /// <see cref="SingleThreadedVideoEncoderWrapper"/>, as in SharpAvi.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">As <see cref="Mpeg4VcmVideoEncoder"/>'s constructor.</exception>
        /// <exception cref="NotSupportedException">avikit was built without H.264.</exception>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        /// <exception cref="ObjectDisposedException">After the writer's Close.</exception>
        public static IAviVideoStream AddMpeg4VcmVideoStream(this AviWriter writer, int width, int height, double fps,
            int frameCount = 0, int quality = 70, FourCC? codec = null, bool forceSingleThreadedAccess = false)
        {
            Check.NotNull(writer, "writer");
            Func<IVideoEncoder> create = () => codec.HasValue
                ? new Mpeg4VcmVideoEncoder(width, height, fps, frameCount, quality, codec.Value)
                : new Mpeg4VcmVideoEncoder(width, height, fps, frameCount, quality);
            var encoder = forceSingleThreadedAccess ? new SingleThreadedVideoEncoderWrapper(create) : create();
            return writer.AddEncodingVideoStream(encoder, true, width, height);
        }

        /// <summary>An MP3 stream (<see cref="Mp3LameAudioEncoder"/>: avikit's MP3, LAME loaded at run time).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">As <see cref="Mp3LameAudioEncoder"/>'s constructor.</exception>
        /// <exception cref="NotSupportedException">avikit finds no LAME.</exception>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        /// <exception cref="ObjectDisposedException">After the writer's Close.</exception>
        public static IAviAudioStream AddMp3LameAudioStream(this AviWriter writer, int channelCount, int sampleRate, int outputBitRateKbps = 160)
        {
            Check.NotNull(writer, "writer");
            return writer.AddEncodingAudioStream(new Mp3LameAudioEncoder(channelCount, sampleRate, outputBitRateKbps), true);
        }
    }

    /// <summary>SharpAvi.ImageSharp's extension method.</summary>
    public static class ImageSharpEncoderStreamFactory
    {
        /// <summary>A Motion JPEG stream (<see cref="MJpegImageSharpVideoEncoder"/>: avikit's MJPEG).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A size that is not positive, or a quality outside 1..100.</exception>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        /// <exception cref="ObjectDisposedException">After the writer's Close.</exception>
        public static IAviVideoStream AddMJpegImageSharpVideoStream(this AviWriter writer, int width, int height, int quality = 70)
        {
            Check.NotNull(writer, "writer");
            return writer.AddEncodingVideoStream(new MJpegImageSharpVideoEncoder(width, height, quality), true, width, height);
        }
    }
}
