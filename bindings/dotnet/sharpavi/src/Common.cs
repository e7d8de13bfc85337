using System;
using System.Globalization;

namespace SharpAvi
{
    /// <summary>
    /// A four-character code (FOURCC): a 32-bit value whose bytes, lowest first, are ASCII
    /// characters. Names codecs and AVI chunks. An immutable value type, safe on any thread.
    /// </summary>
    public struct FourCC : IEquatable<FourCC>
    {
        private readonly uint value;

        /// <summary>The code whose bytes, lowest first, are those of <paramref name="value"/>.</summary>
        public FourCC(uint value)
        {
            this.value = value;
        }

        /// <summary>The code of up to four printable ASCII characters, padded with spaces.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">More than four characters, or a character
        /// outside ' '..'~'.</exception>
        public FourCC(string value)
        {
            if (value == null) throw new ArgumentNullException("value");
            if (value.Length > 4) throw new ArgumentOutOfRangeException("value", "A FourCC has at most 4 characters.");
            uint v = 0;
            for (var i = 0; i < 4; i++)
            {
                var c = i < value.Length ? value[i] : ' ';
                if (c < ' ' || c > '~') throw new ArgumentOutOfRangeException("value", "A FourCC has printable ASCII characters only.");
                v |= (uint)c << (8 * i);
            }
            this.value = v;
        }

        /// <summary>The four characters, or the value as 8 hex digits when any byte is not printable
        /// (so <see cref="CodecIds.Uncompressed"/> reads "00000000").</summary>
        public override string ToString()
        {
            var s = Chars();
            foreach (var c in s)
                if (c < ' ' || c > '~') return value.ToString("X8", CultureInfo.InvariantCulture);
            return s;
        }

        /// <inheritdoc/>
        public override int GetHashCode() { return value.GetHashCode(); }

        /// <inheritdoc/>
        public override bool Equals(object obj) { return obj is FourCC && Equals((FourCC)obj); }

        /// <summary>Equal when the 32-bit values are.</summary>
        public bool Equals(FourCC other) { return value == other.value; }

        /// <summary>The code with this 32-bit value.</summary>
        public static implicit operator FourCC(uint value) { return new FourCC(value); }

        /// <summary>The code of these characters; same errors as <see cref="FourCC(string)"/>.</summary>
        public static implicit operator FourCC(string value) { return new FourCC(value); }

        /// <summary>The 32-bit value.</summary>
        public static explicit operator uint(FourCC value) { return value.value; }

        /// <summary>The four characters, unprintable ones included.</summary>
        public static explicit operator string(FourCC value) { return value.Chars(); }

        /// <summary>Equal values.</summary>
        public static bool operator ==(FourCC value1, FourCC value2) { return value1.Equals(value2); }

        /// <summary>Different values.</summary>
        public static bool operator !=(FourCC value1, FourCC value2) { return !value1.Equals(value2); }

        private string Chars()
        {
            return new string(new[] { (char)(value & 0xff), (char)((value >> 8) & 0xff), (char)((value >> 16) & 0xff), (char)(value >> 24) });
        }
    }

    /// <summary>FOURCCs of well-known video codecs.</summary>
    public static class CodecIds
    {
        /// <summary>Uncompressed frames: a bottom-up DIB (BI_RGB), value 0.</summary>
        public static readonly FourCC Uncompressed = new FourCC(0u);

        /// <summary>Motion JPEG, "MJPG".</summary>
        public static readonly FourCC MotionJpeg = new FourCC("MJPG");

        /// <summary>Microsoft MPEG-4 V3, "MP43".</summary>
        public static readonly FourCC MicrosoftMpeg4V3 = new FourCC("MP43");

        /// <summary>Microsoft MPEG-4 V2, "MP42".</summary>
        public static readonly FourCC MicrosoftMpeg4V2 = new FourCC("MP42");

        /// <summary>Xvid, "XVID".</summary>
        public static readonly FourCC Xvid = new FourCC("XVID");

        /// <summary>DivX, "DIVX".</summary>
        public static readonly FourCC DivX = new FourCC("DIVX");

        /// <summary>x264 (H.264), "X264". avikit's own H.264 streams are "H264".</summary>
        public static readonly FourCC X264 = new FourCC("X264");
    }

    /// <summary>WAVE format tags (WAVEFORMATEX.wFormatTag) of audio streams.</summary>
    public static class AudioFormats
    {
        /// <summary>Unknown format, 0.</summary>
        public static readonly short Unknown = 0x0000;

        /// <summary>Integer PCM, 1.</summary>
        public static readonly short Pcm = 0x0001;

        /// <summary>MPEG Layer 3, 0x55.</summary>
        public static readonly short Mp3 = 0x0055;
    }

    /// <summary>Bits per pixel of an uncompressed frame.</summary>
    public enum BitsPerPixel
    {
        /// <summary>8 bits: one byte per pixel.</summary>
        Bpp8 = 8,
        /// <summary>16 bits: two bytes per pixel.</summary>
        Bpp16 = 16,
        /// <summary>24 bits: B, G, R.</summary>
        Bpp24 = 24,
        /// <summary>32 bits: B, G, R and an unused byte.</summary>
        Bpp32 = 32,
    }

    /// <summary>Argument checks raising the exception types SharpAvi raises for the same misuse.</summary>
    internal static class Check
    {
        internal static void NotNull(object value, string name)
        {
            if (value == null) throw new ArgumentNullException(name);
        }

        internal static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, "A positive number is required.");
        }

        internal static void Positive(double value, string name)
        {
            if (!(value > 0)) throw new ArgumentOutOfRangeException(name, "A positive number is required.");
        }

        internal static void NotNegative(int value, string name)
        {
            if (value < 0) throw new ArgumentOutOfRangeException(name, "A non-negative number is required.");
        }

        internal static void InRange(int value, int min, int max, string name)
        {
            if (value < min || value > max)
                throw new ArgumentOutOfRangeException(name, "A value in " + min + ".." + max + " is required.");
        }

        internal static void Enum(BitsPerPixel value, string name)
        {
            if (!System.Enum.IsDefined(typeof(BitsPerPixel), value))
                throw new ArgumentOutOfRangeException(name, "A member of BitsPerPixel is required.");
        }

        /// <summary>The checks of every write's (array, start, length): null, negative start,
        /// non-positive length, and a slice past the end (ArgumentException, as SharpAvi).</summary>
        internal static void Slice(byte[] data, int startIndex, int length, string dataName)
        {
            if (data == null) throw new ArgumentNullException(dataName);
            NotNegative(startIndex, "startIndex");
            Positive(length, "length");
            if ((long)startIndex + length > data.Length)
                throw new ArgumentException("startIndex + length exceeds the length of " + dataName + ".");
        }
    }
}

namespace SharpAvi.Utilities
{
    /// <summary>Helpers for AVI headers.</summary>
    public static class AviUtils
    {
        /// <summary>
        /// Splits <paramref name="frameRate"/>, rounded to 3 fractional digits, into the AVI
        /// header's <paramref name="rate"/> / <paramref name="scale"/> in lowest terms
        /// (29.97 gives 2997 / 100). Note that an avikit writer does not use this for
        /// <see cref="Output.AviWriter.FramesPerSecond"/>: it maps NTSC rates to n*1000/1001.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">A rate that is not positive, or whose
        /// rate does not fit in 32 bits.</exception>
        public static void SplitFrameRate(decimal frameRate, out uint rate, out uint scale)
        {
            if (frameRate <= 0) throw new ArgumentOutOfRangeException("frameRate", "A positive number is required.");
            var v = decimal.Round(frameRate, 3);
            ulong den = 1;
            while (v != decimal.Truncate(v)) { v *= 10; den *= 10; }
            if (v > uint.MaxValue) throw new ArgumentOutOfRangeException("frameRate", "The rate does not fit in 32 bits.");
            var num = (ulong)v;
            var g = Gcd(num, den);
            rate = (uint)(num / g);
            scale = (uint)(den / g);
        }

        private static ulong Gcd(ulong a, ulong b)
        {
            while (b != 0) { var t = a % b; a = b; b = t; }
            return a;
        }
    }
}
