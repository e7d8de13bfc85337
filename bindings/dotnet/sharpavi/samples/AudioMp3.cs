// SharpAvi docs, "Working with Audio Streams", "Encoding": the LAME library's location set first,
// then an MP3 stream made from an Mp3LameAudioEncoder instance (AddEncodingAudioStream) and one
// made by AddMp3LameAudioStream. Compiled unchanged against SharpAvi or Avikit.SharpAvi.dll.
// args: <dir> <LAME library path>. Writes <dir>/audio-mp3.avi and <dir>/audio-mp3-ext.avi.
using System;
using System.IO;
using SharpAvi;
using SharpAvi.Output;
using SharpAvi.Codecs;

static class AudioMp3
{
    static void Main(string[] args)
    {
        Mp3LameAudioEncoder.SetLameDllLocation(args[1]);

        Write(Path.Combine(args[0], "audio-mp3.avi"), writer =>
        {
            var encoder = new Mp3LameAudioEncoder(
                /* channelCount: */ 2,
                /* samplesPerSecond: */ 44100,
                /* outputBitRateKbps: */ 192);
            return writer.AddEncodingAudioStream(encoder);
        });
        Write(Path.Combine(args[0], "audio-mp3-ext.avi"), writer => writer.AddMp3LameAudioStream(2, 44100, 192));
    }

    static void Write(string path, Func<AviWriter, IAviAudioStream> addAudio)
    {
        var writer = new AviWriter(path) { FramesPerSecond = 30 };
        var video = writer.AddMJpegWpfVideoStream(320, 240, 70);
        var encodingStream = addAudio(writer);
        var audioBuffer = new byte[44100 / 30 * 4];
        var frame = new byte[320 * 240 * 4];
        var sample = 0;
        for (var i = 0; i < 60; i++)
        {
            for (var s = 0; s < audioBuffer.Length / 4; s++, sample++)
            {
                var v = (short)(Math.Sin(sample * 2 * Math.PI * 440 / 44100) * 8000);
                audioBuffer[s * 4] = audioBuffer[s * 4 + 2] = (byte)v;
                audioBuffer[s * 4 + 1] = audioBuffer[s * 4 + 3] = (byte)(v >> 8);
            }
            video.WriteFrame(true, frame, 0, frame.Length);
            encodingStream.WriteBlock(audioBuffer, 0, audioBuffer.Length);
        }
        writer.Close();
        Console.WriteLine(Path.GetFileName(path) + ": format 0x" + encodingStream.Format.ToString("X") + ", " + encodingStream.BytesPerSecond + " bytes/s");
    }
}
