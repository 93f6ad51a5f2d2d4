; Inno Setup script: a per-user installer (no administrator rights) for dist\tallylight\.
; Built by .github/workflows/release.yml: iscc /DAppVersion=X.Y.Z packaging\windows\tallylight.iss
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{7D3C1E52-3B8F-4E0B-9C1A-5E2A7F0C9B41}
AppName=Tallylight
AppVersion={#AppVersion}
AppPublisher=The Tallylight developers
DefaultDirName={localappdata}\Programs\Tallylight
DefaultGroupName=Tallylight
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=Tallylight-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\tallylight.ico
UninstallDisplayIcon={app}\tallylight.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\dist\tallylight\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{userprograms}\Tallylight"; Filename: "{app}\tallylight.exe"

[Run]
Filename: "{app}\tallylight.exe"; Description: "Start Tallylight"; Flags: nowait postinstall skipifsilent

[Messages]
FinishedLabel=Tallylight is installed. It records nothing until you start a session. Your recordings stay in %LOCALAPPDATA%\tallylight; uninstalling leaves them there: use "Delete all my Tallylight data" in Tallylight's Settings first to remove them too.
