// P/Invoke declarations for include/avikit.h. Layouts match the header exactly (checked by the
// tests); no bool crosses the boundary, handles are IntPtr, strings are UTF-8 byte arrays.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: InternalsVisibleTo("AvikitTests")]

namespace Avikit
{
    /// <summary>
    /// Marks a static method that native code calls through a function pointer. Unity's IL2CPP
    /// recognizes the attribute by its name and generates a native entry point for the method.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type delegateType) { DelegateType = delegateType; }
        public Type DelegateType { get; private set; }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void NativeAsyncCallback(IntPtr result, IntPtr userState);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int NativeWriteAt(IntPtr user, ulong offset, IntPtr data, UIntPtr len);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int NativeSinkFlush(IntPtr user);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void NativeSinkClose(IntPtr user);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int NativeSinkSync(IntPtr user);

    /// <summary>avk_writer_options (56 bytes on 64-bit Linux/Windows).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct WriterOptionsNative
    {
        public uint StructSize;
        public uint FrameRateNum;
        public uint FrameRateDen;
        public uint Flags;
        public uint CheckpointIntervalMs;
        public ulong MaxQueuedBytes;
        public uint EncoderThreads;
        public uint Reserved0;
        public uint SuperIndexCapacity;
        public uint Reserved1;
        public uint Durability;
    }

    /// <summary>avk_video_stream_options.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct VideoStreamOptionsNative
    {
        public uint StructSize;
        public uint Width;
        public uint Height;
        public int Codec;
        public uint FourCC;
        public uint BitsPerPixel;
        public int InputFormat;
        public int InputStride;
        public uint Quality;
        public uint KeyframeInterval;
        public IntPtr Name;
        public uint PixelAspectNum;
        public uint PixelAspectDen;
        public int ColorMatrix;
        public int Prediction;
        public uint Slices;
        public uint VideoFlags;
    }

    /// <summary>avk_audio_stream_options.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct AudioStreamOptionsNative
    {
        public uint StructSize;
        public int Codec;
        public uint Channels;
        public uint SampleRate;
        public uint BitsPerSample;
        public uint FormatTag;
        public uint BlockAlign;
        public uint BytesPerSecond;
        public IntPtr FormatExtra;
        public UIntPtr FormatExtraLen;
        public uint BitrateKbps;
        public IntPtr Name;
        public uint ChannelMask;
    }

    /// <summary>avk_io.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoNative
    {
        public uint StructSize;
        public IntPtr User;
        public IntPtr WriteAt;
        public IntPtr Flush;
        public IntPtr Close;
        public IntPtr Sync;
    }

    /// <summary>avk_file_report.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FileReportNative
    {
        public uint StructSize;
        public uint StreamCount;
        public ulong VideoFrames;
        public ulong AudioChunks;
        public ulong BytesRecovered;
        public uint RiffCount;
        public int WasDamaged;
    }

    /// <summary>avk_stream_stats: a u32 then seven u64, each 8-aligned in C on every supported
    /// platform (the padding after struct_size is spelled out).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    internal struct StreamStatsNative
    {
        [FieldOffset(0)] public uint StructSize;
        [FieldOffset(8)] public ulong Chunks;
        [FieldOffset(16)] public ulong EmptyFrames;
        [FieldOffset(24)] public ulong Dropped;
        [FieldOffset(32)] public ulong PayloadBytes;
        [FieldOffset(40)] public ulong Samples;
        [FieldOffset(48)] public ulong SilenceSamples;
        [FieldOffset(56)] public ulong TrimmedSamples;
    }

    internal static class Native
    {
#if (UNITY_IOS || UNITY_WEBGL) && !UNITY_EDITOR
        internal const string Lib = "__Internal";
#else
        internal const string Lib = "avikit";
#endif
        private const CallingConvention Cc = CallingConvention.Cdecl;

        internal const int AVK_OK = 0;
        internal const int AVK_E_INVALID_ARGUMENT = 1;
        internal const int AVK_E_INVALID_HANDLE = 2;
        internal const int AVK_E_INVALID_STATE = 3;
        internal const int AVK_E_IO = 4;
        internal const int AVK_E_CANCELED = 5;
        internal const int AVK_E_TIMEOUT = 6;
        internal const int AVK_E_UNSUPPORTED = 7;
        internal const int AVK_E_WRITER_FAILED = 10;
        internal const int AVK_E_WOULD_DEADLOCK = 11;
        internal const int AVK_E_PANIC = 13;
        internal const int AVK_E_DROPPED = 14;
        internal const int AVK_E_QUEUE_FULL = 15;

        internal const uint AVK_WRITER_EMIT_INDEX1 = 1;
        internal const uint AVK_FLUSH_DURABLE = 1;
        internal const uint AVK_DURABILITY_CHECKPOINTS = 0;
        internal const uint AVK_DURABILITY_NONE = 1;
        internal const uint AVK_FRAME_KEYFRAME = 1;
        internal const uint AVK_WRITE_COPY = 2;
        internal const uint AVK_WRITE_NOWAIT = 4;

        [DllImport(Lib, CallingConvention = Cc)] internal static extern uint avk_version();
        [DllImport(Lib, CallingConvention = Cc)] internal static extern IntPtr avk_version_string();
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_set_lame_path(byte[] path);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern IntPtr avk_status_name(int status);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern UIntPtr avk_last_error_message(byte[] buf, UIntPtr bufLen);

        [DllImport(Lib, CallingConvention = Cc)] internal static extern void avk_writer_options_init(IntPtr opts);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern void avk_video_stream_options_init(IntPtr opts);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern void avk_audio_stream_options_init(IntPtr opts);

        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_writer_create(byte[] path, ref WriterOptionsNative opts, out WriterHandle writer);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_writer_create_io(ref IoNative io, ref WriterOptionsNative opts, out WriterHandle writer);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_writer_add_video_stream(IntPtr w, ref VideoStreamOptionsNative opts, out IntPtr stream);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_writer_add_audio_stream(IntPtr w, ref AudioStreamOptionsNative opts, out IntPtr stream);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_writer_flush(IntPtr w, uint flags);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_writer_set_info(IntPtr w, byte[] id, byte[] value);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_writer_begin_flush(IntPtr w, uint flags, IntPtr callback, IntPtr userState, out IntPtr result);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_writer_end_flush(IntPtr w, IntPtr result);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_writer_close(IntPtr w);

        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_video_stream_write_frame(IntPtr s, uint flags, IntPtr data, UIntPtr len);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_video_stream_begin_write_frame(IntPtr s, uint flags, IntPtr data, UIntPtr len,
            IntPtr callback, IntPtr userState, out IntPtr result);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_video_stream_end_write_frame(IntPtr s, IntPtr result);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_audio_stream_write_block(IntPtr s, uint flags, IntPtr data, UIntPtr len);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_audio_stream_begin_write_block(IntPtr s, uint flags, IntPtr data, UIntPtr len,
            IntPtr callback, IntPtr userState, out IntPtr result);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_audio_stream_end_write_block(IntPtr s, IntPtr result);

        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_video_stream_write_frame_at(IntPtr s, uint flags, long timeNs, IntPtr data, UIntPtr len);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_video_stream_begin_write_frame_at(IntPtr s, uint flags, long timeNs, IntPtr data, UIntPtr len,
            IntPtr callback, IntPtr userState, out IntPtr result);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_audio_stream_write_block_at(IntPtr s, uint flags, long timeNs, IntPtr data, UIntPtr len);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_audio_stream_begin_write_block_at(IntPtr s, uint flags, long timeNs, IntPtr data, UIntPtr len,
            IntPtr callback, IntPtr userState, out IntPtr result);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_video_stream_skip_frames(IntPtr s, uint count);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_video_stream_get_stats(IntPtr s, ref StreamStatsNative stats);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_audio_stream_get_stats(IntPtr s, ref StreamStatsNative stats);

        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_async_is_completed(IntPtr r, out int completed);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_async_result(IntPtr r, out int status);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_async_error_message(IntPtr r, byte[] buf, UIntPtr bufLen, out UIntPtr outLen);
        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_async_cancel(IntPtr r);

        [DllImport(Lib, CallingConvention = Cc)] internal static extern int avk_inspect_file(byte[] path, ref FileReportNative report);
        [DllImport(Lib, CallingConvention = Cc)]
        internal static extern int avk_repair_file(byte[] path, byte[] outPath, ref FileReportNative report);

        /// <summary>NUL-terminated UTF-8, or null for null.</summary>
        internal static byte[] Utf8z(string s)
        {
            if (s == null) return null;
            var n = System.Text.Encoding.UTF8.GetByteCount(s);
            var bytes = new byte[n + 1];
            System.Text.Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>A copy of s as NUL-terminated UTF-8 in unmanaged memory (free with FreeHGlobal).</summary>
        internal static IntPtr AllocUtf8(string s)
        {
            if (s == null) return IntPtr.Zero;
            var bytes = Utf8z(s);
            var p = Marshal.AllocHGlobal(bytes.Length);
            Marshal.Copy(bytes, 0, p, bytes.Length);
            return p;
        }

        internal static string FromUtf8(byte[] buf, int lenWithNul)
        {
            var n = Math.Min(Math.Max(lenWithNul - 1, 0), buf.Length);
            while (n > 0 && buf[n - 1] == 0) n--;
            return System.Text.Encoding.UTF8.GetString(buf, 0, n);
        }

        /// <summary>avk_last_error_message of the calling thread: call right after the failing call.</summary>
        internal static string LastErrorMessage()
        {
            var len = (int)(ulong)avk_last_error_message(null, UIntPtr.Zero);
            if (len <= 1) return string.Empty;
            var buf = new byte[len];
            len = (int)(ulong)avk_last_error_message(buf, (UIntPtr)(uint)buf.Length);
            return FromUtf8(buf, Math.Min(len, buf.Length));
        }

        /// <summary>The error message of a completed operation (empty when it succeeded).</summary>
        internal static string AsyncErrorMessage(IntPtr result)
        {
            UIntPtr len;
            if (avk_async_error_message(result, null, UIntPtr.Zero, out len) != AVK_OK || (ulong)len <= 1)
                return string.Empty;
            var buf = new byte[(int)(ulong)len];
            if (avk_async_error_message(result, buf, (UIntPtr)(uint)buf.Length, out len) != AVK_OK)
                return string.Empty;
            return FromUtf8(buf, buf.Length);
        }

        internal static string StatusName(int status)
        {
            var p = avk_status_name(status);
            return p == IntPtr.Zero ? "AVK_UNKNOWN" : Marshal.PtrToStringAnsi(p);
        }
    }

    /// <summary>Owns an avk_writer; releasing it closes the writer (drains, finalizes the file).</summary>
    internal sealed class WriterHandle : SafeHandle
    {
        public WriterHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            // Only reached when the writer was never closed explicitly (finalizer or abandoned
            // Close): every error here is dropped, it has no one to go to.
            Native.avk_writer_close(handle);
            return true;
        }
    }

    internal enum AsyncKind { VideoFrame, AudioBlock, Flush }

    /// <summary>Owns an avk_async result until it is ended; the owner is the stream or writer that
    /// began it (end needs both).</summary>
    internal sealed class AsyncResultHandle : SafeHandle
    {
        private readonly IntPtr owner;
        private readonly AsyncKind kind;

        internal AsyncResultHandle(IntPtr result, IntPtr owner, AsyncKind kind) : base(IntPtr.Zero, true)
        {
            this.owner = owner;
            this.kind = kind;
            SetHandle(result);
        }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            // End never blocks here: the binding releases results only once they completed (a
            // finalizer reaching a pending one leaves it to avk_writer_close).
            int done;
            if (Native.avk_async_is_completed(handle, out done) != Native.AVK_OK || done == 0) return true;
            switch (kind)
            {
                case AsyncKind.VideoFrame: Native.avk_video_stream_end_write_frame(owner, handle); break;
                case AsyncKind.AudioBlock: Native.avk_audio_stream_end_write_block(owner, handle); break;
                default: Native.avk_writer_end_flush(owner, handle); break;
            }
            return true;
        }
    }
}
