// The C ABI as the binding declares it (struct layouts, defaults), the version, rational frame
// rates. Part of AvikitTests (see AvikitTests.cs).
using System;
using System.Runtime.InteropServices;
using Avikit;
using static Harness;

internal static partial class AvikitTests
{
    private static void StructLayouts()
    {
        var buf = Marshal.AllocHGlobal(512);
        try
        {
            Action<Action<IntPtr>, Type, string> native = (init, type, name) =>
            {
                for (var i = 0; i < 512; i++) Marshal.WriteByte(buf, i, 0xAA);
                init(buf);
                Equal(Marshal.SizeOf(type), Marshal.ReadInt32(buf), name + " struct_size");
            };
            native(p => Native.avk_writer_options_init(p), typeof(WriterOptionsNative), "avk_writer_options");
            native(p => Native.avk_video_stream_options_init(p), typeof(VideoStreamOptionsNative), "avk_video_stream_options");
            native(p => Native.avk_audio_stream_options_init(p), typeof(AudioStreamOptionsNative), "avk_audio_stream_options");

            // The defaults the native init writes equal the managed option defaults.
            Native.avk_writer_options_init(buf);
            var wo = (WriterOptionsNative)Marshal.PtrToStructure(buf, typeof(WriterOptionsNative));
            var mo = new AviWriterOptions().ToNative();
            Equal(wo.FrameRateNum, mo.FrameRateNum, "default frame_rate_num");
            Equal(wo.FrameRateDen, mo.FrameRateDen, "default frame_rate_den");
            Equal(wo.Flags, mo.Flags, "default flags");
            Equal(wo.CheckpointIntervalMs, mo.CheckpointIntervalMs, "default checkpoint_interval_ms");
            Equal(wo.SuperIndexCapacity, mo.SuperIndexCapacity, "default super_index_capacity");
            Equal(wo.Durability, mo.Durability, "default durability");
            Equal(Native.AVK_DURABILITY_CHECKPOINTS, mo.Durability, "durable by default");
            Native.avk_video_stream_options_init(buf);
            var vo = (VideoStreamOptionsNative)Marshal.PtrToStructure(buf, typeof(VideoStreamOptionsNative));
            Equal(vo.BitsPerPixel, 32u, "default bits_per_pixel");
            Equal(vo.Quality, 75u, "default quality");
            Equal(vo.ColorMatrix, 0, "default color_matrix");
            Equal(vo.Prediction, 0, "default prediction");
            Equal(vo.Slices, 0u, "default slices");
            Equal(vo.VideoFlags, 0u, "default video_flags");
            Native.avk_audio_stream_options_init(buf);
            var ao = (AudioStreamOptionsNative)Marshal.PtrToStructure(buf, typeof(AudioStreamOptionsNative));
            Equal(ao.Codec, 1, "default audio codec");
            Equal(ao.Channels, 2u, "default channels");
            Equal(ao.BitrateKbps, 160u, "default bitrate");
        }
        finally
        {
            Marshal.FreeHGlobal(buf);
        }
        if (IntPtr.Size == 8)
        {
            // Offsets of include/avikit.h on LP64 (pointer and size_t 8 bytes, u64 8-aligned).
            Func<Type, string, int> off = (t, f) => (int)Marshal.OffsetOf(t, f);
            Equal(24, off(typeof(WriterOptionsNative), "MaxQueuedBytes"), "max_queued_bytes offset");
            Equal(32, off(typeof(WriterOptionsNative), "EncoderThreads"), "encoder_threads offset");
            Equal(40, off(typeof(WriterOptionsNative), "SuperIndexCapacity"), "super_index_capacity offset");
            Equal(48, off(typeof(WriterOptionsNative), "Durability"), "durability offset");
            Equal(56, Marshal.SizeOf(typeof(WriterOptionsNative)), "sizeof(avk_writer_options)");
            Equal(40, off(typeof(VideoStreamOptionsNative), "Name"), "video name offset");
            Equal(56, off(typeof(VideoStreamOptionsNative), "ColorMatrix"), "color_matrix offset");
            Equal(68, off(typeof(VideoStreamOptionsNative), "VideoFlags"), "video_flags offset");
            Equal(72, Marshal.SizeOf(typeof(VideoStreamOptionsNative)), "sizeof(avk_video_stream_options)");
            Equal(32, off(typeof(AudioStreamOptionsNative), "FormatExtra"), "format_extra offset");
            Equal(40, off(typeof(AudioStreamOptionsNative), "FormatExtraLen"), "format_extra_len offset");
            Equal(48, off(typeof(AudioStreamOptionsNative), "BitrateKbps"), "bitrate_kbps offset");
            Equal(56, off(typeof(AudioStreamOptionsNative), "Name"), "audio name offset");
            Equal(48, Marshal.SizeOf(typeof(IoNative)), "sizeof(avk_io)");
            Equal(40, off(typeof(IoNative), "Sync"), "avk_io.sync offset");
            Equal(8, off(typeof(IoNative), "User"), "avk_io.user offset");
            Equal(32, off(typeof(IoNative), "Close"), "avk_io.close offset");
            Equal(40, Marshal.SizeOf(typeof(FileReportNative)), "sizeof(avk_file_report)");
            Equal(32, off(typeof(FileReportNative), "RiffCount"), "riff_count offset");
        }
        // avk_stream_stats: u32 and seven 8-aligned u64 on every supported platform.
        Func<string, int> statsOff = f => (int)Marshal.OffsetOf(typeof(StreamStatsNative), f);
        Equal(64, Marshal.SizeOf(typeof(StreamStatsNative)), "sizeof(avk_stream_stats)");
        Equal(8, statsOff("Chunks"), "chunks offset");
        Equal(56, statsOff("TrimmedSamples"), "trimmed_samples offset");
    }

    private static void Version()
    {
        var v = AvikitLibrary.Version;
        Equal(v.Major + "." + v.Minor + "." + v.Build, AvikitLibrary.VersionString, "version string");
    }

    private static void Rationals()
    {
        Equal(new Rational(2997, 100), Rational.FromDecimal(29.97m), "29.97");
        Equal("2997/100", ((Rational)29.97m).ToString(), "29.97 text");
        Equal(new Rational(25, 1), (Rational)25, "int");
        Equal("30000/1001", Rational.Ntsc.ToString(), "NTSC");
        Check(new Rational(60, 2) == 30, "60/2 == 30");
        var path = OutPath("ntsc.avi");
        using (var w = new AviWriter(path, new AviWriterOptions { FramesPerSecond = Rational.Ntsc }))
        {
            Equal(Rational.Ntsc, w.FramesPerSecond, "writer rate");
            w.AddVideoStream(W, H).WriteFrame(true, Frame(0, FrameLen));
        }
        Equal("30000/1001", Probe(path)[0].FrameRate, "ffprobe r_frame_rate");
    }
}
