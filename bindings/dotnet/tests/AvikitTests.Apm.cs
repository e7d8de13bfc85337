// Begin/End (APM) writes: identical files from sync, APM and Task writes, callbacks and
// IAsyncResult members, End and Close inside a callback, a throwing callback. Part of
// AvikitTests (see AvikitTests.cs).
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
    private static void SyncApmTaskIdentical()
    {
        const int n = 40;
        var ids = Enumerable.Range(0, n).ToList();
        var reference = Reference("sync.avi", ids, true);

        // APM: two writes in flight per stream, ended in order.
        var apmPath = OutPath("apm.avi");
        using (var w = new AviWriter(apmPath, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var a = w.AddAudioStream(2, 44100, 16);
            var pending = new Queue<Action>();
            foreach (var i in ids)
            {
                var vr = v.BeginWriteFrame(true, Frame(i, FrameLen), 0, FrameLen, null, null);
                var ar = a.BeginWriteBlock(Frame(1000 + i, AudioBlock), 0, AudioBlock, null, null);
                pending.Enqueue(() => v.EndWriteFrame(vr));
                pending.Enqueue(() => a.EndWriteBlock(ar));
                while (pending.Count > 4) pending.Dequeue()();
            }
            while (pending.Count > 0) pending.Dequeue()();
            Equal(n, v.FramesWritten, "FramesWritten");
            Equal(n, a.BlocksWritten, "BlocksWritten");
        }
        BytesEqual(reference, File.ReadAllBytes(apmPath), "APM file vs sync file");

        // Task: everything begun at once, awaited together.
        var taskPath = OutPath("task.avi");
        using (var w = new AviWriter(taskPath, Deterministic()))
        {
            Check(Task.WaitAll(BeginReferenceTasks(w, ids), 30000), "tasks completed");
            Equal(0, w.PendingWrites, "PendingWrites after all tasks");
        }
        BytesEqual(reference, File.ReadAllBytes(taskPath), "Task file vs sync file");

        ExpectPackets(OutPath("sync.avi"), n, n);
        var report = AviFile.Inspect(taskPath);
        Equal(2, report.StreamCount, "inspect streams");
        Equal((long)n, report.VideoFrames, "inspect video frames");
        Equal((long)n, report.AudioChunks, "inspect audio chunks");
    }

    private static void ApmCallbacks()
    {
        var path = OutPath("callbacks.avi");
        const int n = 20;
        var calls = 0;
        var order = new List<int>();
        var errors = new List<string>();
        var allDone = new ManualResetEventSlim(false);
        var results = new IAsyncResult[n];
        using (var w = new AviWriter(path, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            var v2 = w.AddVideoStream(W, H, 32);
            for (var i = 0; i < n; i++)
            {
                results[i] = v.BeginWriteFrame(true, Frame(i, FrameLen), 0, FrameLen, ar =>
                {
                    // Runs on the worker after the write completed, in begin order.
                    if (!ar.IsCompleted) errors.Add("IsCompleted false inside callback");
                    if (ar.CompletedSynchronously) errors.Add("CompletedSynchronously");
                    if (!ar.AsyncWaitHandle.WaitOne(0)) errors.Add("wait handle not set inside callback");
                    order.Add((int)ar.AsyncState);
                    if ((int)ar.AsyncState % 2 == 0) v.EndWriteFrame(ar); // End inside the own callback returns at once
                    if (Interlocked.Increment(ref calls) == n) allDone.Set();
                }, i);
                Check(!results[i].CompletedSynchronously, "CompletedSynchronously after begin");
                Equal(i, (int)results[i].AsyncState, "AsyncState");
            }
            Check(results[n - 1].AsyncWaitHandle.WaitOne(30000), "AsyncWaitHandle signaled");
            Check(allDone.Wait(30000), "every callback fired");
            Check(results.All(r => r.IsCompleted), "all IsCompleted");
            for (var i = 1; i < n; i += 2) v.EndWriteFrame(results[i]);
            Equal("", string.Join("; ", errors), "errors seen in callbacks");
            Equal(string.Join(",", Enumerable.Range(0, n)), string.Join(",", order), "callback order");

            var again = Throws<InvalidOperationException>(() => v.EndWriteFrame(results[0]));
            Check(again.Message.Contains("already"), "second End message: " + again.Message);
            Throws<InvalidOperationException>(() => v.EndWriteFrame(results[1]));
            var foreign = v2.BeginWriteFrame(true, Frame(0, FrameLen), 0, FrameLen, null, null);
            Throws<ArgumentException>(() => v.EndWriteFrame(foreign));
            v2.EndWriteFrame(foreign); // still usable by its own stream
            Throws<ArgumentNullException>(() => v.EndWriteFrame(null));
        }
        ExpectPackets(path, n + 1, 0);
    }

    private static void EndInsideCallback()
    {
        var path = OutPath("end-inside.avi");
        using (var w = new AviWriter(path, Deterministic()))
        {
            var v = w.AddVideoStream(W, H, 32);
            IAsyncResult second = null;
            Exception seen = null, closeSeen = null;
            var done = new ManualResetEventSlim(false);
            var frame2 = Frame(2, FrameLen);
            var first = v.BeginWriteFrame(true, Frame(1, FrameLen), 0, FrameLen, ar =>
            {
                try
                {
                    second = v.BeginWriteFrame(true, frame2, 0, FrameLen, null, null); // begin only queues here
                    try { v.EndWriteFrame(second); } catch (Exception e) { seen = e; }
                    try { w.Close(); } catch (Exception e) { closeSeen = e; }
                }
                finally
                {
                    done.Set();
                }
            }, null);
            Check(done.Wait(30000), "callback ran");
            Check(seen is InvalidOperationException && seen.Message.Contains("deadlock"), "End inside callback: " + seen);
            Check(closeSeen is InvalidOperationException, "Close inside callback: " + closeSeen);
            Equal(AvikitStatus.WouldDeadlock, (AvikitStatus)closeSeen.Data["Avikit.Status"], "Close status");
            v.EndWriteFrame(second); // from outside it waits and succeeds
            v.EndWriteFrame(first);
        }
        ExpectPackets(path, 2, 0);
    }

    private sealed class CallbackBoom : Exception
    {
        public CallbackBoom() : base("boom from a callback") { }
    }

    private static void CallbackException()
    {
        var path = OutPath("callback-throws.avi");
        var w = new AviWriter(path, Deterministic());
        var v = w.AddVideoStream(W, H, 32);
        var r = v.BeginWriteFrame(true, Frame(0, FrameLen), 0, FrameLen, ar => { throw new CallbackBoom(); }, null);
        v.EndWriteFrame(r);
        v.WriteFrame(true, Frame(1, FrameLen), 0, FrameLen); // the worker kept going
        Throws<CallbackBoom>(() => w.Close());
        w.Close();
        ExpectPackets(path, 2, 0);
    }
}
