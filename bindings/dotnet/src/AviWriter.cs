using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Avikit
{
    /// <summary>
    /// Writes an AVI file (AVI 1.0 / OpenDML) through avikit's asynchronous write queue: one worker
    /// thread per writer writes every stream's frames in begin order. Thread-safe.
    /// </summary>
    /// <remarks>
    /// Add every stream before the first write. Callbacks of Begin* run on the writer's worker
    /// thread; Task continuations never run there (they go to the thread pool or the awaiting
    /// context). Close (or Dispose) drains the queue, finalizes the file and reports the first
    /// error the writer met.
    /// </remarks>
    public sealed class AviWriter : IDisposable
    {
        private readonly WriterHandle handle;
        private readonly List<AviStream> streams = new List<AviStream>();
        private int pending;
        private int closeState;
        private Exception callbackError;

        /// <summary>Creates (or truncates) the file at <paramref name="path"/>.</summary>
        public AviWriter(string path) : this(path, null) { }

        /// <summary>Creates (or truncates) the file at <paramref name="path"/>.</summary>
        /// <exception cref="IOException">The file cannot be created (the message carries the OS error).</exception>
        public AviWriter(string path, AviWriterOptions options)
        {
            if (path == null) throw new ArgumentNullException("path");
            options = options ?? new AviWriterOptions();
            var o = options.ToNative();
            WriterHandle h;
            var st = Native.avk_writer_create(Native.Utf8z(path), ref o, out h);
            if (st != Native.AVK_OK)
            {
                var e = Errors.Last(st, null);
                h.Dispose();
                throw e;
            }
            handle = h;
            FramesPerSecond = options.FramesPerSecond;
            EmitIndex1 = options.EmitIndex1;
        }

        /// <summary>
        /// Writes through any writable, seekable <paramref name="stream"/> (a FileStream, a
        /// MemoryStream, a game engine's file system). The worker thread calls its Write, Seek and
        /// Flush, one call at a time. Close disposes it unless <paramref name="leaveOpen"/>.
        /// </summary>
        public AviWriter(Stream stream, bool leaveOpen = false, AviWriterOptions options = null)
        {
            if (stream == null) throw new ArgumentNullException("stream");
            if (!stream.CanWrite || !stream.CanSeek) throw new ArgumentException("the stream must be writable and seekable", "stream");
            options = options ?? new AviWriterOptions();
            var o = options.ToNative();
            var sink = new StreamSink(stream, leaveOpen);
            var io = new IoNative
            {
                StructSize = (uint)Marshal.SizeOf(typeof(IoNative)),
                User = sink.Register(),
                WriteAt = Callbacks.WriteAtPtr,
                Flush = Callbacks.FlushPtr,
                Close = Callbacks.ClosePtr,
            };
            WriterHandle h;
            var st = Native.avk_writer_create_io(ref io, ref o, out h);
            if (st != Native.AVK_OK)
            {
                var e = Errors.Last(st, sink);
                h.Dispose();
                // INVALID_ARGUMENT / UNSUPPORTED: the writer never took the sink; the caller keeps the stream.
                sink.Unregister();
                throw e;
            }
            Sink = sink;
            handle = h;
            FramesPerSecond = options.FramesPerSecond;
            EmitIndex1 = options.EmitIndex1;
        }

        /// <summary>The frame rate given at creation.</summary>
        public Rational FramesPerSecond { get; private set; }

        /// <summary>Whether the legacy idx1 index is written.</summary>
        public bool EmitIndex1 { get; private set; }

        /// <summary>Streams added so far, in index order.</summary>
        public IReadOnlyList<AviStream> Streams
        {
            get { lock (streams) return streams.ToArray(); }
        }

        /// <summary>Writes begun (Begin*/Write*Async) that have not completed yet.</summary>
        public int PendingWrites { get { return Volatile.Read(ref pending); } }

        internal StreamSink Sink { get; private set; }

        internal IntPtr Ptr { get { return handle.DangerousGetHandle(); } }

        /// <summary>A stream of frames written as given: with <paramref name="fourCC"/> null, an
        /// uncompressed bottom-up DIB (each frame exactly stride * height bytes, rows padded to 4
        /// bytes); otherwise pre-compressed frames of that FourCC (e.g. "MJPG").</summary>
        public AviVideoStream AddVideoStream(int width, int height, int bitsPerPixel = 32, string fourCC = null, string name = null)
        {
            return AddVideoStream(new VideoStreamOptions
            {
                Width = width, Height = height, Codec = VideoCodec.Raw, BitsPerPixel = bitsPerPixel, FourCC = fourCC, Name = name,
            });
        }

        /// <summary>A stream the library converts from <paramref name="inputFormat"/> pixels (rows
        /// top-down, or bottom-up with a negative stride) to an uncompressed BI_RGB DIB.</summary>
        public AviVideoStream AddUncompressedVideoStream(int width, int height, PixelFormat inputFormat = PixelFormat.Bgra32,
            int bitsPerPixel = 32, int inputStride = 0, string name = null)
        {
            return AddVideoStream(new VideoStreamOptions
            {
                Width = width, Height = height, Codec = VideoCodec.Uncompressed, InputFormat = inputFormat,
                BitsPerPixel = bitsPerPixel, InputStride = inputStride, Name = name,
            });
        }

        /// <summary>A stream the library encodes to Motion JPEG from <paramref name="inputFormat"/>
        /// pixels, on encoder threads (chunks still land in begin order).</summary>
        public AviVideoStream AddMjpegVideoStream(int width, int height, int quality = 75,
            PixelFormat inputFormat = PixelFormat.Bgra32, int inputStride = 0, string name = null)
        {
            return AddVideoStream(new VideoStreamOptions
            {
                Width = width, Height = height, Codec = VideoCodec.Mjpeg, Quality = quality, InputFormat = inputFormat,
                InputStride = inputStride, Name = name,
            });
        }

        /// <summary>Sets the RIFF INFO metadata entry <paramref name="id"/> ("INAM" title, "IART"
        /// artist, "ICMT" comment, "ICRD" date, "ISFT" software, ...: I and three uppercase letters or
        /// digits) to <paramref name="value"/>; an empty value removes it. Allowed until the first
        /// write.</summary>
        /// <exception cref="ArgumentException">A bad id, or a value over 65,000 UTF-8 bytes.</exception>
        /// <exception cref="InvalidOperationException">After the first write.</exception>
        public void SetInfo(string id, string value)
        {
            if (id == null) throw new ArgumentNullException("id");
            if (value == null) throw new ArgumentNullException("value");
            var st = Native.avk_writer_set_info(Ptr, Native.Utf8z(id), Native.Utf8z(value));
            GC.KeepAlive(this);
            if (st != Native.AVK_OK) throw Errors.Last(st, Sink);
        }

        /// <summary>The title (INFO INAM); set before the first write.</summary>
        public string Title { set { SetInfo("INAM", value ?? ""); } }

        /// <summary>Adds a video stream with every option; allowed until the first write.</summary>
        public AviVideoStream AddVideoStream(VideoStreamOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            var n = new VideoStreamOptionsNative
            {
                StructSize = (uint)Marshal.SizeOf(typeof(VideoStreamOptionsNative)),
                Width = NonNegative(options.Width, "Width"),
                Height = NonNegative(options.Height, "Height"),
                Codec = (int)options.Codec,
                FourCC = VideoStreamOptions.ParseFourCC(options.FourCC),
                BitsPerPixel = NonNegative(options.BitsPerPixel, "BitsPerPixel"),
                InputFormat = (int)options.InputFormat,
                InputStride = options.InputStride,
                Quality = NonNegative(options.Quality, "Quality"),
                KeyframeInterval = NonNegative(options.KeyframeInterval, "KeyframeInterval"),
                PixelAspectNum = (uint)options.PixelAspect.Numerator,
                PixelAspectDen = (uint)options.PixelAspect.Denominator,
            };
            n.Name = Native.AllocUtf8(options.Name);
            try
            {
                lock (streams)
                {
                    IntPtr s;
                    var st = Native.avk_writer_add_video_stream(Ptr, ref n, out s);
                    if (st != Native.AVK_OK) throw Errors.Last(st, Sink);
                    var stream = new AviVideoStream(this, s, streams.Count, options);
                    streams.Add(stream);
                    return stream;
                }
            }
            finally
            {
                if (n.Name != IntPtr.Zero) Marshal.FreeHGlobal(n.Name);
                GC.KeepAlive(this);
            }
        }

        /// <summary>An integer PCM stream; each block written must be a non-zero multiple of
        /// channels * bitsPerSample / 8 bytes.</summary>
        public AviAudioStream AddAudioStream(int channelCount = 2, int samplesPerSecond = 44100, int bitsPerSample = 16, string name = null)
        {
            return AddAudioStream(new AudioStreamOptions
            {
                Codec = AudioCodec.Pcm, Channels = channelCount, SampleRate = samplesPerSecond, BitsPerSample = bitsPerSample, Name = name,
            });
        }

        /// <summary>An MP3 stream encoded from 16-bit PCM with LAME, loaded at run time.</summary>
        /// <exception cref="NotSupportedException">MP3 encoding is not available (AVK_E_UNSUPPORTED).</exception>
        public AviAudioStream AddMp3AudioStream(int channelCount = 2, int samplesPerSecond = 44100, int bitRateKbps = 160, string name = null)
        {
            return AddAudioStream(new AudioStreamOptions
            {
                Codec = AudioCodec.Mp3, Channels = channelCount, SampleRate = samplesPerSecond, BitsPerSample = 16,
                BitrateKbps = bitRateKbps, Name = name,
            });
        }

        /// <summary>Adds an audio stream with every option; allowed until the first write.</summary>
        public AviAudioStream AddAudioStream(AudioStreamOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            var extra = options.FormatExtra;
            var n = new AudioStreamOptionsNative
            {
                StructSize = (uint)Marshal.SizeOf(typeof(AudioStreamOptionsNative)),
                Codec = (int)options.Codec,
                Channels = NonNegative(options.Channels, "Channels"),
                SampleRate = NonNegative(options.SampleRate, "SampleRate"),
                BitsPerSample = NonNegative(options.BitsPerSample, "BitsPerSample"),
                FormatTag = NonNegative(options.FormatTag, "FormatTag"),
                BlockAlign = NonNegative(options.BlockAlign, "BlockAlign"),
                BytesPerSecond = NonNegative(options.BytesPerSecond, "BytesPerSecond"),
                FormatExtraLen = (UIntPtr)(uint)(extra == null ? 0 : extra.Length),
                BitrateKbps = NonNegative(options.BitrateKbps, "BitrateKbps"),
                ChannelMask = (uint)options.ChannelMask,
            };
            var pin = extra != null && extra.Length > 0 ? GCHandle.Alloc(extra, GCHandleType.Pinned) : default(GCHandle);
            n.Name = Native.AllocUtf8(options.Name);
            try
            {
                if (pin.IsAllocated) n.FormatExtra = pin.AddrOfPinnedObject();
                lock (streams)
                {
                    IntPtr s;
                    var st = Native.avk_writer_add_audio_stream(Ptr, ref n, out s);
                    if (st != Native.AVK_OK) throw Errors.Last(st, Sink);
                    var stream = new AviAudioStream(this, s, streams.Count, options);
                    streams.Add(stream);
                    return stream;
                }
            }
            finally
            {
                if (pin.IsAllocated) pin.Free();
                if (n.Name != IntPtr.Zero) Marshal.FreeHGlobal(n.Name);
                GC.KeepAlive(this);
            }
        }

        /// <summary>Waits for every write begun before, indexes what was written and refreshes the
        /// header (the file plays as it stands), and hands the data to the OS (with
        /// <paramref name="durable"/> also to stable storage).</summary>
        public void Flush(bool durable = false)
        {
            var st = Native.avk_writer_flush(Ptr, durable ? Native.AVK_FLUSH_DURABLE : 0);
            if (st != Native.AVK_OK) throw Errors.Last(st, Sink);
            GC.KeepAlive(this);
        }

        /// <summary>
        /// A task that completes once every write begun before has completed and the library has
        /// checkpointed (as <see cref="Flush"/>). When no write is pending it returns an already
        /// completed task without a native call.
        /// </summary>
        public Task FlushAsync()
        {
            if (Volatile.Read(ref pending) == 0) return Task.CompletedTask;
            return AsyncOperation.Start(this, null, 0, null, 0, 0, null, null, true, CancellationToken.None).Task;
        }

        /// <summary>
        /// Drains the queue (every callback fires), finalizes the file and releases the writer and
        /// its streams. Throws the first error the writer met (IOException, ...), or the first
        /// exception a Begin* callback threw. A second Close does nothing.
        /// </summary>
        public void Close()
        {
            if (Interlocked.CompareExchange(ref closeState, 1, 0) != 0) return;
            Exception error = null;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                var st = Native.avk_writer_close(handle.DangerousGetHandle());
                if (st != Native.AVK_OK) error = Errors.Last(st, Sink);
                if (st == Native.AVK_E_WOULD_DEADLOCK) Volatile.Write(ref closeState, 0); // nothing was released
                else handle.SetHandleAsInvalid();
            }
            finally
            {
                if (added) handle.DangerousRelease();
            }
            if (error != null) throw error;
            var callbackFailure = Interlocked.Exchange(ref callbackError, null);
            if (callbackFailure != null) ExceptionDispatchInfo.Capture(callbackFailure).Throw();
        }

        /// <summary>Same as <see cref="Close"/>.</summary>
        public void Dispose() { Close(); }

        internal void AddPending() { Interlocked.Increment(ref pending); }

        internal void RemovePending() { Interlocked.Decrement(ref pending); }

        internal void RecordCallbackException(Exception e) { Interlocked.CompareExchange(ref callbackError, e, null); }

        private static uint NonNegative(int value, string name)
        {
            if (value < 0) throw new ArgumentOutOfRangeException("options", name + " is negative");
            return (uint)value;
        }
    }

    /// <summary>A stream of an <see cref="AviWriter"/>; released by the writer's Close.</summary>
    public abstract class AviStream
    {
        internal readonly IntPtr Handle;
        private int written;

        internal AviStream(AviWriter writer, IntPtr handle, int index, string name)
        {
            Writer = writer;
            Handle = handle;
            Index = index;
            Name = name;
        }

        public AviWriter Writer { get; private set; }

        /// <summary>Position of the stream in the file (0-based).</summary>
        public int Index { get; private set; }

        /// <summary>The 'strn' name, or null.</summary>
        public string Name { get; private set; }

        internal abstract AsyncKind Kind { get; }

        internal int Written { get { return Volatile.Read(ref written); } }

        internal void CountWritten() { Interlocked.Increment(ref written); }

        internal static void CheckBuffer(byte[] data, int offset, int count)
        {
            if (data == null) throw new ArgumentNullException("data");
            if (offset < 0) throw new ArgumentOutOfRangeException("offset");
            if (count < 0) throw new ArgumentOutOfRangeException("count");
            if (data.Length - offset < count) throw new ArgumentException("offset and count exceed the array", "count");
        }

        internal void WriteCore(uint flags, byte[] data, int offset, int count)
        {
            CheckBuffer(data, offset, count);
            var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
            try
            {
                var ptr = count == 0 ? IntPtr.Zero : pin.AddrOfPinnedObject() + offset;
                var len = (UIntPtr)(uint)count;
                var st = Kind == AsyncKind.VideoFrame
                    ? Native.avk_video_stream_write_frame(Handle, flags, ptr, len)
                    : Native.avk_audio_stream_write_block(Handle, flags, ptr, len);
                if (st != Native.AVK_OK) throw Errors.Last(st, Writer.Sink);
                CountWritten();
            }
            finally
            {
                pin.Free();
                GC.KeepAlive(this);
            }
        }

        internal IAsyncResult BeginCore(uint flags, byte[] data, int offset, int count, AsyncCallback callback, object state)
        {
            CheckBuffer(data, offset, count);
            return AsyncOperation.Start(Writer, this, flags, data, offset, count, callback, state, false, CancellationToken.None);
        }

        internal Task WriteAsyncCore(uint flags, byte[] data, int offset, int count, CancellationToken cancellationToken)
        {
            CheckBuffer(data, offset, count);
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
            return AsyncOperation.Start(Writer, this, flags, data, offset, count, null, null, true, cancellationToken).Task;
        }
    }

    /// <summary>A video stream. The buffer of a pending write must stay unchanged until the write
    /// completes (the binding pins it meanwhile).</summary>
    public sealed class AviVideoStream : AviStream
    {
        internal AviVideoStream(AviWriter writer, IntPtr handle, int index, VideoStreamOptions o)
            : base(writer, handle, index, o.Name)
        {
            Width = o.Width;
            Height = o.Height;
            Codec = o.Codec;
            BitsPerPixel = o.BitsPerPixel;
        }

        public int Width { get; private set; }
        public int Height { get; private set; }
        public VideoCodec Codec { get; private set; }
        public int BitsPerPixel { get; private set; }

        /// <summary>Frames that completed successfully.</summary>
        public int FramesWritten { get { return Written; } }

        internal override AsyncKind Kind { get { return AsyncKind.VideoFrame; } }

        private static uint Flags(bool isKeyFrame) { return isKeyFrame ? Native.AVK_FRAME_KEYFRAME : 0; }

        /// <summary>Writes one frame and returns once it is in the file (same queue as the async writes).</summary>
        public void WriteFrame(bool isKeyFrame, byte[] data, int offset, int count)
        {
            WriteCore(Flags(isKeyFrame), data, offset, count);
        }

        /// <summary>Writes a whole array as one frame.</summary>
        public void WriteFrame(bool isKeyFrame, byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            WriteCore(Flags(isKeyFrame), data, 0, data.Length);
        }

        /// <summary>Queues one frame (APM). <paramref name="callback"/> runs on the writer's worker
        /// thread once the frame is in the file; call <see cref="EndWriteFrame"/> exactly once.</summary>
        public IAsyncResult BeginWriteFrame(bool isKeyFrame, byte[] data, int offset, int count, AsyncCallback callback, object state)
        {
            return BeginCore(Flags(isKeyFrame), data, offset, count, callback, state);
        }

        /// <summary>Waits for a frame write and throws its failure.</summary>
        public void EndWriteFrame(IAsyncResult asyncResult)
        {
            AsyncOperation.End(asyncResult, this, "EndWriteFrame");
        }

        /// <summary>Queues one frame; the task completes once it is in the file. Canceling the token
        /// skips the frame if it is still queued (the task is then canceled).</summary>
        public Task WriteFrameAsync(bool isKeyFrame, byte[] data, int offset, int count,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(Flags(isKeyFrame), data, offset, count, cancellationToken);
        }
    }

    /// <summary>An audio stream. The buffer of a pending write must stay unchanged until the write
    /// completes (the binding pins it meanwhile).</summary>
    public sealed class AviAudioStream : AviStream
    {
        internal AviAudioStream(AviWriter writer, IntPtr handle, int index, AudioStreamOptions o)
            : base(writer, handle, index, o.Name)
        {
            Codec = o.Codec;
            ChannelCount = o.Channels;
            SamplesPerSecond = o.SampleRate;
            BitsPerSample = o.BitsPerSample;
        }

        public AudioCodec Codec { get; private set; }
        public int ChannelCount { get; private set; }
        public int SamplesPerSecond { get; private set; }
        public int BitsPerSample { get; private set; }

        /// <summary>Blocks that completed successfully.</summary>
        public int BlocksWritten { get { return Written; } }

        internal override AsyncKind Kind { get { return AsyncKind.AudioBlock; } }

        /// <summary>Writes one block and returns once it is in the file.</summary>
        public void WriteBlock(byte[] data, int offset, int count)
        {
            WriteCore(0, data, offset, count);
        }

        /// <summary>Queues one block (APM); see <see cref="AviVideoStream.BeginWriteFrame"/>.</summary>
        public IAsyncResult BeginWriteBlock(byte[] data, int offset, int count, AsyncCallback callback, object state)
        {
            return BeginCore(0, data, offset, count, callback, state);
        }

        /// <summary>Waits for a block write and throws its failure.</summary>
        public void EndWriteBlock(IAsyncResult asyncResult)
        {
            AsyncOperation.End(asyncResult, this, "EndWriteBlock");
        }

        /// <summary>Queues one block; see <see cref="AviVideoStream.WriteFrameAsync"/>.</summary>
        public Task WriteBlockAsync(byte[] data, int offset, int count, CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(0, data, offset, count, cancellationToken);
        }
    }
}
