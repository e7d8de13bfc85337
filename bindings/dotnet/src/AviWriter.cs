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
                Sync = Callbacks.SyncPtr,
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
                ColorMatrix = (int)options.ColorMatrix,
                Prediction = (int)options.Prediction,
                Slices = NonNegative(options.Slices, "Slices"),
                VideoFlags = (uint)options.Flags,
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
        /// <paramref name="durable"/>, or the default <see cref="Durability.Checkpoints"/>, also to
        /// stable storage, data before the header that points at it).</summary>
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
            return AsyncOperation.Start(this, null, default(WriteRequest), null, null, true, CancellationToken.None, false).Task;
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
    /// <remarks>
    /// Every write takes either a slice of a byte array, pinned by the binding until the write
    /// completes, or an <see cref="IntPtr"/> and a length: unmanaged memory such as a Unity
    /// <c>NativeArray</c>'s (<c>NativeArrayUnsafeUtility.GetUnsafeReadOnlyPtr</c>) or
    /// <see cref="Marshal.AllocHGlobal(int)"/>'s, written without a copy. Either way the bytes must
    /// stay valid and unchanged until the write completes (the synchronous call returns, End
    /// returns, the callback runs or the task completes).
    /// </remarks>
    public abstract class AviStream
    {
        private static readonly Task<bool> NotQueued = Task.FromResult(false);
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

        /// <summary>The stream's counters now: chunks, empty frames, dropped writes, bytes, samples,
        /// inserted silence. Thread-safe; never waits for the worker.</summary>
        /// <exception cref="ObjectDisposedException">The writer was closed.</exception>
        public StreamStats Stats
        {
            get
            {
                var n = new StreamStatsNative { StructSize = (uint)Marshal.SizeOf(typeof(StreamStatsNative)) };
                var st = Kind == AsyncKind.VideoFrame
                    ? Native.avk_video_stream_get_stats(Handle, ref n)
                    : Native.avk_audio_stream_get_stats(Handle, ref n);
                if (st != Native.AVK_OK) throw Errors.Last(st, null);
                GC.KeepAlive(this);
                return StreamStats.From(n);
            }
        }

        internal abstract AsyncKind Kind { get; }

        internal int Written { get { return Volatile.Read(ref written); } }

        internal void CountWritten() { Interlocked.Increment(ref written); }

        /// <summary>Begin + end; false only for a Try* write the library refused.</summary>
        internal bool WriteCore(WriteRequest request, bool tryOnly)
        {
            GCHandle pin;
            var ptr = request.Pin(out pin);
            try
            {
                var st = request.Write(Kind, Handle, ptr);
                if (st == Native.AVK_OK)
                {
                    CountWritten();
                    return true;
                }
                if (tryOnly && WriteRequest.IsRefusal(st)) return false;
                throw Errors.Last(st, Writer.Sink);
            }
            finally
            {
                if (pin.IsAllocated) pin.Free();
                GC.KeepAlive(this);
            }
        }

        internal IAsyncResult BeginCore(WriteRequest request, AsyncCallback callback, object state)
        {
            return AsyncOperation.Start(Writer, this, request, callback, state, false, CancellationToken.None, false);
        }

        internal bool TryBeginCore(WriteRequest request, AsyncCallback callback, object state, out IAsyncResult asyncResult)
        {
            asyncResult = AsyncOperation.Start(Writer, this, request, callback, state, false, CancellationToken.None, true);
            return asyncResult != null;
        }

        /// <summary>The task of a queued write (true once written); a Try* write the library
        /// refused gets a completed false.</summary>
        internal Task<bool> WriteAsyncCore(WriteRequest request, CancellationToken cancellationToken, bool tryOnly)
        {
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<bool>(cancellationToken);
            var op = AsyncOperation.Start(Writer, this, request, null, null, true, cancellationToken, tryOnly);
            return op == null ? NotQueued : op.Task;
        }
    }

    /// <summary>A video stream.</summary>
    /// <remarks>
    /// <para>Untimed writes take the stream's next frame slot. Timed writes (a
    /// <c>captureTime</c>) turn irregular capture into the file's constant rate: the frame goes to
    /// slot round(captureTime * FramesPerSecond), time zero being the writer's first timed write of
    /// any stream; a gap is filled with empty frames (players show the previous frame again); a
    /// frame whose slot is already taken is dropped (<see cref="AvikitStatus.Dropped"/>: nothing
    /// queued, no callback). Timed and untimed writes may be mixed.</para>
    /// <para>The normal timed writes throw <see cref="AvikitException"/> with status Dropped, and
    /// wait for queue room like every write. The Try* timed writes answer false instead, for a
    /// dropped frame and, with <see cref="WriteFlags.NoWait"/>, for a full queue: a game loop
    /// never stalls or pays for an exception, and its next timed frame fills the gap.</para>
    /// </remarks>
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

        private static WriteRequest Frame(bool isKeyFrame, byte[] data, int offset, int count)
        {
            return WriteRequest.FromArray(isKeyFrame ? Native.AVK_FRAME_KEYFRAME : 0, data, offset, count);
        }

        private static WriteRequest Frame(bool isKeyFrame, IntPtr data, int length)
        {
            return WriteRequest.FromPointer(isKeyFrame ? Native.AVK_FRAME_KEYFRAME : 0, data, length);
        }

        /// <summary>Writes one frame and returns once it is in the file (same queue as the async writes).</summary>
        public void WriteFrame(bool isKeyFrame, byte[] data, int offset, int count)
        {
            WriteCore(Frame(isKeyFrame, data, offset, count), false);
        }

        /// <summary>Writes a whole array as one frame.</summary>
        public void WriteFrame(bool isKeyFrame, byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            WriteCore(Frame(isKeyFrame, data, 0, data.Length), false);
        }

        /// <summary>Writes one frame of <paramref name="length"/> bytes at <paramref name="data"/>
        /// (unmanaged memory, read in place) and returns once it is in the file.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="data"/> is IntPtr.Zero and length is not 0.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
        public void WriteFrame(bool isKeyFrame, IntPtr data, int length)
        {
            WriteCore(Frame(isKeyFrame, data, length), false);
        }

        /// <summary>Writes one frame captured at <paramref name="captureTime"/> into the slot of
        /// that time (see the remarks of <see cref="AviVideoStream"/>) and returns once it is in the file.</summary>
        /// <exception cref="AvikitException">Status Dropped: the slot is taken (nothing written);
        /// Limit: a gap of more than 1,000,000 frames.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="captureTime"/> is beyond ±292 years.</exception>
        public void WriteFrame(bool isKeyFrame, byte[] data, int offset, int count, TimeSpan captureTime)
        {
            WriteCore(Frame(isKeyFrame, data, offset, count).At(captureTime), false);
        }

        /// <summary>Writes one frame from unmanaged memory, captured at <paramref name="captureTime"/>;
        /// as the byte[] overload.</summary>
        public void WriteFrame(bool isKeyFrame, IntPtr data, int length, TimeSpan captureTime)
        {
            WriteCore(Frame(isKeyFrame, data, length).At(captureTime), false);
        }

        /// <summary>Queues one frame (APM). <paramref name="callback"/> runs on the writer's worker
        /// thread once the frame is in the file; call <see cref="EndWriteFrame"/> exactly once.</summary>
        public IAsyncResult BeginWriteFrame(bool isKeyFrame, byte[] data, int offset, int count, AsyncCallback callback, object state)
        {
            return BeginCore(Frame(isKeyFrame, data, offset, count), callback, state);
        }

        /// <summary>Queues one frame from unmanaged memory (APM); the memory must stay valid until the
        /// write completes.</summary>
        public IAsyncResult BeginWriteFrame(bool isKeyFrame, IntPtr data, int length, AsyncCallback callback, object state)
        {
            return BeginCore(Frame(isKeyFrame, data, length), callback, state);
        }

        /// <summary>Queues one frame captured at <paramref name="captureTime"/> (APM), into the slot of
        /// that time; throws AvikitException (status Dropped) for a taken slot, nothing queued.</summary>
        public IAsyncResult BeginWriteFrame(bool isKeyFrame, byte[] data, int offset, int count, TimeSpan captureTime,
            AsyncCallback callback, object state)
        {
            return BeginCore(Frame(isKeyFrame, data, offset, count).At(captureTime), callback, state);
        }

        /// <summary>Queues one frame from unmanaged memory captured at <paramref name="captureTime"/> (APM).</summary>
        public IAsyncResult BeginWriteFrame(bool isKeyFrame, IntPtr data, int length, TimeSpan captureTime,
            AsyncCallback callback, object state)
        {
            return BeginCore(Frame(isKeyFrame, data, length).At(captureTime), callback, state);
        }

        /// <summary>Waits for a frame write (any Begin* or TryBegin* of this stream) and throws its failure.</summary>
        public void EndWriteFrame(IAsyncResult asyncResult)
        {
            AsyncOperation.End(asyncResult, this, "EndWriteFrame");
        }

        /// <summary>Queues one frame; the task completes once it is in the file. Canceling the token
        /// skips the frame if it is still queued (the task is then canceled).</summary>
        public Task WriteFrameAsync(bool isKeyFrame, byte[] data, int offset, int count,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(Frame(isKeyFrame, data, offset, count), cancellationToken, false);
        }

        /// <summary>Queues one frame from unmanaged memory; the task completes once it is in the file.</summary>
        public Task WriteFrameAsync(bool isKeyFrame, IntPtr data, int length,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(Frame(isKeyFrame, data, length), cancellationToken, false);
        }

        /// <summary>Queues one frame captured at <paramref name="captureTime"/>, into the slot of that
        /// time; throws AvikitException (status Dropped) for a taken slot, nothing queued. A canceled
        /// frame leaves an empty frame in its slot.</summary>
        public Task WriteFrameAsync(bool isKeyFrame, byte[] data, int offset, int count, TimeSpan captureTime,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(Frame(isKeyFrame, data, offset, count).At(captureTime), cancellationToken, false);
        }

        /// <summary>Queues one frame from unmanaged memory captured at <paramref name="captureTime"/>.</summary>
        public Task WriteFrameAsync(bool isKeyFrame, IntPtr data, int length, TimeSpan captureTime,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(Frame(isKeyFrame, data, length).At(captureTime), cancellationToken, false);
        }

        /// <summary>Writes one frame captured at <paramref name="captureTime"/> and returns once it is in
        /// the file; false, at once, when the library refused it: its slot is taken, or with
        /// <see cref="WriteFlags.NoWait"/> the queue is full. Other failures throw.</summary>
        public bool TryWriteFrame(bool isKeyFrame, byte[] data, int offset, int count, TimeSpan captureTime,
            WriteFlags flags = WriteFlags.None)
        {
            return WriteCore(Frame(isKeyFrame, data, offset, count).At(captureTime).With(flags), true);
        }

        /// <summary>As the byte[] overload, from unmanaged memory.</summary>
        public bool TryWriteFrame(bool isKeyFrame, IntPtr data, int length, TimeSpan captureTime,
            WriteFlags flags = WriteFlags.None)
        {
            return WriteCore(Frame(isKeyFrame, data, length).At(captureTime).With(flags), true);
        }

        /// <summary>Queues one frame captured at <paramref name="captureTime"/> (APM); false, with
        /// <paramref name="asyncResult"/> null (nothing queued, no callback), when its slot is taken
        /// or with <see cref="WriteFlags.NoWait"/> the queue is full. A queued write is ended with
        /// <see cref="EndWriteFrame"/>.</summary>
        public bool TryBeginWriteFrame(bool isKeyFrame, byte[] data, int offset, int count, TimeSpan captureTime,
            WriteFlags flags, AsyncCallback callback, object state, out IAsyncResult asyncResult)
        {
            return TryBeginCore(Frame(isKeyFrame, data, offset, count).At(captureTime).With(flags), callback, state, out asyncResult);
        }

        /// <summary>As the byte[] overload, from unmanaged memory.</summary>
        public bool TryBeginWriteFrame(bool isKeyFrame, IntPtr data, int length, TimeSpan captureTime,
            WriteFlags flags, AsyncCallback callback, object state, out IAsyncResult asyncResult)
        {
            return TryBeginCore(Frame(isKeyFrame, data, length).At(captureTime).With(flags), callback, state, out asyncResult);
        }

        /// <summary>Queues one frame captured at <paramref name="captureTime"/>; the task is true once
        /// it is in the file, and an already completed false when its slot is taken or with
        /// <see cref="WriteFlags.NoWait"/> the queue is full (nothing queued).</summary>
        public Task<bool> TryWriteFrameAsync(bool isKeyFrame, byte[] data, int offset, int count, TimeSpan captureTime,
            WriteFlags flags = WriteFlags.None, CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(Frame(isKeyFrame, data, offset, count).At(captureTime).With(flags), cancellationToken, true);
        }

        /// <summary>As the byte[] overload, from unmanaged memory.</summary>
        public Task<bool> TryWriteFrameAsync(bool isKeyFrame, IntPtr data, int length, TimeSpan captureTime,
            WriteFlags flags = WriteFlags.None, CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(Frame(isKeyFrame, data, length).At(captureTime).With(flags), cancellationToken, true);
        }

        /// <summary>Queues <paramref name="count"/> empty frames at the stream's next slots (players
        /// show the previous frame again), e.g. for frames a capture lost; returns once they are
        /// queued, never waits. A failure reaches later writes and Close. 0 does nothing.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
        /// <exception cref="AvikitException">Status Limit: more than 1,000,000.</exception>
        public void SkipFrames(int count)
        {
            if (count < 0) throw new ArgumentOutOfRangeException("count");
            var st = Native.avk_video_stream_skip_frames(Handle, (uint)count);
            if (st != Native.AVK_OK) throw Errors.Last(st, Writer.Sink);
            GC.KeepAlive(this);
        }
    }

    /// <summary>An audio stream.</summary>
    /// <remarks>
    /// Timed writes (PCM, Float and MP3 streams; Raw throws NotSupportedException) place a block by
    /// its capture time: its first sample belongs at round(captureTime * SamplesPerSecond), time
    /// zero being the writer's first timed write of any stream. Within 20 ms of where the stream
    /// stands the block is written as it is (clock jitter); later, silence fills the gap first;
    /// earlier, the block's overlapping start is cut, and a block cut whole is dropped
    /// (<see cref="AvikitStatus.Dropped"/>). Silence and cuts are exact to the sample and show in
    /// <see cref="AviStream.Stats"/>. Dropped and NoWait behave as for <see cref="AviVideoStream"/>.
    /// </remarks>
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
            WriteCore(WriteRequest.FromArray(0, data, offset, count), false);
        }

        /// <summary>Writes one block from unmanaged memory and returns once it is in the file.</summary>
        public void WriteBlock(IntPtr data, int length)
        {
            WriteCore(WriteRequest.FromPointer(0, data, length), false);
        }

        /// <summary>Writes one block captured at <paramref name="captureTime"/> (see the remarks of
        /// <see cref="AviAudioStream"/>) and returns once it is in the file.</summary>
        /// <exception cref="AvikitException">Status Dropped: the block lies wholly before what the
        /// stream has (nothing written).</exception>
        public void WriteBlock(byte[] data, int offset, int count, TimeSpan captureTime)
        {
            WriteCore(WriteRequest.FromArray(0, data, offset, count).At(captureTime), false);
        }

        /// <summary>As the byte[] overload, from unmanaged memory.</summary>
        public void WriteBlock(IntPtr data, int length, TimeSpan captureTime)
        {
            WriteCore(WriteRequest.FromPointer(0, data, length).At(captureTime), false);
        }

        /// <summary>Queues one block (APM); see <see cref="AviVideoStream.BeginWriteFrame(bool, byte[], int, int, AsyncCallback, object)"/>.</summary>
        public IAsyncResult BeginWriteBlock(byte[] data, int offset, int count, AsyncCallback callback, object state)
        {
            return BeginCore(WriteRequest.FromArray(0, data, offset, count), callback, state);
        }

        /// <summary>Queues one block from unmanaged memory (APM).</summary>
        public IAsyncResult BeginWriteBlock(IntPtr data, int length, AsyncCallback callback, object state)
        {
            return BeginCore(WriteRequest.FromPointer(0, data, length), callback, state);
        }

        /// <summary>Queues one block captured at <paramref name="captureTime"/> (APM).</summary>
        public IAsyncResult BeginWriteBlock(byte[] data, int offset, int count, TimeSpan captureTime,
            AsyncCallback callback, object state)
        {
            return BeginCore(WriteRequest.FromArray(0, data, offset, count).At(captureTime), callback, state);
        }

        /// <summary>Queues one block from unmanaged memory captured at <paramref name="captureTime"/> (APM).</summary>
        public IAsyncResult BeginWriteBlock(IntPtr data, int length, TimeSpan captureTime, AsyncCallback callback, object state)
        {
            return BeginCore(WriteRequest.FromPointer(0, data, length).At(captureTime), callback, state);
        }

        /// <summary>Waits for a block write (any Begin* or TryBegin* of this stream) and throws its failure.</summary>
        public void EndWriteBlock(IAsyncResult asyncResult)
        {
            AsyncOperation.End(asyncResult, this, "EndWriteBlock");
        }

        /// <summary>Queues one block; see <see cref="AviVideoStream.WriteFrameAsync(bool, byte[], int, int, CancellationToken)"/>.</summary>
        public Task WriteBlockAsync(byte[] data, int offset, int count, CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(WriteRequest.FromArray(0, data, offset, count), cancellationToken, false);
        }

        /// <summary>Queues one block from unmanaged memory.</summary>
        public Task WriteBlockAsync(IntPtr data, int length, CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(WriteRequest.FromPointer(0, data, length), cancellationToken, false);
        }

        /// <summary>Queues one block captured at <paramref name="captureTime"/>. A canceled block
        /// leaves silence of its length, so the stream stays on time.</summary>
        public Task WriteBlockAsync(byte[] data, int offset, int count, TimeSpan captureTime,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(WriteRequest.FromArray(0, data, offset, count).At(captureTime), cancellationToken, false);
        }

        /// <summary>Queues one block from unmanaged memory captured at <paramref name="captureTime"/>.</summary>
        public Task WriteBlockAsync(IntPtr data, int length, TimeSpan captureTime,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(WriteRequest.FromPointer(0, data, length).At(captureTime), cancellationToken, false);
        }

        /// <summary>Writes one block captured at <paramref name="captureTime"/>; false, at once, when
        /// the library refused it (wholly before what the stream has, or with
        /// <see cref="WriteFlags.NoWait"/> a full queue). Other failures throw.</summary>
        public bool TryWriteBlock(byte[] data, int offset, int count, TimeSpan captureTime, WriteFlags flags = WriteFlags.None)
        {
            return WriteCore(WriteRequest.FromArray(0, data, offset, count).At(captureTime).With(flags), true);
        }

        /// <summary>As the byte[] overload, from unmanaged memory.</summary>
        public bool TryWriteBlock(IntPtr data, int length, TimeSpan captureTime, WriteFlags flags = WriteFlags.None)
        {
            return WriteCore(WriteRequest.FromPointer(0, data, length).At(captureTime).With(flags), true);
        }

        /// <summary>Queues one block captured at <paramref name="captureTime"/> (APM); false, with
        /// <paramref name="asyncResult"/> null, when the library refused it (see <see cref="TryWriteBlock(byte[], int, int, TimeSpan, WriteFlags)"/>).</summary>
        public bool TryBeginWriteBlock(byte[] data, int offset, int count, TimeSpan captureTime, WriteFlags flags,
            AsyncCallback callback, object state, out IAsyncResult asyncResult)
        {
            return TryBeginCore(WriteRequest.FromArray(0, data, offset, count).At(captureTime).With(flags), callback, state, out asyncResult);
        }

        /// <summary>As the byte[] overload, from unmanaged memory.</summary>
        public bool TryBeginWriteBlock(IntPtr data, int length, TimeSpan captureTime, WriteFlags flags,
            AsyncCallback callback, object state, out IAsyncResult asyncResult)
        {
            return TryBeginCore(WriteRequest.FromPointer(0, data, length).At(captureTime).With(flags), callback, state, out asyncResult);
        }

        /// <summary>Queues one block captured at <paramref name="captureTime"/>; the task is true once it
        /// is in the file, an already completed false when the library refused it.</summary>
        public Task<bool> TryWriteBlockAsync(byte[] data, int offset, int count, TimeSpan captureTime,
            WriteFlags flags = WriteFlags.None, CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(WriteRequest.FromArray(0, data, offset, count).At(captureTime).With(flags), cancellationToken, true);
        }

        /// <summary>As the byte[] overload, from unmanaged memory.</summary>
        public Task<bool> TryWriteBlockAsync(IntPtr data, int length, TimeSpan captureTime,
            WriteFlags flags = WriteFlags.None, CancellationToken cancellationToken = default(CancellationToken))
        {
            return WriteAsyncCore(WriteRequest.FromPointer(0, data, length).At(captureTime).With(flags), cancellationToken, true);
        }
    }
}
