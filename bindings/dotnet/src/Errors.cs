using System;
using System.IO;

namespace Avikit
{
    /// <summary>The library's status codes (avk_status).</summary>
    public enum AvikitStatus
    {
        Ok = 0,
        InvalidArgument = 1,
        InvalidHandle = 2,
        InvalidState = 3,
        IO = 4,
        Canceled = 5,
        Timeout = 6,
        Unsupported = 7,
        Encoder = 8,
        Limit = 9,
        WriterFailed = 10,
        WouldDeadlock = 11,
        NoMemory = 12,
        Panic = 13,
        /// <summary>A timed write whose slot is already taken (or lies before time zero): nothing
        /// was queued, the writer is fine. The Try* writes answer false instead.</summary>
        Dropped = 14,
        /// <summary>A write with <see cref="WriteFlags.NoWait"/> found the queue over
        /// <see cref="AviWriterOptions.MaxQueuedBytes"/>: nothing was queued. Try* writes answer
        /// false instead.</summary>
        QueueFull = 15,
    }

    /// <summary>
    /// A native failure with no closer .NET exception type (encoder, format limit, out of memory,
    /// internal error, a timed write dropped). Every exception the binding maps from a status also carries it in
    /// <c>Data["Avikit.Status"]</c>.
    /// </summary>
    public class AvikitException : Exception
    {
        public AvikitException(AvikitStatus status, string message) : this(status, message, null) { }

        public AvikitException(AvikitStatus status, string message, Exception inner) : base(message, inner)
        {
            Status = status;
        }

        /// <summary>The native status code.</summary>
        public AvikitStatus Status { get; private set; }
    }

    internal static class Errors
    {
        internal const string StatusKey = "Avikit.Status";

        /// <summary>The exception for a failed call: status plus the library's message.</summary>
        internal static Exception Create(int status, string message, Exception inner)
        {
            if (string.IsNullOrEmpty(message)) message = Native.StatusName(status);
            Exception e;
            switch (status)
            {
                case Native.AVK_E_INVALID_ARGUMENT: e = new ArgumentException(message, inner); break;
                case Native.AVK_E_INVALID_HANDLE: e = new ObjectDisposedException(message, inner); break;
                case Native.AVK_E_IO: e = new IOException(message, inner); break;
                case Native.AVK_E_INVALID_STATE:
                case Native.AVK_E_WRITER_FAILED:
                case Native.AVK_E_WOULD_DEADLOCK: e = new InvalidOperationException(message, inner); break;
                case Native.AVK_E_CANCELED: e = new OperationCanceledException(message, inner); break;
                case Native.AVK_E_UNSUPPORTED: e = new NotSupportedException(message, inner); break;
                default: e = new AvikitException((AvikitStatus)status, message, inner); break;
            }
            e.Data[StatusKey] = (AvikitStatus)status;
            return e;
        }

        /// <summary>The exception for a synchronous call that just failed on this thread.</summary>
        internal static Exception Last(int status, StreamSink sink)
        {
            var message = Native.LastErrorMessage();
            return Create(status, message, status == Native.AVK_E_IO && sink != null ? sink.LastError : null);
        }

        internal static void Check(int status)
        {
            if (status != Native.AVK_OK) throw Last(status, null);
        }
    }
}
