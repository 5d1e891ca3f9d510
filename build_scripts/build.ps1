# Build jingan-desktop.exe on Windows (PowerShell). Needs Python 3.11+ ("py" launcher).
#   powershell -ExecutionPolicy Bypass -File build_scripts\build.ps1
# The same spec and build.py as the Wine build (python3 dev.py build --windows on Linux).
# For the exe that unpacks once per version (build_scripts\runtime_launcher.c) a MinGW-w64
# gcc must be on PATH, e.g. MSYS2's "pacman -S mingw-w64-ucrt-x86_64-gcc" with
# C:\msys64\ucrt64\bin added to PATH; without one build.py says so and builds PyInstaller's
# onefile exe instead, which unpacks everything on every start.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
if (-not (Get-Command gcc -ErrorAction SilentlyContinue)) {
    Write-Warning "no gcc on PATH: building the onefile exe (see the comment at the top)"
}
py dev.py build
exit $LASTEXITCODE
