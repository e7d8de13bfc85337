using System;
using System.Collections.Generic;
using System.IO;

namespace SharpAvi.Codecs
{
    /// <summary>
    /// avikit's encoders outside a writer's stream: SharpAvi's encoders can be called directly
    /// (EncodeFrame, EncodeBlock), while avikit encodes only into a file. So this keeps an avikit
    /// writer of one stream on a memory sink, writes each frame or block synchronously, and returns
    /// the payload of the data chunks that write appended. The sink keeps only the bytes not read
    /// yet, so memory stays at about one frame however long the sequence. Not thread-safe: the
    /// encoders serialize their calls.
    /// </summary>
    internal sealed class DetachedEncoder : IDisposable
    {
        /// <summary>The encoders not closed yet. Mono runs finalizers at exit, and a writer whose
        /// finalizer closes it then calls back into the sink while the runtime shuts down, which
        /// hangs the exit; so whatever the caller left open is closed at ProcessExit, before that.</summary>
        private static readonly HashSet<DetachedEncoder> Open = new HashSet<DetachedEncoder>();

        private readonly TailStream sink = new TailStream();
        private readonly Avikit.AviWriter writer;
        private Avikit.AviVideoStream video;
        private Avikit.AviAudioStream audio;
        private long scan;
        private bool finished;

        static DetachedEncoder()
        {
            AppDomain.CurrentDomain.ProcessExit += (sender, e) =>
            {
                DetachedEncoder[] left;
                lock (Open) left = new List<DetachedEncoder>(Open).ToArray();
                foreach (var d in left) d.Dispose();
            };
        }

        private DetachedEncoder()
        {
            writer = new Avikit.AviWriter(sink, true, new Avikit.AviWriterOptions
            {
                // No checkpoints: nothing is written between our calls, so what a write appended is
                // all in the sink when it returns. No idx1 and no durability: nobody reads the file.
                CheckpointIntervalMs = 0, EmitIndex1 = false, Durability = Avikit.Durability.None, EncoderThreads = 1,
            });
            lock (Open) Open.Add(this);
        }

        internal static DetachedEncoder Video(Avikit.VideoStreamOptions options)
        {
            return WithStream(d => d.video = d.writer.AddVideoStream(options));
        }

        internal static DetachedEncoder Audio(Avikit.AudioStreamOptions options)
        {
            return WithStream(d => d.audio = d.writer.AddAudioStream(options));
        }

        /// <summary>A detached encoder with the one stream <paramref name="add"/> adds; abandoned
        /// if adding it throws.</summary>
        private static DetachedEncoder WithStream(Action<DetachedEncoder> add)
        {
            var d = new DetachedEncoder();
            try
            {
                add(d);
            }
            catch
            {
                d.Abandon();
                throw;
            }
            return d;
        }

        /// <summary>Whether avikit accepts a video stream of these options (false: NotSupportedException).</summary>
        internal static bool Probe(Avikit.VideoStreamOptions options)
        {
            try
            {
                Video(options).Dispose();
                return true;
            }
            catch (NotSupportedException)
            {
                return false;
            }
        }

        /// <summary>Throws what avikit throws when adding an audio stream of these options (LAME missing:
        /// NotSupportedException with avikit's message).</summary>
        internal static void ThrowIfRefused(Avikit.AudioStreamOptions options)
        {
            Audio(options).Dispose();
        }

        internal int EncodeFrame(byte[] source, int offset, int count, byte[] destination, int destOffset)
        {
            lock (sink)
            {
                video.WriteFrame(true, source, offset, count);
                return Collect(destination, destOffset);
            }
        }

        internal int EncodeBlock(byte[] source, int offset, int count, byte[] destination, int destOffset)
        {
            lock (sink)
            {
                audio.WriteBlock(source, offset, count);
                return Collect(destination, destOffset);
            }
        }

        /// <summary>Closes the writer, which drains the encoder, and returns what that appended.</summary>
        internal int Finish(byte[] destination, int destOffset)
        {
            lock (sink)
            {
                if (finished) return 0;
                Close();
                return Collect(destination, destOffset);
            }
        }

        public void Dispose()
        {
            lock (sink)
            {
                if (!finished) Close();
            }
        }

        private void Close()
        {
            finished = true;
            lock (Open) Open.Remove(this);
            writer.Close();
        }

        /// <summary>True when Annex B data holds an IDR slice (NAL type 5): an H.264 key frame.</summary>
        internal static bool HasIdr(byte[] data, int offset, int count)
        {
            for (var i = offset; i + 3 < offset + count; i++)
                if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 && (data[i + 3] & 0x1f) == 5) return true;
            return false;
        }

        /// <summary>Closes a writer that has no stream: avikit finalizes it and answers
        /// InvalidOperationException, which says only that no stream was added.</summary>
        private void Abandon()
        {
            finished = true;
            lock (Open) Open.Remove(this);
            try { writer.Close(); }
            catch (InvalidOperationException) { }
        }

        /// <summary>Copies the payload of the data chunks ("##dc", "##db", "##wb") appended since the
        /// last call to <paramref name="destination"/>, skipping headers, lists and indexes.</summary>
        private int Collect(byte[] destination, int destOffset)
        {
            var total = 0;
            var buf = sink.Buffer;
            while (true)
            {
                var rel = (int)(scan - sink.Start);
                if (rel + 8 > sink.Count) break;
                var size = BitConverter.ToUInt32(buf, rel + 4);
                if (Is(buf, rel, "RIFF") || Is(buf, rel, "LIST"))
                {
                    // Descend into every list: its size may still be a placeholder.
                    if (rel + 12 > sink.Count) break;
                    scan += 12;
                    continue;
                }
                if (rel + 8 + (long)size > sink.Count) break;
                if (IsData(buf, rel))
                {
                    if ((long)destOffset + total + size > destination.Length)
                        throw new ArgumentException("The encoded data does not fit into the destination.", "destination");
                    Array.Copy(buf, rel + 8, destination, destOffset + total, size);
                    total += (int)size;
                }
                scan += 8 + size + (size & 1);
            }
            sink.Discard(scan);
            return total;
        }

        private static bool Is(byte[] b, int i, string id)
        {
            return b[i] == id[0] && b[i + 1] == id[1] && b[i + 2] == id[2] && b[i + 3] == id[3];
        }

        private static bool IsData(byte[] b, int i)
        {
            if (b[i] < '0' || b[i] > '9' || b[i + 1] < '0' || b[i + 1] > '9') return false;
            return (b[i + 2] == 'd' && (b[i + 3] == 'c' || b[i + 3] == 'b')) || (b[i + 2] == 'w' && b[i + 3] == 'b');
        }

        /// <summary>A seekable sink that keeps the bytes from <see cref="Start"/> on: writes before it
        /// (header rewrites) are dropped, and bytes skipped by a seek read as zeros.</summary>
        private sealed class TailStream : Stream
        {
            private byte[] buffer = new byte[1 << 16];
            private long position, length;

            internal byte[] Buffer { get { return buffer; } }

            internal long Start { get; private set; }

            internal int Count { get; private set; }

            public override bool CanRead { get { return false; } }
            public override bool CanSeek { get { return true; } }
            public override bool CanWrite { get { return true; } }
            public override long Length { get { return length; } }
            public override long Position { get { return position; } set { position = value; } }

            public override void Flush() { }

            public override int Read(byte[] b, int offset, int count) { throw new NotSupportedException(); }

            public override long Seek(long offset, SeekOrigin origin)
            {
                position = origin == SeekOrigin.Begin ? offset : origin == SeekOrigin.Current ? position + offset : length + offset;
                return position;
            }

            public override void SetLength(long value) { length = value; }

            public override void Write(byte[] b, int offset, int count)
            {
                var pos = position;
                position += count;
                if (position > length) length = position;
                if (pos + count <= Start) return;
                if (pos < Start)
                {
                    var skip = (int)(Start - pos);
                    offset += skip;
                    count -= skip;
                    pos = Start;
                }
                var rel = (int)(pos - Start);
                var end = rel + count;
                if (end > buffer.Length)
                {
                    var grown = new byte[Math.Max(end, buffer.Length * 2)];
                    System.Buffer.BlockCopy(buffer, 0, grown, 0, Count);
                    buffer = grown;
                }
                if (rel > Count) Array.Clear(buffer, Count, rel - Count);
                System.Buffer.BlockCopy(b, offset, buffer, rel, count);
                if (end > Count) Count = end;
            }

            /// <summary>Forgets the bytes before <paramref name="upTo"/>.</summary>
            internal void Discard(long upTo)
            {
                var d = (int)(upTo - Start);
                if (d <= 0) return;
                if (d > Count) d = Count;
                System.Buffer.BlockCopy(buffer, d, buffer, 0, Count - d);
                Count -= d;
                Start += d;
            }
        }
    }
}
