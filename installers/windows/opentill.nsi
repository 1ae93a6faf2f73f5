; OpenTill for Windows: one per-machine install into Program Files, a Start-menu entry, an
; uninstaller that leaves the shop's data (%ProgramData%\OpenTill), and Microsoft Edge WebView2
; (which the cashier app draws in) fetched at install time when the machine lacks it, as Tauri's
; own installers do. `cargo xtask dist` defines VERSION, VERSION4, OUTFILE, FILES (File lines),
; REMOVE (Delete lines) and, when signing, SIGN (a command that signs the file given as %1):
; the uninstaller and the installer are Authenticode-signed as they are written.

; OpenTill is built for 64-bit Windows only: the installer is a 64-bit program too.
Target amd64-unicode
!include "MUI2.nsh"

!define UNINST "Software\Microsoft\Windows\CurrentVersion\Uninstall\OpenTill"
!define WEBVIEW2 "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

Name "OpenTill"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\OpenTill"
RequestExecutionLevel admin
; The tests' installers (FAST) trade size for time; releases are packed small.
!ifdef FAST
SetCompressor zlib
!else
; One LZMA stream over all the programs with a dictionary larger than any of them: they share
; much of their code (std, tokio, serde, the till crates), which the default 8 MB forgets.
SetCompressor /SOLID lzma
SetCompressorDictSize 64
!endif
ManifestDPIAware true

VIProductVersion "${VERSION4}"
VIAddVersionKey /LANG=0 "ProductName" "OpenTill"
VIAddVersionKey /LANG=0 "CompanyName" "OpenTill"
VIAddVersionKey /LANG=0 "FileDescription" "OpenTill installer"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "LegalCopyright" "Apache-2.0"

!ifdef SIGN
!uninstfinalize `${SIGN} "%1"`
!finalize `${SIGN} "%1"`
!endif

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "TradChinese"
!insertmacro MUI_LANGUAGE "SimpChinese"

Section "OpenTill"
  SetShellVarContext all
  SetRegView 64
  SetOutPath "$INSTDIR"
  !include "${FILES}"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  CreateDirectory "$SMPROGRAMS\OpenTill"
  CreateShortcut "$SMPROGRAMS\OpenTill\OpenTill.lnk" "$INSTDIR\opentill.exe"
  CreateShortcut "$SMPROGRAMS\OpenTill\Uninstall OpenTill.lnk" "$INSTDIR\Uninstall.exe"
  WriteRegStr HKLM "${UNINST}" "DisplayName" "OpenTill"
  WriteRegStr HKLM "${UNINST}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST}" "Publisher" "OpenTill"
  WriteRegStr HKLM "${UNINST}" "DisplayIcon" "$INSTDIR\opentill.exe"
  WriteRegStr HKLM "${UNINST}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKLM "${UNINST}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST}" "NoRepair" 1
  Call WebView2
SectionEnd

; WebView2 is there when Edge's updater registered its runtime (per machine or per user).
Function WebView2
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2}" "pv"
  StrCmp $0 "" 0 present
  ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2}" "pv"
  StrCmp $0 "" 0 present
  DetailPrint "Fetching Microsoft Edge WebView2 (the cashier app's web view)..."
  nsExec::ExecToLog `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "Invoke-WebRequest -UseBasicParsing -Uri 'https://go.microsoft.com/fwlink/p/?LinkId=2124703' -OutFile '$TEMP\MicrosoftEdgeWebview2Setup.exe'"`
  Pop $1
  StrCmp $1 "0" 0 missing
  ExecWait '"$TEMP\MicrosoftEdgeWebview2Setup.exe" /silent /install' $1
  Delete "$TEMP\MicrosoftEdgeWebview2Setup.exe"
  StrCmp $1 "0" present missing
missing:
  DetailPrint "WebView2 could not be installed ($1). The till command works; the cashier app needs WebView2: https://go.microsoft.com/fwlink/p/?LinkId=2124703"
present:
FunctionEnd

Section "Uninstall"
  SetShellVarContext all
  SetRegView 64
  !include "${REMOVE}"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\OpenTill\OpenTill.lnk"
  Delete "$SMPROGRAMS\OpenTill\Uninstall OpenTill.lnk"
  RMDir "$SMPROGRAMS\OpenTill"
  DeleteRegKey HKLM "${UNINST}"
  ; %ProgramData%\OpenTill (the journal and till.toml) is the shop's: it stays.
SectionEnd
