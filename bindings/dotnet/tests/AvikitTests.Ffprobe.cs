// Reading the written files back with ffprobe (through a bridge folder under Wine). Part of
// AvikitTests (see AvikitTests.cs).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Avikit;
using static Harness;

internal static partial class AvikitTests
{
    private sealed class StreamInfo
    {
        public string CodecName, CodecType, FrameRate;
        public int Packets;
    }

    [DllImport("kernel32.dll", EntryPoint = "wine_get_unix_file_name", CharSet = CharSet.Unicode)]
    private static extern IntPtr WineGetUnixFileName(string dosPath);
    [DllImport("kernel32.dll")] private static extern IntPtr GetProcessHeap();
    [DllImport("kernel32.dll")] private static extern bool HeapFree(IntPtr heap, uint flags, IntPtr mem);

    /// <summary>The Unix path Wine maps a Windows path to.</summary>
    private static string WineUnixPath(string path)
    {
        var unix = WineGetUnixFileName(Path.GetFullPath(path));
        Check(unix != IntPtr.Zero, "wine_get_unix_file_name(" + path + ")");
        var bytes = new List<byte>();
        for (var i = 0; Marshal.ReadByte(unix, i) != 0; i++) bytes.Add(Marshal.ReadByte(unix, i));
        HeapFree(GetProcessHeap(), 0, unix);
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Runs ffprobe on `path` with `args` before it; returns its exit code. Under Wine,
    /// which starts a Linux program without a process handle (so no output, no exit code), through
    /// the folder $AVIKIT_FFPROBE_BRIDGE: a request file of arguments (the path as Unix path),
    /// answered by scripts/windows.sh running the Linux ffprobe.</summary>
    private static int RunFfprobe(string args, string path, out string stdout, out string stderr)
    {
        var bridge = Environment.GetEnvironmentVariable("AVIKIT_FFPROBE_BRIDGE");
        if (!string.IsNullOrEmpty(bridge))
        {
            var request = Path.Combine(bridge, Guid.NewGuid().ToString("N"));
            var lines = args.Split(' ').Concat(new[] { WineUnixPath(path) });
            File.WriteAllText(request + ".tmp", string.Join("\n", lines) + "\n");
            File.Move(request + ".tmp", request + ".req");
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!File.Exists(request + ".done"))
            {
                Check(DateTime.UtcNow < deadline, "no answer from the ffprobe bridge in " + bridge);
                Thread.Sleep(10);
            }
            stdout = File.ReadAllText(request + ".out");
            stderr = File.ReadAllText(request + ".err");
            return int.Parse(File.ReadAllText(request + ".done").Trim());
        }
        var psi = new ProcessStartInfo("ffprobe", args + " \"" + path + "\"")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using (var p = Process.Start(psi))
        {
            var err = p.StandardError.ReadToEndAsync();
            stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            stderr = err.Result;
            return p.ExitCode;
        }
    }

    /// <summary>ffprobe -count_packets: one entry per stream; fails on any ffprobe error.</summary>
    private static List<StreamInfo> Probe(string path)
    {
        string stdout, stderr;
        var rc = RunFfprobe(
            "-v error -count_packets -show_entries stream=codec_name,codec_type,r_frame_rate,nb_read_packets " +
            "-of default=noprint_wrappers=1", path, out stdout, out stderr);
        Check(rc == 0 && stderr.Trim().Length == 0, "ffprobe " + path + " exit " + rc + ": " + stderr);
        var list = new List<StreamInfo>();
        foreach (var line in stdout.Split('\n'))
        {
            var eq = line.IndexOf('=');
            if (eq < 0) continue;
            var key = line.Substring(0, eq);
            var value = line.Substring(eq + 1).Trim();
            if (key == "codec_name") list.Add(new StreamInfo());
            var s = list[list.Count - 1];
            if (key == "codec_name") s.CodecName = value;
            else if (key == "codec_type") s.CodecType = value;
            else if (key == "r_frame_rate") s.FrameRate = value;
            else if (key == "nb_read_packets") s.Packets = value == "N/A" ? 0 : int.Parse(value); // N/A: no chunk
        }
        return list;
    }

    private static void ExpectPackets(string path, int video, int audio)
    {
        var streams = Probe(path);
        var v = streams.Where(s => s.CodecType == "video").Sum(s => s.Packets);
        var a = streams.Where(s => s.CodecType == "audio").Sum(s => s.Packets);
        Equal(video, v, "ffprobe video packets of " + Path.GetFileName(path));
        Equal(audio, a, "ffprobe audio packets of " + Path.GetFileName(path));
    }

    /// <summary>ffprobe's key=value lines for <paramref name="entries"/> (-show_entries syntax).</summary>
    private static List<string> ProbeValues(string path, string entries)
    {
        string stdout, stderr;
        var rc = RunFfprobe("-v error -show_entries " + entries + " -of default=noprint_wrappers=1",
            path, out stdout, out stderr);
        Check(rc == 0 && stderr.Trim().Length == 0, "ffprobe " + path + " exit " + rc + ": " + stderr);
        return stdout.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
    }

    /// <summary>ffprobe's "pts,size" per packet of one stream. Readers skip empty frames, so they
    /// show as gaps in pts.</summary>
    private static List<string> PacketLines(string path, string stream)
    {
        string stdout, stderr;
        var rc = RunFfprobe("-v error -select_streams " + stream + " -show_entries packet=pts,size -of csv=p=0",
            path, out stdout, out stderr);
        Check(rc == 0 && stderr.Trim().Length == 0, "ffprobe " + path + " exit " + rc + ": " + stderr);
        return stdout.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
    }

    /// <summary>The payload bytes of one stream's packets (ffmpeg splits PCM chunks into packets
    /// as it likes, so audio is compared by bytes).</summary>
    private static long PacketBytes(string path, string stream)
    {
        return PacketLines(path, stream).Sum(l => long.Parse(l.Split(',')[1]));
    }
}
