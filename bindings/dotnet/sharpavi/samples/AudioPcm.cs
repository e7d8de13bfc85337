// SharpAvi docs, "Working with Audio Streams", "Basics": a video stream and a PCM stream, one audio
// block of one frame's duration written after each frame, the block size computed from the
// stream's properties and the writer's FramesPerSecond. Compiled unchanged against SharpAvi or
// Avikit.SharpAvi.dll. Writes <dir>/audio-pcm.avi.
using System;
using System.IO;
using SharpAvi;
using SharpAvi.Output;
using SharpAvi.Codecs;

static class AudioPcm
{
    static void Main(string[] args)
    {
        var writer = new AviWriter(Path.Combine(args[0], "audio-pcm.avi")) { FramesPerSecond = 30 };
        var videoStream = writer.AddMJpegWpfVideoStream(320, 240, 70);
        var audioStream = writer.AddAudioStream(channelCount: 2, samplesPerSecond: 44100, bitsPerSample: 16);
        var audioByteRate = (audioStream.BitsPerSample / 8) * audioStream.ChannelCount * audioStream.SamplesPerSecond;
        var audioBlockSize = (int)(audioByteRate / writer.FramesPerSecond);
        var audioBuffer = new byte[audioBlockSize];
        var frame = new byte[320 * 240 * 4];

        var sample = 0;
        for (var i = 0; i < 60; i++)
        {
            for (var p = 0; p < frame.Length; p++) frame[p] = (byte)(p / 1280 + i * 4);
            for (var s = 0; s < audioBlockSize / 4; s++, sample++)
            {
                var v = (short)(Math.Sin(sample * 2 * Math.PI * 440 / 44100) * 8000);
                audioBuffer[s * 4] = audioBuffer[s * 4 + 2] = (byte)v;
                audioBuffer[s * 4 + 1] = audioBuffer[s * 4 + 3] = (byte)(v >> 8);
            }
            videoStream.WriteFrame(true, frame, 0, frame.Length);
            audioStream.WriteBlock(audioBuffer, 0, audioBuffer.Length);
        }
        writer.Close();
        Console.WriteLine("audio-pcm.avi: " + videoStream.FramesWritten + " frames, " + audioStream.BlocksWritten + " blocks of " + audioBlockSize + " bytes");
    }
}
