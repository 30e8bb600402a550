; A minimal installer around the real hooks (../cli-on-path.nsh), built by scripts/windows-lane.sh
; with makensis and run under Wine: the hooks sit in Tauri's installer at the same two points
; (after the files are installed; before the uninstaller removes them).
;   makensis -DAKV_CLI_EXE=<akv-console.exe> -DOUTFILE=<installer.exe> cli-on-path-test.nsi
; amd64 stubs: the lane runs Debian's wine64 alone, which cannot start 32-bit programs.
Target amd64-unicode
RequestExecutionLevel user
Name "akv-console hook test"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\AKV hook test"
SilentInstall silent
SilentUnInstall silent

!include "${__FILEDIR__}/../cli-on-path.nsh"

Section "Install"
  SetOutPath "$INSTDIR"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  !insertmacro NSIS_HOOK_POSTINSTALL
SectionEnd

Section "Uninstall"
  !insertmacro NSIS_HOOK_PREUNINSTALL
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd
