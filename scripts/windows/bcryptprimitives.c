/*
 * bcryptprimitives.dll for Wine 8, which lacks it. Rust's standard library (1.78 and newer)
 * takes every random number on Windows from its ProcessPrng, so without this DLL beside the
 * exe a Rust program stops at its first HashMap. Windows itself ships the real DLL: this shim is
 * only copied next to the exes the Windows lane runs under Wine.
 *
 * ProcessPrng forwards to RtlGenRandom (advapi32's SystemFunction036), which Wine implements
 * over the host's random source.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a 32-bit length; ProcessPrng a pointer-sized one. */
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
