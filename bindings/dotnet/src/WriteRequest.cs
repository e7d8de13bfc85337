using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Avikit
{
    /// <summary>Capture times of the timed writes.</summary>
    /// <remarks>
    /// A timed write takes a <see cref="TimeSpan"/> on any clock the caller likes: time zero is the
    /// capture time of the writer's first timed write, whatever its stream. Nanoseconds reach the
    /// library (ticks * 100), so a capture time must lie within about ±292 years.
    /// </remarks>
    public static class CaptureTime
    {
        private const long MaxTicks = long.MaxValue / 100;
        private const long MinTicks = long.MinValue / 100;

        /// <summary>A <see cref="Stopwatch.GetTimestamp"/> value as a TimeSpan, to the nearest 100 ns
        /// (halves up), computed exactly in integers for any <see cref="Stopwatch.Frequency"/>. The
        /// 100 ns lost are a 333,333th of a frame period at 30 frames per second.</summary>
        public static TimeSpan FromStopwatchTimestamp(long timestamp)
        {
            return FromTimestamp(timestamp, Stopwatch.Frequency);
        }

        /// <summary>round(timestamp * 10^7 / frequency), halves up: floor((2 t 10^7 + f) / 2f).
        /// decimal holds these 96-bit integers exactly; only its division rounds, and the floor is
        /// corrected by comparing exact products.</summary>
        internal static TimeSpan FromTimestamp(long timestamp, long frequency)
        {
            if (frequency <= 0) throw new ArgumentOutOfRangeException("frequency", "must be positive");
            var num = 2m * timestamp * TimeSpan.TicksPerSecond + frequency;
            var den = 2m * frequency;
            var q = decimal.Floor(num / den);
            if (q * den > num) q -= 1;
            else if ((q + 1) * den <= num) q += 1;
            if (q > long.MaxValue || q < long.MinValue)
                throw new ArgumentOutOfRangeException("timestamp", timestamp, "beyond the range of TimeSpan");
            return TimeSpan.FromTicks((long)q);
        }

        /// <summary>The nanoseconds the library takes for a capture time.</summary>
        internal static long Nanoseconds(TimeSpan captureTime)
        {
            if (captureTime.Ticks > MaxTicks || captureTime.Ticks < MinTicks)
                throw new ArgumentOutOfRangeException("captureTime", captureTime,
                    "a capture time is passed as 64-bit nanoseconds and must lie within about ±292 years");
            return captureTime.Ticks * 100;
        }
    }

    /// <summary>
    /// One frame or block write as the library takes it: flags, the bytes (a slice of a managed
    /// array, pinned while the library may read it, or caller-owned unmanaged memory) and, for
    /// timed writes, the capture time. Every write form (sync, Begin/End, Task, Try) goes through
    /// it, so they validate and call alike.
    /// </summary>
    internal struct WriteRequest
    {
        private uint flags;
        private byte[] array;
        private int offset;
        private IntPtr pointer;
        private int count;
        private bool timed;
        private long timeNs;

        internal static WriteRequest FromArray(uint flags, byte[] data, int offset, int count)
        {
            if (data == null) throw new ArgumentNullException("data");
            if (offset < 0) throw new ArgumentOutOfRangeException("offset");
            if (count < 0) throw new ArgumentOutOfRangeException("count");
            if (data.Length - offset < count) throw new ArgumentException("offset and count exceed the array", "count");
            return new WriteRequest { flags = flags, array = data, offset = offset, count = count };
        }

        internal static WriteRequest FromPointer(uint flags, IntPtr data, int length)
        {
            if (length < 0) throw new ArgumentOutOfRangeException("length");
            if (data == IntPtr.Zero && length > 0) throw new ArgumentNullException("data", "IntPtr.Zero with a non-zero length");
            return new WriteRequest { flags = flags, pointer = data, count = length };
        }

        /// <summary>This write at <paramref name="captureTime"/>.</summary>
        internal WriteRequest At(TimeSpan captureTime)
        {
            var r = this;
            r.timed = true;
            r.timeNs = CaptureTime.Nanoseconds(captureTime);
            return r;
        }

        /// <summary>This write with the Try* options added to its flags.</summary>
        internal WriteRequest With(WriteFlags options)
        {
            if ((options & ~WriteFlags.NoWait) != 0) throw new ArgumentOutOfRangeException("flags", options, "unknown WriteFlags");
            var r = this;
            r.flags |= (uint)options;
            return r;
        }

        /// <summary>Whether a Try* write answers false for this status: the library refused to queue
        /// the write (nothing queued, no callback) and the writer is fine.</summary>
        internal static bool IsRefusal(int status)
        {
            return status == Native.AVK_E_DROPPED || status == Native.AVK_E_QUEUE_FULL;
        }

        /// <summary>The address to hand over; pins the array when the write has bytes of it (the
        /// caller frees <paramref name="pin"/> once the library is done with them).</summary>
        internal IntPtr Pin(out GCHandle pin)
        {
            pin = default(GCHandle);
            if (array == null) return pointer;
            if (count == 0) return IntPtr.Zero;
            pin = GCHandle.Alloc(array, GCHandleType.Pinned);
            return pin.AddrOfPinnedObject() + offset;
        }

        /// <summary>The synchronous write (begin + end in the library).</summary>
        internal int Write(AsyncKind kind, IntPtr stream, IntPtr data)
        {
            var len = (UIntPtr)(uint)count;
            if (kind == AsyncKind.VideoFrame)
            {
                return timed
                    ? Native.avk_video_stream_write_frame_at(stream, flags, timeNs, data, len)
                    : Native.avk_video_stream_write_frame(stream, flags, data, len);
            }
            return timed
                ? Native.avk_audio_stream_write_block_at(stream, flags, timeNs, data, len)
                : Native.avk_audio_stream_write_block(stream, flags, data, len);
        }

        /// <summary>Queues the write with the binding's completion callback.</summary>
        internal int Begin(AsyncKind kind, IntPtr stream, IntPtr data, IntPtr userState, out IntPtr result)
        {
            var len = (UIntPtr)(uint)count;
            var cb = Callbacks.CompletionPtr;
            if (kind == AsyncKind.VideoFrame)
            {
                return timed
                    ? Native.avk_video_stream_begin_write_frame_at(stream, flags, timeNs, data, len, cb, userState, out result)
                    : Native.avk_video_stream_begin_write_frame(stream, flags, data, len, cb, userState, out result);
            }
            return timed
                ? Native.avk_audio_stream_begin_write_block_at(stream, flags, timeNs, data, len, cb, userState, out result)
                : Native.avk_audio_stream_begin_write_block(stream, flags, data, len, cb, userState, out result);
        }
    }
}
