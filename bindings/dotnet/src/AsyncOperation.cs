using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Avikit
{
    /// <summary>
    /// The static entry points native code calls. Each delegate is created once and kept alive for
    /// the life of the process; the object a call is about travels as a GCHandle in user_state.
    /// No exception ever leaves these methods.
    /// </summary>
    internal static class Callbacks
    {
        /// <summary>The writer whose completion callback is running on this (worker) thread.</summary>
        [ThreadStatic] internal static AviWriter CurrentWriter;

        internal static readonly NativeAsyncCallback Completion = OnCompletion;
        internal static readonly IntPtr CompletionPtr = Marshal.GetFunctionPointerForDelegate(Completion);
        internal static readonly NativeWriteAt WriteAt = OnWriteAt;
        internal static readonly IntPtr WriteAtPtr = Marshal.GetFunctionPointerForDelegate(WriteAt);
        internal static readonly NativeSinkFlush Flush = OnFlush;
        internal static readonly IntPtr FlushPtr = Marshal.GetFunctionPointerForDelegate(Flush);
        internal static readonly NativeSinkClose Close = OnClose;
        internal static readonly IntPtr ClosePtr = Marshal.GetFunctionPointerForDelegate(Close);
        internal static readonly NativeSinkSync Sync = OnSync;
        internal static readonly IntPtr SyncPtr = Marshal.GetFunctionPointerForDelegate(Sync);

        [MonoPInvokeCallback(typeof(NativeAsyncCallback))]
        private static void OnCompletion(IntPtr result, IntPtr userState)
        {
            try
            {
                var gch = GCHandle.FromIntPtr(userState);
                var op = (AsyncOperation)gch.Target;
                gch.Free();
                op.Complete(result);
            }
            catch
            {
                // Nothing may unwind into native code; Complete already routes every failure.
            }
        }

        [MonoPInvokeCallback(typeof(NativeWriteAt))]
        private static int OnWriteAt(IntPtr user, ulong offset, IntPtr data, UIntPtr len)
        {
            try { return StreamSink.From(user).WriteAt(offset, data, (ulong)len); }
            catch { return -1; }
        }

        [MonoPInvokeCallback(typeof(NativeSinkFlush))]
        private static int OnFlush(IntPtr user)
        {
            try { return StreamSink.From(user).Flush(); }
            catch { return -1; }
        }

        [MonoPInvokeCallback(typeof(NativeSinkSync))]
        private static int OnSync(IntPtr user)
        {
            try { return StreamSink.From(user).Sync(); }
            catch { return -1; }
        }

        [MonoPInvokeCallback(typeof(NativeSinkClose))]
        private static void OnClose(IntPtr user)
        {
            try { StreamSink.From(user).Close(); }
            catch { }
        }
    }

    /// <summary>A writable, seekable Stream behind avk_io. Called on the writer's worker thread only.</summary>
    internal sealed class StreamSink
    {
        private const int MaxCopy = 1 << 20;
        private readonly Stream stream;
        private readonly bool leaveOpen;
        private byte[] buffer;
        private GCHandle self;
        private int closed;
        private volatile Exception lastError;

        internal StreamSink(Stream stream, bool leaveOpen)
        {
            this.stream = stream;
            this.leaveOpen = leaveOpen;
        }

        /// <summary>The last exception the Stream threw (the inner exception of the IOException).</summary>
        internal Exception LastError { get { return lastError; } }

        /// <summary>Whether the writer called close (it then owned the sink).</summary>
        internal bool IsClosed { get { return Volatile.Read(ref closed) != 0; } }

        internal IntPtr Register()
        {
            self = GCHandle.Alloc(this);
            return GCHandle.ToIntPtr(self);
        }

        internal static StreamSink From(IntPtr user) { return (StreamSink)GCHandle.FromIntPtr(user).Target; }

        internal int WriteAt(ulong offset, IntPtr data, ulong len)
        {
            try
            {
                if (offset > long.MaxValue) throw new IOException("offset out of range");
                if (stream.Position != (long)offset) stream.Position = (long)offset;
                while (len > 0)
                {
                    var n = (int)Math.Min(len, (ulong)MaxCopy);
                    if (buffer == null || buffer.Length < n) buffer = new byte[Math.Max(n, 64 * 1024)];
                    Marshal.Copy(data, buffer, 0, n);
                    stream.Write(buffer, 0, n);
                    data += n;
                    len -= (ulong)n;
                }
                return 0;
            }
            catch (Exception e)
            {
                lastError = e;
                return -1;
            }
        }

        internal int Flush()
        {
            try
            {
                stream.Flush();
                return 0;
            }
            catch (Exception e)
            {
                lastError = e;
                return -1;
            }
        }

        /// <summary>avk_io.sync: a FileStream flushes to disk (Flush(true): fsync,
        /// FlushFileBuffers); any other Stream can only Flush, and promises what that does.</summary>
        internal int Sync()
        {
            try
            {
                var file = stream as FileStream;
                if (file != null) file.Flush(true);
                else stream.Flush();
                return 0;
            }
            catch (Exception e)
            {
                lastError = e;
                return -1;
            }
        }

        /// <summary>Releases the sink: disposes the stream unless leaveOpen. Runs once.</summary>
        internal void Close()
        {
            if (Interlocked.Exchange(ref closed, 1) != 0) return;
            try
            {
                if (!leaveOpen) stream.Dispose();
            }
            catch (Exception e)
            {
                lastError = e;
            }
            finally
            {
                if (self.IsAllocated) self.Free();
            }
        }

        /// <summary>After a failed create that did not hand the sink to the writer.</summary>
        internal void Unregister()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0 && self.IsAllocated) self.Free();
        }
    }

    /// <summary>
    /// One queued write or flush: the IAsyncResult of Begin/End, or the source of a Task. Its user
    /// buffer is pinned from begin until the completion callback; the native result is ended by
    /// the completion path (End only waits for the managed completion and reports it).
    /// </summary>
    internal sealed class AsyncOperation : IAsyncResult
    {
        private static readonly Action<object> CancelCallback = s => ((AsyncOperation)s).TryCancel();

        internal readonly object Owner;
        internal readonly AviWriter Writer;
        private readonly AviStream stream;
        private readonly AsyncCallback userCallback;
        private readonly object asyncState;
        private readonly TaskCompletionSource<bool> tcs;
        private readonly CancellationToken token;
        private readonly object gate = new object();
        private GCHandle pin;

        // Guarded by gate.
        private AsyncResultHandle native;
        private bool nativeDone;
        private CancellationTokenRegistration registration;
        private bool hasRegistration;

        private volatile bool completed;
        private ManualResetEvent waitHandle;
        private int status;
        private string message;
        private Exception sinkError;
        private int ended;

        private AsyncOperation(AviWriter writer, object owner, AviStream stream, AsyncCallback callback, object state,
            bool task, CancellationToken token)
        {
            Writer = writer;
            Owner = owner;
            this.stream = stream;
            userCallback = callback;
            asyncState = state;
            this.token = token;
            if (task) tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public bool IsCompleted { get { return completed; } }

        public object AsyncState { get { return asyncState; } }

        /// <summary>Always false: begin only queues, the library never completes inside it.</summary>
        public bool CompletedSynchronously { get { return false; } }

        public WaitHandle AsyncWaitHandle
        {
            get
            {
                var ev = Volatile.Read(ref waitHandle);
                if (ev != null) return ev;
                var created = new ManualResetEvent(completed);
                ev = Interlocked.CompareExchange(ref waitHandle, created, null);
                if (ev != null)
                {
                    created.Dispose();
                    return ev;
                }
                if (completed) created.Set(); // completion may have looked before we published it
                return created;
            }
        }

        internal Task<bool> Task { get { return tcs.Task; } }

        /// <summary>Pins the buffer, queues the native operation and returns it; throws (nothing
        /// queued, nothing pinned) when begin fails, except that with <paramref name="tryOnly"/> a
        /// refusal (dropped, queue full) returns null. A null <paramref name="stream"/> is a flush
        /// (FlushAsync; the request is unused).</summary>
        internal static AsyncOperation Start(AviWriter writer, AviStream stream, WriteRequest request,
            AsyncCallback callback, object state, bool task, CancellationToken token, bool tryOnly)
        {
            var owner = (object)stream ?? writer;
            var op = new AsyncOperation(writer, owner, stream, callback, state, task, token);
            var self = default(GCHandle);
            var queued = false;
            var counted = false;
            try
            {
                self = GCHandle.Alloc(op);
                var userState = GCHandle.ToIntPtr(self);
                IntPtr ownerPtr, result;
                AsyncKind kind;
                int st;
                if (stream == null)
                {
                    kind = AsyncKind.Flush;
                    ownerPtr = writer.Ptr;
                    st = Native.avk_writer_begin_flush(ownerPtr, 0, Callbacks.CompletionPtr, userState, out result);
                }
                else
                {
                    var ptr = request.Pin(out op.pin);
                    writer.AddPending();
                    counted = true;
                    kind = stream.Kind;
                    ownerPtr = stream.Handle;
                    st = request.Begin(kind, ownerPtr, ptr, userState, out result);
                }
                if (st != Native.AVK_OK)
                {
                    if (tryOnly && WriteRequest.IsRefusal(st)) return null;
                    throw Errors.Last(st, writer.Sink);
                }
                queued = true;

                // The callback may already have run on the worker: then end the result here.
                var handle = new AsyncResultHandle(result, ownerPtr, kind);
                bool endNow;
                lock (op.gate)
                {
                    endNow = op.nativeDone;
                    if (!endNow) op.native = handle;
                }
                if (endNow) handle.Dispose();
                if (task && token.CanBeCanceled) op.RegisterCancellation();
                return op;
            }
            finally
            {
                if (!queued)
                {
                    if (self.IsAllocated) self.Free();
                    if (op.pin.IsAllocated) op.pin.Free();
                    if (counted) writer.RemovePending();
                }
                GC.KeepAlive(writer);
            }
        }

        private void RegisterCancellation()
        {
            CancellationTokenRegistration reg;
            try
            {
                reg = token.Register(CancelCallback, this);
            }
            catch (ObjectDisposedException)
            {
                return; // the token's source was disposed: it can no longer cancel
            }
            bool disposeNow;
            lock (gate)
            {
                disposeNow = nativeDone;
                if (!disposeNow)
                {
                    registration = reg;
                    hasRegistration = true;
                }
            }
            if (disposeNow) reg.Dispose();
        }

        /// <summary>Asks the library to skip the operation if it is still queued; it then completes
        /// with AVK_E_CANCELED in its place in the queue. Too late is not an error.</summary>
        private void TryCancel()
        {
            try
            {
                AsyncResultHandle h;
                lock (gate) h = native;
                if (h == null) return;
                var added = false;
                try
                {
                    h.DangerousAddRef(ref added);
                    Native.avk_async_cancel(h.DangerousGetHandle());
                }
                finally
                {
                    if (added) h.DangerousRelease();
                }
            }
            catch
            {
                // Already ended: nothing left to cancel. Never throw into Cancel()'s caller.
            }
        }

        /// <summary>Runs on the writer's worker thread, once, after the operation completed.</summary>
        internal void Complete(IntPtr result)
        {
            int st;
            if (Native.avk_async_result(result, out st) != Native.AVK_OK) st = Native.AVK_E_PANIC;
            status = st;
            if (st != Native.AVK_OK)
            {
                message = Native.AsyncErrorMessage(result);
                if (st == Native.AVK_E_IO && Writer.Sink != null) sinkError = Writer.Sink.LastError;
            }
            if (pin.IsAllocated) pin.Free();

            AsyncResultHandle h;
            CancellationTokenRegistration reg;
            bool hasReg;
            lock (gate)
            {
                nativeDone = true;
                h = native;
                native = null;
                reg = registration;
                hasReg = hasRegistration;
                hasRegistration = false;
            }
            if (h != null) h.Dispose(); // inside its own callback, end returns at once
            if (hasReg) reg.Dispose();
            if (stream != null)
            {
                if (st == Native.AVK_OK) stream.CountWritten();
                Writer.RemovePending();
            }

            lock (gate)
            {
                completed = true;
                Monitor.PulseAll(gate);
            }
            var ev = Volatile.Read(ref waitHandle);
            if (ev != null) ev.Set();

            if (tcs != null)
            {
                if (st == Native.AVK_OK) tcs.TrySetResult(true);
                else if (st == Native.AVK_E_CANCELED)
                {
                    if (token.IsCancellationRequested) tcs.TrySetCanceled(token);
                    else tcs.TrySetCanceled();
                }
                else tcs.TrySetException(CreateException());
            }
            else if (userCallback != null)
            {
                var previous = Callbacks.CurrentWriter;
                Callbacks.CurrentWriter = Writer;
                try
                {
                    userCallback(this);
                }
                catch (Exception e)
                {
                    Writer.RecordCallbackException(e);
                }
                finally
                {
                    Callbacks.CurrentWriter = previous;
                }
            }
        }

        private Exception CreateException() { return Errors.Create(status, message, sinkError); }

        /// <summary>EndWriteFrame / EndWriteBlock: waits for completion and throws its failure.</summary>
        internal static void End(IAsyncResult asyncResult, object expectedOwner, string endName)
        {
            if (asyncResult == null) throw new ArgumentNullException("asyncResult");
            var op = asyncResult as AsyncOperation;
            if (op == null || op.Owner != expectedOwner || op.tcs != null)
                throw new ArgumentException("The IAsyncResult was not returned by this object's matching Begin method.", "asyncResult");
            if (!op.completed && Callbacks.CurrentWriter == op.Writer)
                throw new InvalidOperationException(endName + " was called inside a callback of the same writer for an " +
                    "operation that has not completed; waiting for it there would deadlock (AVK_E_WOULD_DEADLOCK).");
            if (Interlocked.Exchange(ref op.ended, 1) != 0)
                throw new InvalidOperationException(endName + " was already called for this IAsyncResult.");
            if (!op.completed)
            {
                lock (op.gate)
                {
                    while (!op.completed) Monitor.Wait(op.gate);
                }
            }
            if (op.status != Native.AVK_OK) throw op.CreateException();
        }
    }
}
