using System;
using System.Runtime.InteropServices;

namespace Avikit
{
    /// <summary>An exact frame rate: <see cref="Numerator"/> frames per <see cref="Denominator"/> seconds.</summary>
    public struct Rational : IEquatable<Rational>
    {
        /// <summary>NTSC video, 30000/1001 (29.97...) frames per second.</summary>
        public static readonly Rational Ntsc = new Rational(30000, 1001);

        public Rational(int numerator, int denominator) : this()
        {
            if (numerator <= 0) throw new ArgumentOutOfRangeException("numerator", "must be positive");
            if (denominator <= 0) throw new ArgumentOutOfRangeException("denominator", "must be positive");
            Numerator = numerator;
            Denominator = denominator;
        }

        public int Numerator { get; private set; }
        public int Denominator { get; private set; }

        /// <summary>Whole frames per second.</summary>
        public static implicit operator Rational(int framesPerSecond) { return new Rational(framesPerSecond, 1); }

        /// <summary>A decimal rate such as 29.97m, kept exact (2997/100) up to 6 fractional digits.</summary>
        public static explicit operator Rational(decimal framesPerSecond) { return FromDecimal(framesPerSecond); }

        /// <summary>A decimal rate such as 29.97m, kept exact (2997/100) up to 6 fractional digits.</summary>
        public static Rational FromDecimal(decimal framesPerSecond)
        {
            if (framesPerSecond <= 0) throw new ArgumentOutOfRangeException("framesPerSecond", "must be positive");
            long den = 1;
            var v = framesPerSecond;
            while (v != decimal.Truncate(v) && den < 1000000) { v *= 10; den *= 10; }
            var num = (long)decimal.Round(v);
            var g = Gcd(num, den);
            num /= g;
            den /= g;
            if (num <= 0 || num > int.MaxValue) throw new ArgumentOutOfRangeException("framesPerSecond");
            return new Rational((int)num, (int)den);
        }

        public double ToDouble() { return (double)Numerator / Denominator; }

        public decimal ToDecimal() { return (decimal)Numerator / Denominator; }

        public bool Equals(Rational other)
        {
            return (long)Numerator * other.Denominator == (long)other.Numerator * Denominator;
        }

        public override bool Equals(object obj) { return obj is Rational && Equals((Rational)obj); }

        public override int GetHashCode()
        {
            if (Denominator == 0) return 0;
            var g = Gcd(Numerator, Denominator);
            return (int)(Numerator / g) * 397 ^ (int)(Denominator / g);
        }

        public static bool operator ==(Rational a, Rational b) { return a.Equals(b); }
        public static bool operator !=(Rational a, Rational b) { return !a.Equals(b); }

        public override string ToString() { return Denominator == 1 ? Numerator.ToString() : Numerator + "/" + Denominator; }

        private static long Gcd(long a, long b)
        {
            while (b != 0) { var t = a % b; a = b; b = t; }
            return a == 0 ? 1 : a;
        }
    }

    /// <summary>Settings of a writer; the defaults are the library's.</summary>
    public sealed class AviWriterOptions
    {
        public AviWriterOptions()
        {
            FramesPerSecond = 30;
            EmitIndex1 = true;
            CheckpointIntervalMs = 1000;
            SuperIndexCapacity = 4608;
            Durability = Durability.Checkpoints;
        }

        /// <summary>Frame rate of every stream's timing; default 30.</summary>
        public Rational FramesPerSecond { get; set; }

        /// <summary>Write the legacy idx1 index as well as the OpenDML ones; default true.</summary>
        public bool EmitIndex1 { get; set; }

        /// <summary>Crash safety: refresh headers and indexes this often while writing; 0 = only at
        /// flush and close (output then depends only on the calls made); default 1000.</summary>
        public int CheckpointIntervalMs { get; set; }

        /// <summary>Back-pressure: begin blocks while this many payload bytes are queued; 0 = unbounded.</summary>
        public long MaxQueuedBytes { get; set; }

        /// <summary>Threads that convert or encode frames of encoding streams; 0 = number of CPUs.</summary>
        public int EncoderThreads { get; set; }

        /// <summary>OpenDML super index entries reserved per stream: the RIFF segments (about 1 GiB
        /// each) a stream can span; default 4608 (more than 4 TiB). A write that would need one more
        /// fails with AVK_E_LIMIT and the file plays up to it. 1..65536.</summary>
        public int SuperIndexCapacity { get; set; }

        /// <summary>Power-cut safety (avk_writer_options.durability): Checkpoints (the default)
        /// syncs every checkpoint and the close in an order a power cut cannot tear, so the file
        /// repairs to at least its last checkpoint; None leaves writes to the OS. A value that is
        /// neither makes the constructor throw ArgumentException.</summary>
        public Durability Durability { get; set; }

        internal WriterOptionsNative ToNative()
        {
            var fps = FramesPerSecond;
            if (fps.Denominator == 0) throw new ArgumentException("FramesPerSecond is not set", "options");
            if (CheckpointIntervalMs < 0) throw new ArgumentOutOfRangeException("options", "CheckpointIntervalMs is negative");
            if (MaxQueuedBytes < 0) throw new ArgumentOutOfRangeException("options", "MaxQueuedBytes is negative");
            if (EncoderThreads < 0) throw new ArgumentOutOfRangeException("options", "EncoderThreads is negative");
            if (SuperIndexCapacity < 0) throw new ArgumentOutOfRangeException("options", "SuperIndexCapacity is negative");
            return new WriterOptionsNative
            {
                StructSize = (uint)Marshal.SizeOf(typeof(WriterOptionsNative)),
                FrameRateNum = (uint)fps.Numerator,
                FrameRateDen = (uint)fps.Denominator,
                Flags = EmitIndex1 ? Native.AVK_WRITER_EMIT_INDEX1 : 0,
                CheckpointIntervalMs = (uint)CheckpointIntervalMs,
                MaxQueuedBytes = (ulong)MaxQueuedBytes,
                EncoderThreads = (uint)EncoderThreads,
                SuperIndexCapacity = (uint)SuperIndexCapacity,
                Durability = (uint)Durability,
            };
        }
    }

    /// <summary>When a writer syncs its file to stable storage (AVK_DURABILITY_*).</summary>
    public enum Durability
    {
        /// <summary>Every checkpoint and the close: data and indexes first, then the header that
        /// points at them (the default).</summary>
        Checkpoints = 0,
        /// <summary>Never on its own (avikit 0.2); Flush(true) still syncs.</summary>
        None = 1,
    }

    /// <summary>How a video stream stores frames (AVK_VIDEO_*).</summary>
    public enum VideoCodec
    {
        /// <summary>Frames written as given: an uncompressed bottom-up DIB, or any FourCC.</summary>
        Raw = 0,
        /// <summary>The library converts input pixels to a bottom-up BI_RGB DIB.</summary>
        Uncompressed = 1,
        /// <summary>The library encodes input pixels to Motion JPEG ('MJPG').</summary>
        Mjpeg = 2,
        /// <summary>The library encodes to H.264 where built in (else NotSupportedException).</summary>
        H264 = 3,
        /// <summary>The library encodes input pixels losslessly as Ut Video, the FourCC chosen by the
        /// input (ULRG/ULRA, ULY0/ULH0, ULY2/ULH2); every frame a keyframe.</summary>
        UtVideo = 4,
    }

    /// <summary>How YUV input is read (AVK_COLOR_*); UtVideo writes ULY* or ULH* from it.</summary>
    public enum ColorMatrix
    {
        /// <summary>ITU-R BT.601 (the default).</summary>
        Bt601 = 0,
        /// <summary>ITU-R BT.709.</summary>
        Bt709 = 1,
    }

    /// <summary>Ut Video prediction (AVK_PREDICT_*).</summary>
    public enum Prediction
    {
        /// <summary>Median of left, above and gradient (the default; smallest files).</summary>
        Median = 0,
        Left = 1,
        Gradient = 2,
        None = 3,
    }

    /// <summary>Video stream flags (AVK_VIDEO_*).</summary>
    [Flags]
    public enum VideoFlags
    {
        None = 0,
        /// <summary>UtVideo from Bgra32/Rgba32: write ULRA (alpha kept) instead of ULRG.</summary>
        KeepAlpha = 0x1,
    }

    /// <summary>Pixel layout of frames written to encoding streams (AVK_PIXEL_*).</summary>
    public enum PixelFormat
    {
        Bgra32 = 0,
        Rgba32 = 1,
        Bgr24 = 2,
        Rgb24 = 3,
        /// <summary>Camera 4:2:0: Y plane, then U, then V (each InputStride/2 per row, Height/2 rows);
        /// BT.601 limited range. Even width and height; InputStride 0 or positive.</summary>
        I420 = 4,
        /// <summary>Camera 4:2:0: Y plane, then one interleaved UV plane (InputStride per row,
        /// Height/2 rows); BT.601 limited range. Even width and height; InputStride 0 or positive.</summary>
        Nv12 = 5,
        /// <summary>Camera 4:2:2 packed, Y0 U Y1 V; BT.601 limited range. Even width and height;
        /// InputStride 0 or positive.</summary>
        Yuy2 = 6,
        /// <summary>8-bit luma only (mono cameras): Width bytes a row, InputStride 0, >= Width, or
        /// negative (bottom-up).</summary>
        Gray8 = 7,
    }

    /// <summary>How an audio stream stores blocks (AVK_AUDIO_*).</summary>
    public enum AudioCodec
    {
        /// <summary>Blocks written as given; the format is described by the options.</summary>
        Raw = 0,
        /// <summary>Integer PCM; block alignment checked.</summary>
        Pcm = 1,
        /// <summary>16-bit PCM encoded with LAME, loaded at run time (else NotSupportedException).</summary>
        Mp3 = 2,
        /// <summary>32-bit IEEE float samples (BitsPerSample 32), as game engines mix them.</summary>
        Float = 3,
    }

    /// <summary>Speaker positions of a PCM or float stream (WAVEFORMATEXTENSIBLE dwChannelMask),
    /// one flag per channel in interleaving order; None = the usual layout for the channel count.</summary>
    [Flags]
    public enum ChannelMask
    {
        None = 0,
        FrontLeft = 0x1,
        FrontRight = 0x2,
        FrontCenter = 0x4,
        LowFrequency = 0x8,
        BackLeft = 0x10,
        BackRight = 0x20,
        FrontLeftOfCenter = 0x40,
        FrontRightOfCenter = 0x80,
        BackCenter = 0x100,
        SideLeft = 0x200,
        SideRight = 0x400,
        /// <summary>5.1: FL FR FC LFE BL BR.</summary>
        Surround51 = FrontLeft | FrontRight | FrontCenter | LowFrequency | BackLeft | BackRight,
        /// <summary>7.1: 5.1 with SL SR.</summary>
        Surround71 = Surround51 | SideLeft | SideRight,
    }

    /// <summary>Settings of a video stream; the defaults are the library's.</summary>
    public sealed class VideoStreamOptions
    {
        public VideoStreamOptions()
        {
            BitsPerPixel = 32;
            Quality = 75;
        }

        public int Width { get; set; }
        public int Height { get; set; }
        public VideoCodec Codec { get; set; }
        /// <summary>Raw: the stream's FourCC such as "MJPG"; null = uncompressed DIB.</summary>
        public string FourCC { get; set; }
        /// <summary>Raw DIB: 8/16/24/32; Uncompressed: 24 or 32, the depth written. Default 32.</summary>
        public int BitsPerPixel { get; set; }
        /// <summary>Encoding codecs: layout of written frames; default Bgra32.</summary>
        public PixelFormat InputFormat { get; set; }
        /// <summary>Encoding codecs: bytes per input row; 0 = tight; negative = rows stored bottom-up.</summary>
        public int InputStride { get; set; }
        /// <summary>MJPEG and H.264: 1..100; default 75.</summary>
        public int Quality { get; set; }
        /// <summary>H.264: frames between keyframes; 0 = library default.</summary>
        public int KeyframeInterval { get; set; }
        /// <summary>Stream name ('strn'); may be null.</summary>
        public string Name { get; set; }
        /// <summary>The shape of one pixel (sample aspect ratio, width over height); default 0/0 =
        /// square. Non-square pixels put the display aspect ratio into a 'vprp' chunk.</summary>
        public Rational PixelAspect { get; set; }
        /// <summary>How YUV input is read, for every codec; default Bt601.</summary>
        public ColorMatrix ColorMatrix { get; set; }
        /// <summary>UtVideo: the prediction; default Median.</summary>
        public Prediction Prediction { get; set; }
        /// <summary>UtVideo: slices a frame, 1..256; 0 (default) = library default.</summary>
        public int Slices { get; set; }
        /// <summary>Video stream flags; default None.</summary>
        public VideoFlags Flags { get; set; }

        internal static uint ParseFourCC(string fourCC)
        {
            if (string.IsNullOrEmpty(fourCC)) return 0;
            if (fourCC.Length != 4) throw new ArgumentException("a FourCC has exactly 4 characters: " + fourCC, "fourCC");
            uint v = 0;
            for (var i = 0; i < 4; i++)
            {
                if (fourCC[i] > 0x7f) throw new ArgumentException("a FourCC is ASCII: " + fourCC, "fourCC");
                v |= (uint)fourCC[i] << (8 * i);
            }
            return v;
        }
    }

    /// <summary>Settings of an audio stream; the defaults are the library's (PCM, 2 x 16 bit, 44100 Hz).</summary>
    public sealed class AudioStreamOptions
    {
        public AudioStreamOptions()
        {
            Codec = AudioCodec.Pcm;
            Channels = 2;
            SampleRate = 44100;
            BitsPerSample = 16;
            BitrateKbps = 160;
        }

        public AudioCodec Codec { get; set; }
        public int Channels { get; set; }
        public int SampleRate { get; set; }
        /// <summary>PCM: 8 (unsigned), 16, 24 or 32; Float: 32.</summary>
        public int BitsPerSample { get; set; }
        /// <summary>PCM and Float: speaker positions, one per channel; None = the default layout.</summary>
        public ChannelMask ChannelMask { get; set; }
        /// <summary>Raw: WAVE format tag (1 PCM, 3 IEEE float, 0x55 MP3, ...).</summary>
        public int FormatTag { get; set; }
        /// <summary>Raw: bytes per block; 0 = channels * bits / 8.</summary>
        public int BlockAlign { get; set; }
        /// <summary>Raw: 0 = sample rate * block align.</summary>
        public int BytesPerSecond { get; set; }
        /// <summary>Raw: WAVEFORMATEX extra bytes after cbSize; may be null.</summary>
        public byte[] FormatExtra { get; set; }
        /// <summary>MP3: kbit/s; default 160.</summary>
        public int BitrateKbps { get; set; }
        /// <summary>Stream name ('strn'); may be null.</summary>
        public string Name { get; set; }
    }

    /// <summary>Options of the Try* timed writes (AVK_WRITE_*).</summary>
    [Flags]
    public enum WriteFlags
    {
        None = 0,
        /// <summary>Where the write would wait for queue room (<see cref="AviWriterOptions.MaxQueuedBytes"/>),
        /// the Try* call answers false at once instead (AVK_E_QUEUE_FULL; counted in
        /// <see cref="StreamStats.Dropped"/>). Without a bound it changes nothing.</summary>
        NoWait = (int)Native.AVK_WRITE_NOWAIT,
    }

    /// <summary>A stream's counters (avk_stream_stats), covering the writes the library accepted
    /// so far, queued or written.</summary>
    public struct StreamStats
    {
        /// <summary>Chunks begun on the stream, empty frames included.</summary>
        public long Chunks { get; private set; }
        /// <summary>Video: empty frames queued for gaps of timed writes and by
        /// <see cref="AviVideoStream.SkipFrames"/>.</summary>
        public long EmptyFrames { get; private set; }
        /// <summary>Timed writes refused as <see cref="AvikitStatus.Dropped"/>, plus writes refused as
        /// <see cref="AvikitStatus.QueueFull"/>.</summary>
        public long Dropped { get; private set; }
        /// <summary>Bytes of the writes begun, as given (after trimming, inserted silence included).</summary>
        public long PayloadBytes { get; private set; }
        /// <summary>Audio (PCM, Float, MP3): samples begun, inserted silence included.</summary>
        public long Samples { get; private set; }
        /// <summary>Audio: samples of silence inserted for gaps of timed writes.</summary>
        public long SilenceSamples { get; private set; }
        /// <summary>Audio: samples cut from the start of timed blocks that overlapped what the stream
        /// already had (a block cut whole counts in <see cref="Dropped"/> only).</summary>
        public long TrimmedSamples { get; private set; }

        internal static StreamStats From(StreamStatsNative n)
        {
            return new StreamStats
            {
                Chunks = (long)n.Chunks,
                EmptyFrames = (long)n.EmptyFrames,
                Dropped = (long)n.Dropped,
                PayloadBytes = (long)n.PayloadBytes,
                Samples = (long)n.Samples,
                SilenceSamples = (long)n.SilenceSamples,
                TrimmedSamples = (long)n.TrimmedSamples,
            };
        }
    }

    /// <summary>What <see cref="AviFile.Inspect"/> or <see cref="AviFile.Repair"/> found.</summary>
    public sealed class AviFileReport
    {
        public int StreamCount { get; internal set; }
        /// <summary>Chunks of the first video stream.</summary>
        public long VideoFrames { get; internal set; }
        /// <summary>Chunks of all audio streams.</summary>
        public long AudioChunks { get; internal set; }
        /// <summary>Repair: payload bytes kept.</summary>
        public long BytesRecovered { get; internal set; }
        /// <summary>RIFF segments: 1 = AVI 1.0, more = OpenDML.</summary>
        public int RiffCount { get; internal set; }
        /// <summary>Repair: whether anything had to be rebuilt.</summary>
        public bool WasDamaged { get; internal set; }

        internal static AviFileReport From(FileReportNative n)
        {
            return new AviFileReport
            {
                StreamCount = (int)n.StreamCount,
                VideoFrames = (long)n.VideoFrames,
                AudioChunks = (long)n.AudioChunks,
                BytesRecovered = (long)n.BytesRecovered,
                RiffCount = (int)n.RiffCount,
                WasDamaged = n.WasDamaged != 0,
            };
        }
    }

    /// <summary>Checks and repairs AVI files (ours or not).</summary>
    public static class AviFile
    {
        /// <summary>Strict structural check; ArgumentException names the first fault and its offset.</summary>
        public static AviFileReport Inspect(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            var r = new FileReportNative { StructSize = (uint)Marshal.SizeOf(typeof(FileReportNative)) };
            Errors.Check(Native.avk_inspect_file(Native.Utf8z(path), ref r));
            return AviFileReport.From(r);
        }

        /// <summary>Rebuilds the headers and indexes of a file cut short by a crash, into
        /// <paramref name="outPath"/> (null = in place).</summary>
        public static AviFileReport Repair(string path, string outPath = null)
        {
            if (path == null) throw new ArgumentNullException("path");
            var r = new FileReportNative { StructSize = (uint)Marshal.SizeOf(typeof(FileReportNative)) };
            Errors.Check(Native.avk_repair_file(Native.Utf8z(path), Native.Utf8z(outPath), ref r));
            return AviFileReport.From(r);
        }
    }

    /// <summary>The loaded native library.</summary>
    public static class AvikitLibrary
    {
        /// <summary>The native library's version.</summary>
        public static Version Version
        {
            get
            {
                var v = Native.avk_version();
                return new Version((int)(v >> 16), (int)((v >> 8) & 0xff), (int)(v & 0xff));
            }
        }

        /// <summary>The native library's version string, such as "0.1.0".</summary>
        public static string VersionString { get { return Marshal.PtrToStringAnsi(Native.avk_version_string()); } }

        /// <summary>
        /// Loads LAME for MP3 streams from <paramref name="path"/> instead of the default names
        /// (libmp3lame.so.0; on Windows libmp3lame.dll, then libmp3lame-0.dll) or the AVIKIT_LAME_PATH
        /// environment variable (avk_set_lame_path). Takes effect for MP3 streams added afterwards, as
        /// long as no MP3 stream loaded LAME yet in this process; a missing or wrong file makes them
        /// throw NotSupportedException then. The path is copied. Thread-safe.
        /// </summary>
        /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
        public static void SetLamePath(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            Errors.Check(Native.avk_set_lame_path(Native.Utf8z(path)));
        }
    }
}
