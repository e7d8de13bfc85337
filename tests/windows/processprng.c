/*
 * Test-only stand-in for bcryptprimitives.dll, which Wine 8 lacks: Rust's standard library
 * imports ProcessPrng from it (Windows 10 and later have it). scripts/windows.sh builds this
 * next to the test programs; it is never shipped with avikit.dll.
 */
#include <windows.h>

/* RtlGenRandom, exported by advapi32 under this name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Fills `len` bytes at `data` with random bytes; TRUE on success, as ProcessPrng does. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG part = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!SystemFunction036(data, part)) {
            return FALSE;
        }
        data += part;
        len -= part;
    }
    return TRUE;
}
