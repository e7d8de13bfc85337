// SharpAvi 2 docs, "Asynchronous Writing", ".NET 3.5" section: double buffering with the APM pair
// BeginWriteFrame / EndWriteFrame (the previous write ended before its buffer is reused), and
// BeginWriteBlock / EndWriteBlock with a callback and a state object for audio. Compiled unchanged
// against SharpAvi 2 or Avikit.SharpAvi.dll. Writes <dir>/async-apm.avi.
using System;
using System.IO;
using System.Threading;
using SharpAvi;
using SharpAvi.Output;
using SharpAvi.Codecs;

static class AsyncApm
{
    static void Main(string[] args)
    {
        var writer = new AviWriter(Path.Combine(args[0], "async-apm.avi")) { FramesPerSecond = 30 };
        var stream = writer.AddVideoStream(640, 480);
        var audio = writer.AddAudioStream(2, 48000, 16);

        var data1 = new byte[640 * 480 * 4];
        var data2 = new byte[640 * 480 * 4];
        var block = new byte[1600 * 4];
        var blocksDone = 0;
        IAsyncResult writeResult = null;
        for (var frame = 0; frame < 60; frame++)
        {
            PrepareFrame(data2, frame);
            if (writeResult != null)
            {
                stream.EndWriteFrame(writeResult);
            }
            var data = data2;
            data2 = data1;
            data1 = data;
            writeResult = stream.BeginWriteFrame(true, data1, 0, data1.Length, null, null);
            var blockResult = audio.BeginWriteBlock(block, 0, block.Length,
                ar => Interlocked.Increment(ref blocksDone), frame);
            audio.EndWriteBlock(blockResult);
        }
        stream.EndWriteFrame(writeResult);
        writer.Close();
        Console.WriteLine("async-apm.avi: " + stream.FramesWritten + " frames, " + blocksDone + " block callbacks");
    }

    static void PrepareFrame(byte[] data, int frame)
    {
        for (var i = 0; i < data.Length; i++) data[i] = (byte)(i / 2560 + frame * 4);
    }
}
