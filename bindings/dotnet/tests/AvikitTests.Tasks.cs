// Task writes and the write queue: continuations off the worker, cancellation, buffers pinned
// while many writes are pending, FlushAsync. Part of AvikitTests (see AvikitTests.cs).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Avikit;
using static Harness;

internal static partial class AvikitTests
{
    private static void TaskContinuations()
    {
        var path = OutPath("continuations.avi");
        using (var w = new AviWriter(path, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var worker = -1;
            var probe = v.BeginWriteFrame(true, Frame(0, FrameLen), 0, FrameLen,
                ar => Volatile.Write(ref worker, Thread.CurrentThread.ManagedThreadId), null);
            v.EndWriteFrame(probe);
            SpinWait.SpinUntil(() => Volatile.Read(ref worker) != -1, 10000);
            Check(worker != -1 && worker != Thread.CurrentThread.ManagedThreadId, "callback ran on a worker thread");

            var threads = new List<int>();
            var chain = new List<Task>();
            for (var i = 1; i <= 10; i++)
            {
                chain.Add(v.WriteFrameAsync(true, Frame(i, FrameLen), 0, FrameLen).ContinueWith(t =>
                {
                    lock (threads) threads.Add(Thread.CurrentThread.ManagedThreadId);
                    if (t.Status != TaskStatus.RanToCompletion) throw new Exception("write task " + t.Status);
                }, TaskContinuationOptions.ExecuteSynchronously));
            }
            Check(Task.WaitAll(chain.ToArray(), 30000), "continuations ran");
            Check(threads.Count == 10 && !threads.Contains(worker), "no continuation ran inline on the worker thread");

            var awaited = WriteSeveral(v, 11, 5);
            Check(awaited.Wait(30000), "async method finished");
            Equal(5, awaited.Result, "awaited writes");
            Check(w.FlushAsync().Wait(30000), "flush");
        }
        ExpectPackets(path, 16, 0);
    }

    private static async Task<int> WriteSeveral(AviVideoStream v, int first, int count)
    {
        var done = 0;
        for (var i = first; i < first + count; i++)
        {
            await v.WriteFrameAsync(true, Frame(i, FrameLen), 0, FrameLen);
            done++;
        }
        return done;
    }

    private static void Cancellation()
    {
        var sink = new GatedStream();
        using (var w = new AviWriter(sink, true, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            v.WriteFrame(true, Frame(0, FrameLen), 0, FrameLen);

            sink.Gate.Reset();
            sink.Entered.Reset();
            var t1 = v.WriteFrameAsync(true, Frame(1, FrameLen), 0, FrameLen);
            Check(sink.Entered.Wait(10000), "worker is blocked writing frame 1");
            var cts = new CancellationTokenSource();
            var t2 = v.WriteFrameAsync(true, Frame(2, FrameLen), 0, FrameLen, cts.Token);
            var t3 = v.WriteFrameAsync(true, Frame(3, FrameLen), 0, FrameLen, cts.Token);
            var t4 = v.WriteFrameAsync(true, Frame(4, FrameLen), 0, FrameLen);
            var keep = new CancellationTokenSource();
            var t5 = v.WriteFrameAsync(true, Frame(5, FrameLen), 0, FrameLen, keep.Token);
            Equal(5, w.PendingWrites, "pending writes behind the blocked one");
            cts.Cancel();
            Check(!t2.IsCompleted && !t3.IsCompleted, "canceled writes complete in their place in the queue");

            var pre = new CancellationTokenSource();
            pre.Cancel();
            var t6 = v.WriteFrameAsync(true, Frame(6, FrameLen), 0, FrameLen, pre.Token);
            Check(t6.IsCanceled, "an already canceled token gives a canceled task at once");
            Equal(5, w.PendingWrites, "nothing queued for an already canceled token");

            sink.Gate.Set();
            Check(Task.WhenAll(t1, t4, t5).Wait(30000), "the other writes succeed");
            try
            {
                t3.Wait(30000);
                throw new Exception("t3 did not fail");
            }
            catch (AggregateException e)
            {
                Check(e.InnerException is TaskCanceledException, "t3 exception: " + e.InnerException);
            }
            Check(t2.IsCanceled && t3.IsCanceled, "t2 and t3 canceled");
            Check(t2.Exception == null, "a canceled task has no exception");
            keep.Cancel(); // after completion: no effect
            Equal(TaskStatus.RanToCompletion, t5.Status, "t5 status");
            Equal(0, w.PendingWrites, "nothing pending");
        }
        Check(!sink.Disposed, "leaveOpen kept the stream open");
        var reference = Reference("cancel-ref.avi", new[] { 0, 1, 4, 5 }, false);
        BytesEqual(reference, sink.Inner.ToArray(), "canceled frames were not written");
        var path = OutPath("cancel.avi");
        File.WriteAllBytes(path, sink.Inner.ToArray());
        ExpectPackets(path, 4, 0);
    }

    private static void GcPressure()
    {
        // Small frames live in the movable young generation: an unpinned buffer would move.
        const int w = 16, h = 8, len = w * h * 4;
        const int n = 300;
        var sink = new GatedStream();
        var callbacks = 0;
        using (var writer = new AviWriter(sink, true, Deterministic()))
        {
            var v = writer.AddVideoStream(w, h, 32);
            v.WriteFrame(true, Frame(0, len), 0, len);
            sink.Gate.Reset();
            var results = new List<IAsyncResult>();
            var tasks = new List<Task>();
            var garbage = new List<byte[]>();
            for (var i = 1; i <= n; i++)
            {
                if (i % 2 == 0) tasks.Add(v.WriteFrameAsync(true, Frame(i, len), 0, len));
                else results.Add(v.BeginWriteFrame(true, Frame(i, len), 0, len, ar => Interlocked.Increment(ref callbacks), null));
                for (var g = 0; g < 20; g++) garbage.Add(new byte[100 + g]);
                if (i % 25 == 0)
                {
                    garbage.Clear();
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                }
            }
            Check(writer.PendingWrites >= n - 1, "writes stayed pending during the collections: " + writer.PendingWrites);
            sink.Gate.Set();
            foreach (var r in results) v.EndWriteFrame(r);
            Check(Task.WaitAll(tasks.ToArray(), 30000), "tasks completed");
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Equal(n / 2, Volatile.Read(ref callbacks), "callbacks");
        var reference = Reference("gc-ref.avi", Enumerable.Range(0, n + 1).ToList(), false, len, w, h);
        BytesEqual(reference, sink.Inner.ToArray(), "pinned buffers written intact");
        var path = OutPath("gc.avi");
        File.WriteAllBytes(path, sink.Inner.ToArray());
        ExpectPackets(path, n + 1, 0);
    }

    private static void FlushAsync()
    {
        var sink = new GatedStream();
        using (var w = new AviWriter(sink, true, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var idle = w.FlushAsync();
            Equal(TaskStatus.RanToCompletion, idle.Status, "nothing pending: completed task");
            v.WriteFrame(true, Frame(0, FrameLen), 0, FrameLen);
            w.Flush();
            w.Flush(durable: true);

            sink.Gate.Reset();
            var write = v.WriteFrameAsync(true, Frame(1, FrameLen), 0, FrameLen);
            var flush = w.FlushAsync();
            Check(!flush.Wait(200), "flush waits for the pending write");
            sink.Gate.Set();
            Check(flush.Wait(30000) && write.IsCompleted, "flush completed after the write");
            Equal(TaskStatus.RanToCompletion, w.FlushAsync().Status, "idle again");
        }
        var path = OutPath("flush.avi");
        File.WriteAllBytes(path, sink.Inner.ToArray());
        ExpectPackets(path, 2, 0);
    }
}
