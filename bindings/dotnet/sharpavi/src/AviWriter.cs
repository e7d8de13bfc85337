using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using SharpAvi.Codecs;

namespace SharpAvi.Output
{
    /// <summary>
    /// SharpAvi's AVI writer, on top of avikit (<see cref="Avikit.AviWriter"/>). Thread-safe.
    /// </summary>
    /// <remarks>
    /// As in SharpAvi, the writer's and the streams' properties may change until the first frame or
    /// block is written; that first write creates the avikit writer and its streams from them, and
    /// from then on every setter and every Add*Stream throws <see cref="InvalidOperationException"/>.
    /// Writes go into avikit's queue: one worker thread writes every stream's data in call order.
    /// <see cref="Close"/> (or Dispose) waits for every write, flushes audio encoders and finalizes
    /// the file; afterwards every write throws <see cref="ObjectDisposedException"/>.
    /// </remarks>
    public class AviWriter : IDisposable
    {
        /// <summary>Started writers that were not closed, closed at ProcessExit: CoreCLR runs no
        /// finalizers at exit, so the file would stay unfinished, and Mono's finalizer closes a
        /// writer while the runtime shuts down, where a Stream sink's callbacks hang the exit
        /// (SharpAvi's writers never held an exit up).</summary>
        private static readonly HashSet<AviWriter> OpenWriters = new HashSet<AviWriter>();

        private readonly object sync = new object();
        private readonly string path;
        private readonly Stream stream;
        private readonly bool leaveOpen;
        private readonly List<IAviStream> streams = new List<IAviStream>();
        private readonly Avikit.AviWriterOptions options = new Avikit.AviWriterOptions();
        private Avikit.AviWriter native;
        private bool closed;
        private decimal framesPerSecond = 1;
        private bool emitIndex1;
        private int maxSuperIndexEntries = 256;

        static AviWriter()
        {
            AppDomain.CurrentDomain.ProcessExit += (sender, e) =>
            {
                AviWriter[] left;
                lock (OpenWriters) left = new List<AviWriter>(OpenWriters).ToArray();
                foreach (var w in left)
                {
                    try { w.Close(); }
                    catch (Exception) { /* the process is exiting: nobody is left to report to */ }
                }
            };
        }

        /// <summary>Creates (or truncates) the file at <paramref name="fileName"/> at once, so a bad
        /// path fails here; avikit writes it from the first frame on.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="fileName"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileName"/> is empty.</exception>
        /// <exception cref="IOException">The file cannot be created (and the other exceptions of
        /// <see cref="FileStream"/>'s constructor).</exception>
        public AviWriter(string fileName)
        {
            if (fileName == null) throw new ArgumentNullException("fileName");
            if (fileName.Length == 0) throw new ArgumentOutOfRangeException("fileName", "A non-empty path is required.");
            new FileStream(fileName, FileMode.Create, FileAccess.Write).Dispose();
            path = fileName;
        }

        /// <summary>Writes into <paramref name="stream"/>, which must be writable and seekable; avikit's
        /// worker thread calls its Write, Seek and Flush. <see cref="Close"/> disposes it unless
        /// <paramref name="leaveOpen"/>.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The stream is not writable or not seekable.</exception>
        public AviWriter(Stream stream, bool leaveOpen = false)
        {
            if (stream == null) throw new ArgumentNullException("stream");
            if (!stream.CanWrite) throw new ArgumentOutOfRangeException("stream", "The stream is not writable.");
            if (!stream.CanSeek) throw new ArgumentOutOfRangeException("stream", "The stream is not seekable.");
            this.stream = stream;
            this.leaveOpen = leaveOpen;
        }

        /// <summary>
        /// Frame rate; default 1. Rounded to 3 fractional digits as in SharpAvi, then written as an
        /// exact rational: an NTSC rate (29.97, 23.976, 59.94, ...: n*1000/1001 rounded to the digits
        /// given) becomes n*1000/1001 (29.97 is 30000/1001), any other decimal its exact fraction
        /// (12.5 is 25/2). Set before the first write.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        public decimal FramesPerSecond
        {
            get { lock (sync) return framesPerSecond; }
            set
            {
                if (value <= 0) throw new ArgumentOutOfRangeException("value", "A positive frame rate is required.");
                var rounded = decimal.Round(value, 3);
                // Converted here too, so a rate avikit cannot hold fails at the setter.
                FrameRate(rounded);
                lock (sync)
                {
                    CheckNotStarted();
                    framesPerSecond = rounded;
                }
            }
        }

        /// <summary>Whether the AVI 1.0 'idx1' index is written besides the OpenDML indexes; default
        /// false as in SharpAvi (avikit's own default is true). Set before the first write.</summary>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        public bool EmitIndex1
        {
            get { lock (sync) return emitIndex1; }
            set
            {
                lock (sync)
                {
                    CheckNotStarted();
                    emitIndex1 = value;
                }
            }
        }

        /// <summary>
        /// SharpAvi's OpenDML super index size (default 256). avikit's super index entries each cover
        /// a RIFF segment of about 1 GiB instead of at most 15,000 frames, so the value maps to
        /// avikit's <see cref="Avikit.AviWriterOptions.SuperIndexCapacity"/> as
        /// max(value, 4608) (at most 65536): never less room than SharpAvi gave, and at least
        /// avikit's default of more than 4 TiB per stream. Set before the first write.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        public int MaxSuperIndexEntries
        {
            get { lock (sync) return maxSuperIndexEntries; }
            set
            {
                Check.Positive(value, "value");
                lock (sync)
                {
                    CheckNotStarted();
                    maxSuperIndexEntries = value;
                }
            }
        }

        /// <summary>
        /// avikit's writer options (not in SharpAvi): durability, checkpoint interval, queue limit and
        /// encoder threads may be changed here before the first write. Its
        /// <see cref="Avikit.AviWriterOptions.FramesPerSecond"/>, EmitIndex1 and SuperIndexCapacity
        /// are taken from <see cref="FramesPerSecond"/>, <see cref="EmitIndex1"/> and
        /// <see cref="MaxSuperIndexEntries"/> at the first write. Changes after it have no effect.
        /// </summary>
        public Avikit.AviWriterOptions AvikitOptions { get { return options; } }

        /// <summary>The streams added so far, in index order.</summary>
        public IReadOnlyList<IAviStream> Streams
        {
            get { lock (sync) return streams.ToArray(); }
        }

        /// <summary>Adds a stream of frames written as given: an uncompressed bottom-up DIB of
        /// <paramref name="bitsPerPixel"/> by default (each frame exactly one padded row times the
        /// height), or pre-compressed frames once <see cref="IAviVideoStream.Codec"/> is set.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A size that is not positive, or an unknown
        /// <paramref name="bitsPerPixel"/>.</exception>
        /// <exception cref="InvalidOperationException">After the first write, or with 100 streams.</exception>
        /// <exception cref="ObjectDisposedException">After <see cref="Close"/>.</exception>
        public IAviVideoStream AddVideoStream(int width = 1, int height = 1, BitsPerPixel bitsPerPixel = BitsPerPixel.Bpp32)
        {
            Check.Positive(width, "width");
            Check.Positive(height, "height");
            Check.Enum(bitsPerPixel, "bitsPerPixel");
            return (IAviVideoStream)AddStream(index => new VideoStream(this, index, width, height, bitsPerPixel, null, false));
        }

        /// <summary>
        /// Adds a stream that encodes top-down BGR32 frames (width * height * 4 bytes; the length
        /// argument of writes is ignored, as in SharpAvi) with <paramref name="encoder"/>. SharpAvi's
        /// own encoders run inside avikit (UncompressedVideoEncoder: native conversion;
        /// MJpegWpfVideoEncoder, MJpegImageSharpVideoEncoder: avikit's MJPEG on encoder threads;
        /// Mpeg4VcmVideoEncoder: avikit's H.264), also inside a SingleThreadedVideoEncoderWrapper.
        /// Any other encoder's EncodeFrame runs on the writing thread and its output is written as a
        /// raw stream of the encoder's Codec and BitsPerPixel. With <paramref name="ownsEncoder"/>, Close
        /// disposes an IDisposable encoder.
        /// </summary>
        /// <exception cref="ArgumentNullException"><paramref name="encoder"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A size that is not positive.</exception>
        /// <exception cref="InvalidOperationException">After the first write, or with 100 streams.</exception>
        /// <exception cref="ObjectDisposedException">After <see cref="Close"/>.</exception>
        public IAviVideoStream AddEncodingVideoStream(IVideoEncoder encoder, bool ownsEncoder = true, int width = 1, int height = 1)
        {
            Check.NotNull(encoder, "encoder");
            Check.Positive(width, "width");
            Check.Positive(height, "height");
            return (IAviVideoStream)AddStream(index => new VideoStream(this, index, width, height, BitsPerPixel.Bpp32, encoder, ownsEncoder));
        }

        /// <summary>Adds a PCM stream (each block a whole number of samples of every channel); its
        /// Format, BytesPerSecond, Granularity and FormatSpecificData may be changed before the first
        /// write for pre-compressed blocks, which are then written as given.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A value that is not positive, or bits per
        /// sample not a multiple of 8.</exception>
        /// <exception cref="InvalidOperationException">After the first write, or with 100 streams.</exception>
        /// <exception cref="ObjectDisposedException">After <see cref="Close"/>.</exception>
        public IAviAudioStream AddAudioStream(int channelCount = 1, int samplesPerSecond = 44100, int bitsPerSample = 16)
        {
            Check.Positive(channelCount, "channelCount");
            Check.Positive(samplesPerSecond, "samplesPerSecond");
            Check.Positive(bitsPerSample, "bitsPerSample");
            if (bitsPerSample % 8 != 0) throw new ArgumentOutOfRangeException("bitsPerSample", "A multiple of 8 is required.");
            return (IAviAudioStream)AddStream(index => new AudioStream(this, index, channelCount, samplesPerSecond, bitsPerSample, null, false));
        }

        /// <summary>Adds a stream that encodes blocks with <paramref name="encoder"/>.
        /// Mp3LameAudioEncoder runs inside avikit (its MP3 stream, LAME loaded at run time); any other
        /// encoder's EncodeBlock runs on the writing thread, its Flush at <see cref="Close"/>, and
        /// its output is written as given with the encoder's format. With
        /// <paramref name="ownsEncoder"/>, Close disposes an IDisposable encoder.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="encoder"/> is null.</exception>
        /// <exception cref="InvalidOperationException">After the first write, or with 100 streams.</exception>
        /// <exception cref="ObjectDisposedException">After <see cref="Close"/>.</exception>
        public IAviAudioStream AddEncodingAudioStream(IAudioEncoder encoder, bool ownsEncoder = true)
        {
            Check.NotNull(encoder, "encoder");
            return (IAviAudioStream)AddStream(index => new AudioStream(this, index, 1, 44100, 16, encoder, ownsEncoder));
        }

        /// <summary>
        /// Waits for every write, flushes the audio encoders, finalizes the file and releases it (and
        /// the stream given to the constructor unless leaveOpen). A writer that never wrote leaves
        /// the file empty, as SharpAvi does. Disposes the encoders the writer owns. Throws the first
        /// error avikit met while writing; a second Close does nothing.
        /// </summary>
        public void Close()
        {
            Avikit.AviWriter toClose;
            IAviStream[] all;
            lock (sync)
            {
                if (closed) return;
                closed = true;
                toClose = native;
                all = streams.ToArray();
            }
            lock (OpenWriters) OpenWriters.Remove(this);
            try
            {
                if (toClose != null)
                {
                    try
                    {
                        foreach (var s in all)
                        {
                            var audio = s as AudioStream;
                            if (audio != null) audio.FlushEncoder();
                        }
                    }
                    finally
                    {
                        toClose.Close();
                    }
                }
            }
            finally
            {
                if (stream != null && !leaveOpen) stream.Dispose();
                foreach (var s in all) ((StreamBase)s).DisposeEncoder();
            }
        }

        /// <summary>Same as <see cref="Close"/>.</summary>
        void IDisposable.Dispose() { Close(); }

        /// <summary>The avikit writer, created with every stream by the first write.</summary>
        /// <exception cref="ObjectDisposedException">After Close.</exception>
        internal Avikit.AviWriter Start()
        {
            lock (sync)
            {
                if (closed) throw new ObjectDisposedException(typeof(AviWriter).Name);
                if (native != null) return native;
                options.FramesPerSecond = FrameRate(framesPerSecond);
                options.EmitIndex1 = emitIndex1;
                options.SuperIndexCapacity = Math.Min(65536, Math.Max(maxSuperIndexEntries, 4608));
                // The caller's stream is left open by avikit and disposed by Close here, so a first
                // write whose stream settings avikit refuses does not lose it.
                var w = path != null ? new Avikit.AviWriter(path, options) : new Avikit.AviWriter(stream, true, options);
                try
                {
                    foreach (var s in streams) ((StreamBase)s).CreateNative(w);
                }
                catch
                {
                    // avikit refused a stream's settings: this writer is dropped, and the next
                    // write starts the file over with whatever the caller fixed.
                    try { w.Close(); }
                    catch (Exception) { /* the refusal below is the error to report */ }
                    throw;
                }
                native = w;
                lock (OpenWriters) OpenWriters.Add(this);
                return w;
            }
        }

        /// <summary>
        /// A task faulted with <paramref name="e"/>: SharpAvi's Task writes report state errors
        /// (closed writer, refused settings, encoder failures) in the task and only argument
        /// errors at once.
        /// </summary>
        internal static Task Faulted(Exception e)
        {
            var tcs = new TaskCompletionSource<bool>();
            tcs.SetException(e);
            return tcs.Task;
        }

        internal bool Started { get { lock (sync) return native != null; } }

        /// <summary>Runs a setter's change unless the first write happened (then
        /// InvalidOperationException), atomically with respect to it.</summary>
        internal void Mutate(Action change)
        {
            lock (sync)
            {
                CheckNotStarted();
                change();
            }
        }

        internal void CheckNotStarted()
        {
            lock (sync)
            {
                if (native != null) throw new InvalidOperationException("Stream and writer settings cannot change after the first frame was written.");
            }
        }

        private IAviStream AddStream(Func<int, IAviStream> create)
        {
            lock (sync)
            {
                if (closed) throw new ObjectDisposedException(typeof(AviWriter).Name);
                CheckNotStarted();
                if (streams.Count >= 100) throw new InvalidOperationException("An AVI file holds at most 100 streams.");
                var s = create(streams.Count);
                streams.Add(s);
                return s;
            }
        }

        /// <summary>The exact rate of a decimal one (see <see cref="FramesPerSecond"/>).</summary>
        internal static Avikit.Rational FrameRate(decimal rounded)
        {
            if (rounded != decimal.Truncate(rounded))
            {
                var whole = decimal.Round(rounded * 1.001m);
                if (whole > 0 && whole <= int.MaxValue / 1000)
                {
                    var digits = (decimal.GetBits(rounded)[3] >> 16) & 0xff;
                    if (decimal.Round(whole * 1000m / 1001m, digits) == rounded)
                        return new Avikit.Rational((int)whole * 1000, 1001);
                }
            }
            return Avikit.Rational.FromDecimal(rounded);
        }
    }

    /// <summary>A stream of an <see cref="AviWriter"/>.</summary>
    public interface IAviStream
    {
        /// <summary>The stream's position among the writer's streams, from 0.</summary>
        int Index { get; }

        /// <summary>The stream's name ('strn' chunk), or null; set before the first write
        /// (afterwards <see cref="InvalidOperationException"/>).</summary>
        string Name { get; set; }
    }

    /// <summary>A video stream. Properties may be set until the writer's first write; afterwards
    /// setters throw <see cref="InvalidOperationException"/>. Writes are thread-safe and land in
    /// call order.</summary>
    public interface IAviVideoStream : IAviStream
    {
        /// <summary>Frame width in pixels.</summary>
        int Width { get; set; }

        /// <summary>Frame height in pixels.</summary>
        int Height { get; set; }

        /// <summary>Bits per pixel; on an encoding stream the encoder's (the setter throws
        /// <see cref="NotSupportedException"/>).</summary>
        BitsPerPixel BitsPerPixel { get; set; }

        /// <summary>The stream's codec; <see cref="CodecIds.Uncompressed"/> by default; on an
        /// encoding stream the encoder's (the setter throws <see cref="NotSupportedException"/>).</summary>
        FourCC Codec { get; set; }

        /// <summary>Writes a frame and returns once it is in the file. On an encoding stream the data
        /// is a top-down BGR32 image of Width * Height * 4 bytes from <paramref name="startIndex"/>
        /// (<paramref name="length"/> and <paramref name="isKeyFrame"/> are ignored).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="frameData"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative start or a length that is not positive.</exception>
        /// <exception cref="ArgumentException">The slice passes the array's end, or a frame of the
        /// wrong size for an uncompressed stream (avikit checks it).</exception>
        /// <exception cref="ObjectDisposedException">The writer was closed.</exception>
        void WriteFrame(bool isKeyFrame, byte[] frameData, int startIndex, int length);

        /// <summary>Queues a frame, as <see cref="WriteFrame"/>; the task completes once it is in the
        /// file. The array must stay unchanged until then. Argument errors throw at once; a closed
        /// writer faults the task with <see cref="ObjectDisposedException"/>.</summary>
        Task WriteFrameAsync(bool isKeyFrame, byte[] frameData, int startIndex, int length);

        /// <summary>SharpAvi 2's APM form of <see cref="WriteFrameAsync"/>: queues the frame;
        /// <paramref name="userCallback"/> runs on avikit's worker thread once it is in the file.
        /// Every error is thrown here at once.</summary>
        IAsyncResult BeginWriteFrame(bool isKeyFrame, byte[] frameData, int startIndex, int length, AsyncCallback userCallback, object stateObject);

        /// <summary>Waits for a write begun by <see cref="BeginWriteFrame"/> on this stream and throws
        /// its error.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="asyncResult"/> is null.</exception>
        /// <exception cref="ArgumentException">It is not from this stream's BeginWriteFrame.</exception>
        /// <exception cref="InvalidOperationException">It was ended already.</exception>
        void EndWriteFrame(IAsyncResult asyncResult);

        /// <summary>Frames written so far (completed writes).</summary>
        int FramesWritten { get; }
    }

    /// <summary>An audio stream. Properties may be set until the writer's first write; afterwards
    /// setters throw <see cref="InvalidOperationException"/>. Writes are thread-safe and land in
    /// call order.</summary>
    public interface IAviAudioStream : IAviStream
    {
        /// <summary>Number of channels.</summary>
        int ChannelCount { get; set; }

        /// <summary>Sample rate.</summary>
        int SamplesPerSecond { get; set; }

        /// <summary>Bits per sample.</summary>
        int BitsPerSample { get; set; }

        /// <summary>WAVE format tag (<see cref="AudioFormats"/>).</summary>
        short Format { get; set; }

        /// <summary>Average bytes per second.</summary>
        int BytesPerSecond { get; set; }

        /// <summary>Block alignment in bytes (WAVEFORMATEX.nBlockAlign).</summary>
        int Granularity { get; set; }

        /// <summary>The format's extra bytes after WAVEFORMATEX, or null.</summary>
        byte[] FormatSpecificData { get; set; }

        /// <summary>Writes a block and returns once it is in the file.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative start or a length that is not positive.</exception>
        /// <exception cref="ArgumentException">The slice passes the array's end, or a PCM block that
        /// is not a whole number of samples (avikit checks it).</exception>
        /// <exception cref="ObjectDisposedException">The writer was closed.</exception>
        void WriteBlock(byte[] data, int startIndex, int length);

        /// <summary>Queues a block, as <see cref="WriteBlock"/>; the task completes once it is in the
        /// file. The array must stay unchanged until then. Argument errors throw at once; a closed
        /// writer faults the task with <see cref="ObjectDisposedException"/>.</summary>
        Task WriteBlockAsync(byte[] data, int startIndex, int length);

        /// <summary>SharpAvi 2's APM form of <see cref="WriteBlockAsync"/>;
        /// <paramref name="userCallback"/> runs on avikit's worker thread. Every error is thrown
        /// here at once.</summary>
        IAsyncResult BeginWriteBlock(byte[] data, int startIndex, int length, AsyncCallback userCallback, object stateObject);

        /// <summary>Waits for a write begun by <see cref="BeginWriteBlock"/> on this stream and throws
        /// its error.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="asyncResult"/> is null.</exception>
        /// <exception cref="ArgumentException">It is not from this stream's BeginWriteBlock.</exception>
        /// <exception cref="InvalidOperationException">It was ended already.</exception>
        void EndWriteBlock(IAsyncResult asyncResult);

        /// <summary>Blocks written so far (completed writes).</summary>
        int BlocksWritten { get; }
    }
}
