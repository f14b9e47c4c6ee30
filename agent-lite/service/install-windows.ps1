<#
.SYNOPSIS
  Installs (or removes) the Packet Pilot agent on Windows as a task that starts at boot as SYSTEM.

.DESCRIPTION
  The single-file build (packetpilot-agent-win-x64.exe) is a console program, not a service that
  answers the Service Control Manager, so `sc.exe create` would see it killed after 30 s (error
  1053) without a service host such as NSSM. Instead this script registers a scheduled task that
  starts it at boot as SYSTEM, restarts it when it stops, and never times it out. Needs an elevated
  PowerShell (Run as administrator).

.EXAMPLE
  .\install-windows.ps1 -Gateway http://192.168.1.1:8080 -EnrollCode ABCDE-FGHJK
.EXAMPLE
  .\install-windows.ps1 -Uninstall
#>
[CmdletBinding()]
param(
  [string]$Gateway,
  [string]$EnrollCode,
  [string]$Exe = (Join-Path $PSScriptRoot 'packetpilot-agent-win-x64.exe'),
  [string]$InstallDir = (Join-Path $env:ProgramFiles 'PacketPilot'),
  [string]$StateDir = (Join-Path $env:ProgramData 'PacketPilot'),
  [switch]$Uninstall
)
$ErrorActionPreference = 'Stop'
$TaskName = 'PacketPilot Agent'
$Target = Join-Path $InstallDir 'packetpilot-agent.exe'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'Run this script in an elevated PowerShell (Run as administrator).'
}

if ($Uninstall) {
  if (Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue) {
    Stop-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
  }
  if (Test-Path $Target) {
    # Removes the firewall rules the agent added (it keeps their list in the state directory).
    & $Target --cleanup --state-dir $StateDir
  }
  Remove-Item -Recurse -Force $InstallDir -ErrorAction SilentlyContinue
  Write-Host "Removed. The state directory $StateDir (credential, buffered reports) was kept; delete it to forget this agent."
  exit 0
}

if (-not (Test-Path $Exe)) { throw "Agent binary not found: $Exe" }
New-Item -ItemType Directory -Force -Path $InstallDir, $StateDir | Out-Null
Copy-Item -Force $Exe $Target

# Only SYSTEM and Administrators may read the credential.
& icacls.exe $StateDir /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' 'Administrators:(OI)(CI)F' | Out-Null

if ($EnrollCode) {
  if (-not $Gateway) { throw '-EnrollCode needs -Gateway http://<gateway>:<port>' }
  & $Target --gateway $Gateway --enroll $EnrollCode --state-dir $StateDir --enroll-only
  if ($LASTEXITCODE -ne 0) { throw "Enrollment failed (exit $LASTEXITCODE); see the message above." }
}

$action = New-ScheduledTaskAction -Execute $Target -Argument "--state-dir `"$StateDir`""
$trigger = New-ScheduledTaskTrigger -AtStartup
$settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
  -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) `
  -MultipleInstances IgnoreNew -StartWhenAvailable
$system = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings `
  -Principal $system -Description 'Packet Pilot agent: reports which app owns each connection to the gateway' -Force | Out-Null
Start-ScheduledTask -TaskName $TaskName
Write-Host "Installed $Target; task '$TaskName' started (runs at boot as SYSTEM)."
