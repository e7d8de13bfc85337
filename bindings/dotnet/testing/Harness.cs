// The runner and checks of the self-checking .NET test programs (AvikitTests.exe and
// SharpAviTests.exe, each compiled with this file): one line per named test, then
// "N passed, M failed" and an exit code that is non-zero when anything failed.
using System;
using System.Collections.Generic;
using System.Diagnostics;

internal static class Harness
{
    private static int passed, failed;

    /// <summary>Runs a named test: its line says ok or FAIL with the exception.</summary>
    internal static void Run(string name, Action test)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            test();
            passed++;
            Console.WriteLine("ok   " + name + " (" + sw.ElapsedMilliseconds + " ms)");
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL " + name + ": " + e);
        }
    }

    /// <summary>Prints the summary line; returns the program's exit code.</summary>
    internal static int Summary()
    {
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    internal static void Check(bool condition, string what)
    {
        if (!condition) throw new Exception("check failed: " + what);
    }

    internal static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new Exception("check failed: " + what + ": expected <" + expected + ">, got <" + actual + ">");
    }

    /// <summary>Runs action and returns the exception, which must be exactly of type T.</summary>
    internal static T Throws<T>(Action action) where T : Exception
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            if (e.GetType() != typeof(T))
                throw new Exception("expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message, e);
            return (T)e;
        }
        throw new Exception("expected " + typeof(T).Name + ", nothing was thrown");
    }

    internal static void BytesEqual(byte[] a, byte[] b, string what)
    {
        Check(a.Length == b.Length, what + ": lengths " + a.Length + " and " + b.Length);
        for (var i = 0; i < a.Length; i++)
            if (a[i] != b[i]) throw new Exception("check failed: " + what + ": first difference at byte " + i);
    }
}
