using System;
using System.Threading;
using System.Threading.Tasks;
using SharpAvi.Codecs;

namespace SharpAvi.Output
{
    /// <summary>What the video and audio streams share: index, name, and the encoder they may own.</summary>
    internal abstract class StreamBase : IAviStream
    {
        protected readonly AviWriter Writer;
        private readonly object encoder;
        private readonly bool ownsEncoder;
        private string name;

        protected StreamBase(AviWriter writer, int index, object encoder, bool ownsEncoder)
        {
            Writer = writer;
            Index = index;
            this.encoder = encoder;
            this.ownsEncoder = ownsEncoder;
        }

        public int Index { get; private set; }

        public string Name
        {
            get { return Volatile.Read(ref name); }
            set { Writer.Mutate(() => name = value); }
        }

        /// <summary>Adds the avikit stream; called by the writer's first write, under its lock.</summary>
        internal abstract void CreateNative(Avikit.AviWriter writer);

        internal void DisposeEncoder()
        {
            var d = encoder as IDisposable;
            if (ownsEncoder && d != null) d.Dispose();
        }

        /// <summary>An encoder that runs inside avikit, found directly or inside the
        /// <see cref="SingleThreadedVideoEncoderWrapper"/> that guards it.</summary>
        protected static T Builtin<T>(object encoder) where T : class
        {
            var wrapper = encoder as SingleThreadedVideoEncoderWrapper;
            return wrapper != null ? wrapper.Inner as T : encoder as T;
        }
    }

    /// <summary>An IAsyncResult for an encoder call that produced nothing to write: complete at once.</summary>
    internal sealed class NothingWritten : IAsyncResult
    {
        private ManualResetEvent handle;

        internal NothingWritten(object owner, object state)
        {
            Owner = owner;
            AsyncState = state;
        }

        internal object Owner { get; private set; }

        public object AsyncState { get; private set; }

        public bool IsCompleted { get { return true; } }

        public bool CompletedSynchronously { get { return true; } }

        public WaitHandle AsyncWaitHandle
        {
            get
            {
                if (handle == null) Interlocked.CompareExchange(ref handle, new ManualResetEvent(true), null);
                return handle;
            }
        }

        internal static IAsyncResult Complete(object owner, AsyncCallback callback, object state)
        {
            var r = new NothingWritten(owner, state);
            if (callback != null) callback(r);
            return r;
        }
    }

    /// <summary>SharpAvi's video stream: raw frames, frames avikit encodes (the built-in encoders),
    /// or frames a user's <see cref="IVideoEncoder"/> encodes into a raw stream.</summary>
    internal sealed class VideoStream : StreamBase, IAviVideoStream
    {
        private readonly IVideoEncoder encoder;
        private readonly INativeVideoEncoder builtin;
        private readonly object encodeSync = new object();
        private int width, height;
        private BitsPerPixel bitsPerPixel;
        private FourCC codec = CodecIds.Uncompressed;
        private Avikit.AviVideoStream native;
        private byte[] encoded;

        internal VideoStream(AviWriter writer, int index, int width, int height, BitsPerPixel bitsPerPixel, IVideoEncoder encoder, bool ownsEncoder)
            : base(writer, index, encoder, ownsEncoder)
        {
            this.width = width;
            this.height = height;
            this.bitsPerPixel = bitsPerPixel;
            this.encoder = encoder;
            builtin = Builtin<INativeVideoEncoder>(encoder);
        }

        public int Width
        {
            get { return Volatile.Read(ref width); }
            set { Writer.Mutate(() => width = value); }
        }

        public int Height
        {
            get { return Volatile.Read(ref height); }
            set { Writer.Mutate(() => height = value); }
        }

        public BitsPerPixel BitsPerPixel
        {
            get { return encoder != null && !Writer.Started ? encoder.BitsPerPixel : bitsPerPixel; }
            set
            {
                if (encoder != null) throw DefinedByEncoder();
                Writer.Mutate(() => bitsPerPixel = value);
            }
        }

        public FourCC Codec
        {
            get
            {
                // Read before taking encodeSync: the writer's Start takes its own lock, then encodeSync.
                var started = Writer.Started;
                lock (encodeSync) return encoder != null && !started ? encoder.Codec : codec;
            }
            set
            {
                if (encoder != null) throw DefinedByEncoder();
                Writer.Mutate(() => { lock (encodeSync) codec = value; });
            }
        }

        public int FramesWritten
        {
            get
            {
                var n = Volatile.Read(ref native);
                return n == null ? 0 : n.FramesWritten;
            }
        }

        internal override void CreateNative(Avikit.AviWriter writer)
        {
            Freeze();
            if (builtin != null)
            {
                native = writer.AddVideoStream(builtin.NativeOptions(Name));
                return;
            }
            if (encoder != null) encoded = new byte[encoder.MaxEncodedSize];
            native = writer.AddVideoStream(width, height, (int)bitsPerPixel, codec == CodecIds.Uncompressed ? null : (string)codec, Name);
        }

        /// <summary>Keeps the encoder's codec and depth in the stream's fields at the first write,
        /// so they stay readable after an owned encoder was disposed by Close.</summary>
        private void Freeze()
        {
            if (encoder == null) return;
            lock (encodeSync) codec = encoder.Codec;
            bitsPerPixel = encoder.BitsPerPixel;
        }

        public void WriteFrame(bool isKeyFrame, byte[] frameData, int startIndex, int length)
        {
            Check.Slice(frameData, startIndex, length, "frameData");
            var n = Started();
            if (encoder == null)
            {
                n.WriteFrame(isKeyFrame, frameData, startIndex, length);
            }
            else if (builtin != null)
            {
                n.WriteFrame(true, frameData, startIndex, InputLength(frameData, startIndex));
            }
            else
            {
                lock (encodeSync)
                {
                    bool key;
                    var len = encoder.EncodeFrame(frameData, startIndex, encoded, 0, out key);
                    n.WriteFrame(key, encoded, 0, len);
                }
            }
        }

        public Task WriteFrameAsync(bool isKeyFrame, byte[] frameData, int startIndex, int length)
        {
            Check.Slice(frameData, startIndex, length, "frameData");
            try
            {
                var n = Started();
                if (encoder == null) return n.WriteFrameAsync(isKeyFrame, frameData, startIndex, length);
                if (builtin != null) return n.WriteFrameAsync(true, frameData, startIndex, InputLength(frameData, startIndex));
                lock (encodeSync)
                {
                    bool key;
                    var buffer = new byte[encoder.MaxEncodedSize];
                    var len = encoder.EncodeFrame(frameData, startIndex, buffer, 0, out key);
                    return n.WriteFrameAsync(key, buffer, 0, len);
                }
            }
            catch (Exception e)
            {
                return AviWriter.Faulted(e);
            }
        }

        public IAsyncResult BeginWriteFrame(bool isKeyFrame, byte[] frameData, int startIndex, int length, AsyncCallback userCallback, object stateObject)
        {
            Check.Slice(frameData, startIndex, length, "frameData");
            var n = Started();
            if (encoder == null) return n.BeginWriteFrame(isKeyFrame, frameData, startIndex, length, userCallback, stateObject);
            if (builtin != null) return n.BeginWriteFrame(true, frameData, startIndex, InputLength(frameData, startIndex), userCallback, stateObject);
            lock (encodeSync)
            {
                bool key;
                var buffer = new byte[encoder.MaxEncodedSize];
                var len = encoder.EncodeFrame(frameData, startIndex, buffer, 0, out key);
                return n.BeginWriteFrame(key, buffer, 0, len, userCallback, stateObject);
            }
        }

        public void EndWriteFrame(IAsyncResult asyncResult)
        {
            if (asyncResult == null) throw new ArgumentNullException("asyncResult");
            var n = Volatile.Read(ref native);
            // A result can only come from BeginWriteFrame, which started the writer.
            if (n == null) throw new ArgumentException("The IAsyncResult is not from this stream's BeginWriteFrame.", "asyncResult");
            n.EndWriteFrame(asyncResult);
        }

        private Avikit.AviVideoStream Started()
        {
            Writer.Start();
            return native;
        }

        /// <summary>A built-in encoder's input: Width * Height * 4 bytes of BGR32 from the start
        /// (SharpAvi ignores the length argument of encoding streams).</summary>
        private int InputLength(byte[] frameData, int startIndex)
        {
            var len = builtin.Width * builtin.Height * 4;
            if ((long)startIndex + len > frameData.Length)
                throw new ArgumentException("The frame data is shorter than Width * Height * 4 bytes from startIndex.", "frameData");
            return len;
        }

        private static NotSupportedException DefinedByEncoder()
        {
            return new NotSupportedException("The encoder of this stream defines this property.");
        }
    }

    /// <summary>SharpAvi's audio stream: PCM or pre-compressed blocks, MP3 that avikit encodes, or
    /// blocks a user's <see cref="IAudioEncoder"/> encodes into a raw stream.</summary>
    internal sealed class AudioStream : StreamBase, IAviAudioStream
    {
        private readonly IAudioEncoder encoder;
        private readonly INativeAudioEncoder builtin;
        private readonly object encodeSync = new object();
        private int channelCount, samplesPerSecond, bitsPerSample, bytesPerSecond, granularity;
        private short format;
        private byte[] formatData;
        private Avikit.AviAudioStream native;
        private byte[] encoded;

        internal AudioStream(AviWriter writer, int index, int channelCount, int samplesPerSecond, int bitsPerSample, IAudioEncoder encoder, bool ownsEncoder)
            : base(writer, index, encoder, ownsEncoder)
        {
            this.encoder = encoder;
            builtin = encoder as INativeAudioEncoder;
            this.channelCount = channelCount;
            this.samplesPerSecond = samplesPerSecond;
            this.bitsPerSample = bitsPerSample;
            format = AudioFormats.Pcm;
            granularity = (bitsPerSample * channelCount + 7) / 8;
            bytesPerSecond = granularity * samplesPerSecond;
        }

        public int ChannelCount
        {
            get { return encoder != null ? encoder.ChannelCount : Volatile.Read(ref channelCount); }
            set { Set(() => channelCount = value); }
        }

        public int SamplesPerSecond
        {
            get { return encoder != null ? encoder.SamplesPerSecond : Volatile.Read(ref samplesPerSecond); }
            set { Set(() => samplesPerSecond = value); }
        }

        public int BitsPerSample
        {
            get { return encoder != null ? encoder.BitsPerSample : Volatile.Read(ref bitsPerSample); }
            set { Set(() => bitsPerSample = value); }
        }

        public short Format
        {
            get { return encoder != null ? encoder.Format : format; }
            set { Set(() => format = value); }
        }

        public int BytesPerSecond
        {
            get { return encoder != null ? encoder.BytesPerSecond : Volatile.Read(ref bytesPerSecond); }
            set { Set(() => bytesPerSecond = value); }
        }

        public int Granularity
        {
            get { return encoder != null ? encoder.Granularity : Volatile.Read(ref granularity); }
            set { Set(() => granularity = value); }
        }

        public byte[] FormatSpecificData
        {
            get { return encoder != null ? encoder.FormatSpecificData : Volatile.Read(ref formatData); }
            set { Set(() => formatData = value); }
        }

        public int BlocksWritten
        {
            get
            {
                var n = Volatile.Read(ref native);
                return n == null ? 0 : n.BlocksWritten;
            }
        }

        internal override void CreateNative(Avikit.AviWriter writer)
        {
            if (builtin != null)
            {
                native = writer.AddAudioStream(builtin.NativeOptions(Name));
                return;
            }
            if (encoder == null && format == AudioFormats.Pcm && formatData == null
                && granularity == (bitsPerSample * channelCount + 7) / 8 && bytesPerSecond == granularity * samplesPerSecond)
            {
                native = writer.AddAudioStream(channelCount, samplesPerSecond, bitsPerSample, Name);
                return;
            }
            native = writer.AddAudioStream(new Avikit.AudioStreamOptions
            {
                Codec = Avikit.AudioCodec.Raw,
                Channels = ChannelCount,
                SampleRate = SamplesPerSecond,
                BitsPerSample = BitsPerSample,
                FormatTag = (ushort)Format,
                BlockAlign = Granularity,
                BytesPerSecond = BytesPerSecond,
                FormatExtra = FormatSpecificData,
                Name = Name,
            });
        }

        public void WriteBlock(byte[] data, int startIndex, int length)
        {
            Check.Slice(data, startIndex, length, "data");
            var n = Started();
            if (encoder == null || builtin != null)
            {
                n.WriteBlock(data, startIndex, length);
                return;
            }
            lock (encodeSync)
            {
                var len = Encode(data, startIndex, length, Buffer(length));
                if (len > 0) n.WriteBlock(encoded, 0, len);
            }
        }

        public Task WriteBlockAsync(byte[] data, int startIndex, int length)
        {
            Check.Slice(data, startIndex, length, "data");
            try
            {
                var n = Started();
                if (encoder == null || builtin != null) return n.WriteBlockAsync(data, startIndex, length);
                lock (encodeSync)
                {
                    var buffer = new byte[encoder.GetMaxEncodedLength(length)];
                    var len = Encode(data, startIndex, length, buffer);
                    return len > 0 ? n.WriteBlockAsync(buffer, 0, len) : Task.CompletedTask;
                }
            }
            catch (Exception e)
            {
                return AviWriter.Faulted(e);
            }
        }

        public IAsyncResult BeginWriteBlock(byte[] data, int startIndex, int length, AsyncCallback userCallback, object stateObject)
        {
            Check.Slice(data, startIndex, length, "data");
            var n = Started();
            if (encoder == null || builtin != null) return n.BeginWriteBlock(data, startIndex, length, userCallback, stateObject);
            lock (encodeSync)
            {
                var buffer = new byte[encoder.GetMaxEncodedLength(length)];
                var len = Encode(data, startIndex, length, buffer);
                return len > 0
                    ? n.BeginWriteBlock(buffer, 0, len, userCallback, stateObject)
                    : NothingWritten.Complete(this, userCallback, stateObject);
            }
        }

        public void EndWriteBlock(IAsyncResult asyncResult)
        {
            if (asyncResult == null) throw new ArgumentNullException("asyncResult");
            var nothing = asyncResult as NothingWritten;
            if (nothing != null)
            {
                if (nothing.Owner != this) throw new ArgumentException("The IAsyncResult is not from this stream's BeginWriteBlock.", "asyncResult");
                return;
            }
            var n = Volatile.Read(ref native);
            if (n == null) throw new ArgumentException("The IAsyncResult is not from this stream's BeginWriteBlock.", "asyncResult");
            n.EndWriteBlock(asyncResult);
        }

        /// <summary>Writes what a user encoder still holds; called by the writer's Close before
        /// avikit's.</summary>
        internal void FlushEncoder()
        {
            var n = Volatile.Read(ref native);
            if (n == null || encoder == null || builtin != null) return;
            lock (encodeSync)
            {
                var len = encoder.Flush(Buffer(0), 0);
                if (len > 0) n.WriteBlock(encoded, 0, len);
            }
        }

        private int Encode(byte[] data, int startIndex, int length, byte[] buffer)
        {
            return encoder.EncodeBlock(data, startIndex, length, buffer, 0);
        }

        /// <summary>The reused output buffer of synchronous writes, grown to what the encoder may
        /// produce from <paramref name="sourceCount"/> bytes.</summary>
        private byte[] Buffer(int sourceCount)
        {
            var need = encoder.GetMaxEncodedLength(sourceCount);
            if (encoded == null || encoded.Length < need) encoded = new byte[Math.Max(need, 1024)];
            return encoded;
        }

        private void Set(Action change)
        {
            if (encoder != null) throw new NotSupportedException("The encoder of this stream defines this property.");
            Writer.Mutate(change);
        }

        private Avikit.AviAudioStream Started()
        {
            Writer.Start();
            return native;
        }
    }
}
