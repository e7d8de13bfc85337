// SharpAvi docs, "Asynchronous Writing" (v3, and v2's .NET 4.5 section): double buffering with
// WriteFrameAsync: the next frame is prepared while the previous one is written, the buffers are
// switched after waiting for the previous task (initialized to a completed task through a
// TaskCompletionSource). Audio goes through WriteBlockAsync the same way. Compiled unchanged
// against SharpAvi or Avikit.SharpAvi.dll. Writes <dir>/async-tasks.avi.
using System;
using System.IO;
using System.Threading.Tasks;
using SharpAvi;
using SharpAvi.Output;
using SharpAvi.Codecs;

static class AsyncTasks
{
    static void Main(string[] args)
    {
        var writer = new AviWriter(Path.Combine(args[0], "async-tasks.avi")) { FramesPerSecond = 30 };
        var stream = writer.AddVideoStream(640, 480);
        var audio = writer.AddAudioStream(2, 48000, 16);

        var data1 = new byte[640 * 480 * 4];
        var data2 = new byte[640 * 480 * 4];
        var block = new byte[1600 * 4];
        var tcs = new TaskCompletionSource<bool>();
        tcs.SetResult(true);
        Task writeResult = tcs.Task;
        for (var frame = 0; frame < 60; frame++)
        {
            PrepareFrame(data2, frame);
            writeResult.Wait();
            var data = data2;
            data2 = data1;
            data1 = data;
            writeResult = stream.WriteFrameAsync(true, data1, 0, data1.Length);
            audio.WriteBlockAsync(block, 0, block.Length).Wait();
        }
        writeResult.Wait();
        writer.Close();
        Console.WriteLine("async-tasks.avi: " + stream.FramesWritten + " frames, " + audio.BlocksWritten + " blocks");
    }

    static void PrepareFrame(byte[] data, int frame)
    {
        for (var i = 0; i < data.Length; i++) data[i] = (byte)(i / 2560 + frame * 4);
    }
}
