; NSIS installer hooks (tauri.conf.json bundle.windows.nsis.installerHooks): install the headless
; companion akv-console.exe beside the window's executable and put that folder on the user's
; PATH, so RMM scripts can call `akv-console` in a new console; the uninstaller undoes both.
;
; The installer runs in Tauri's default "currentUser" mode, so the folder goes on the user's own
; PATH (HKCU\Environment), which needs no elevation.
;
; NSIS strings hold NSIS_MAX_STRLEN characters (1,024 in the stock build). A PATH that long cannot
; be read back whole (ReadRegStr returns nothing), and writing a new one would lose the user's PATH:
; then it is left exactly as it was and the installer says so (akv-console works by its full path).
;
; scripts/windows-lane.sh compiles these hooks into a test installer and runs it under Wine.

!include LogicLib.nsh
!include WordFunc.nsh
!include WinMessages.nsh

; Staged by ui/scripts/stage-cli.mjs (Tauri's beforeBundleCommand) before the bundler runs.
!ifndef AKV_CLI_EXE
  !define AKV_CLI_EXE "${__FILEDIR__}/../../target/cli-staged/akv-console.exe"
!endif

; Reads the user's PATH into $R0 and sets $R5 to "ok", "absent" or "unreadable". ReadRegStr
; fails alike for a missing value and for one longer than NSIS's strings; only the first may be
; written from scratch.
!macro AKV_READ_USER_PATH
  StrCpy $R5 "ok"
  ClearErrors
  ReadRegStr $R0 HKCU "Environment" "Path"
  ${If} ${Errors}
    StrCpy $R0 ""
    StrCpy $R5 "absent"
    StrCpy $R4 0
    ${Do}
      ClearErrors
      EnumRegValue $R3 HKCU "Environment" $R4
      ${If} ${Errors}
      ${OrIf} "$R3" == ""
        ${ExitDo}
      ${EndIf}
      ${If} "$R3" == "Path"
        StrCpy $R5 "unreadable"
        ${ExitDo}
      ${EndIf}
      IntOp $R4 $R4 + 1
    ${Loop}
  ${Else}
    StrLen $R2 "$R0"
    IntOp $R2 $R2 + 1
    ${If} $R2 >= ${NSIS_MAX_STRLEN}
      StrCpy $R5 "unreadable"
    ${EndIf}
  ${EndIf}
!macroend

!macro NSIS_HOOK_POSTINSTALL
  SetOutPath "$INSTDIR"
  File "/oname=akv-console.exe" "${AKV_CLI_EXE}"

  !insertmacro AKV_READ_USER_PATH
  ClearErrors
  ; Case-insensitive search for the folder as a whole PATH entry.
  ${WordReplace} ";$R0;" ";$INSTDIR;" ";" "E+" $R1
  ${If} ${Errors}
    StrLen $R2 "$R0"
    StrLen $R3 "$INSTDIR"
    IntOp $R2 $R2 + $R3
    IntOp $R2 $R2 + 2
    ${If} $R5 == "unreadable"
    ${OrIf} $R2 >= ${NSIS_MAX_STRLEN}
      DetailPrint "Your PATH is too long to extend safely; akv-console is at $INSTDIR\akv-console.exe"
    ${Else}
      ${If} "$R0" == ""
        StrCpy $R0 "$INSTDIR"
      ${Else}
        StrCpy $R3 "$R0" "" -1
        ${If} "$R3" == ";"
          StrCpy $R0 "$R0$INSTDIR"
        ${Else}
          StrCpy $R0 "$R0;$INSTDIR"
        ${EndIf}
      ${EndIf}
      WriteRegExpandStr HKCU "Environment" "Path" "$R0"
      ; New consoles pick the change up without signing out.
      SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
      DetailPrint "Added $INSTDIR to your PATH for akv-console"
    ${EndIf}
  ${EndIf}
!macroend

!macro NSIS_HOOK_PREUNINSTALL
  Delete "$INSTDIR\akv-console.exe"

  !insertmacro AKV_READ_USER_PATH
  ${If} $R5 == "ok"
  ${AndIf} "$R0" != ""
    ClearErrors
    ${WordReplace} ";$R0;" ";$INSTDIR;" ";" "E+" $R1
    ${IfNot} ${Errors}
      ; Drop the separators added around the value for the search.
      StrCpy $R1 "$R1" "" 1
      StrCpy $R1 "$R1" -1
      ${If} "$R1" == ""
        DeleteRegValue HKCU "Environment" "Path"
      ${Else}
        WriteRegExpandStr HKCU "Environment" "Path" "$R1"
      ${EndIf}
      SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
    ${EndIf}
  ${EndIf}
!macroend
