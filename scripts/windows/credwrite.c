/*
 * credwrite.exe TARGET USER < secret
 *
 * Writes one generic credential into Windows Credential Manager (under Wine: the Wine prefix's
 * own store), shaped as the keyring crate writes it: the secret as UTF-16LE without a trailing
 * NUL, persisted per user. The CLI test uses it to hand the Windows akv-console.exe the
 * "remembered" secret that the Linux side of the test stored in its Secret Service, since a
 * Linux process cannot reach Wine's Credential Manager. The secret comes on stdin, not on the
 * command line, so it is not in the process list.
 */
#include <windows.h>
#include <wincred.h>
#include <stdio.h>
#include <stdlib.h>

int wmain(int argc, wchar_t **argv)
{
    if (argc != 3) {
        fwprintf(stderr, L"usage: credwrite.exe TARGET USER < secret\n");
        return 64;
    }
    char utf8[8192];
    size_t length = fread(utf8, 1, sizeof(utf8), stdin);
    if (length == sizeof(utf8)) {
        fwprintf(stderr, L"credwrite: the secret is longer than %u bytes\n", (unsigned)sizeof(utf8) - 1);
        return 65;
    }
    wchar_t wide[8192];
    int units = length == 0 ? 0 : MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, (int)length, wide, 8192);
    if (length > 0 && units == 0) {
        fwprintf(stderr, L"credwrite: the secret is not UTF-8 (error %lu)\n", GetLastError());
        return 65;
    }
    CREDENTIALW credential = {0};
    credential.Type = CRED_TYPE_GENERIC;
    credential.TargetName = argv[1];
    credential.UserName = argv[2];
    credential.CredentialBlob = (LPBYTE)wide;
    credential.CredentialBlobSize = (DWORD)units * sizeof(wchar_t);
    credential.Persist = CRED_PERSIST_ENTERPRISE;
    if (!CredWriteW(&credential, 0)) {
        fwprintf(stderr, L"credwrite: CredWriteW failed (error %lu)\n", GetLastError());
        return 1;
    }
    SecureZeroMemory(utf8, sizeof(utf8));
    SecureZeroMemory(wide, sizeof(wide));
    return 0;
}
