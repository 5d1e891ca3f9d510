# Build jingan-desktop.exe on Windows (PowerShell). Needs Python 3.11+ ("py" launcher).
#   powershell -ExecutionPolicy Bypass -File build_scripts\build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
py dev.py build
exit $LASTEXITCODE
