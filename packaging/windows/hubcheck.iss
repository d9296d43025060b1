; Inno Setup script for HubCheck on Windows: packs the one-folder build (dist\hubcheck\,
; made by `pyinstaller packaging\hubcheck.spec`) into one installer per user, no admin rights.
; Build: see packaging\README.md ("Windows"). Not built on Linux: written, not yet tried.
;
;   iscc /DAppVersion=0.1.0 packaging\windows\hubcheck.iss

#ifndef AppVersion
  #error Pass the version from pyproject.toml: iscc /DAppVersion=X.Y.Z packaging\windows\hubcheck.iss
#endif

[Setup]
AppId={{6A0C5B43-3E0B-4C8E-9A55-2F1D6E0B7C41}
AppName=HubCheck
AppVersion={#AppVersion}
AppPublisher=HubCheck
DefaultDirName={autopf}\HubCheck
DefaultGroupName=HubCheck
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=hubcheck-{#AppVersion}-windows-x86_64-setup
SetupIconFile=..\..\resources\icons\hubcheck.ico
UninstallDisplayIcon={app}\hubcheck-gui.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "..\..\dist\hubcheck\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\HubCheck"; Filename: "{app}\hubcheck-gui.exe"
Name: "{group}\HubCheck self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\hubcheck.exe"" --self-test"
Name: "{autodesktop}\HubCheck"; Filename: "{app}\hubcheck-gui.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Run]
Filename: "{app}\hubcheck-gui.exe"; Description: "{cm:LaunchProgram,HubCheck}"; Flags: nowait postinstall skipifsilent
