"""Pack the folder build into one jingan-desktop(.exe) that unpacks once per version.

A onefile PyInstaller executable unpacks everything into a fresh temporary folder on every
start (~18 s under Wine, seconds on a PC with an antivirus scanner). Instead the spec builds
the folder (``dist/jingan-desktop-runtime/``) and this packs it behind a small launcher
(``build_scripts/runtime_launcher.c`` on Windows, ``runtime_launcher_posix.c`` on Linux): the
clerk still gets one file, which on its first start unpacks into
``%LOCALAPPDATA%\\jingan-desktop\\runtime\\<version>-<hash>\\`` (Linux:
``~/.cache/jingan-desktop/runtime/<version>-<hash>/``), to a temporary folder renamed when
complete, and on every later start runs the unpacked app at once.

The file: the launcher (with the app's icon and version resource), then one record per file
(``<HBBIQQ``: path length, method 0 stored / 8 raw deflate, flags, CRC-32, size, packed
size; then the UTF-8 path with "/" and the data), padding to a multiple of 8, and a 96-byte
trailer (``<QQII64s8s``: payload offset, payload size, file count, 0, runtime name, magic).
Flags are 0 on Windows; on Linux 1 marks an executable and 2 a symbolic link, stored, whose
data is the relative path it points to (PyInstaller links each library to its package's copy).

    python build_scripts/pack_runtime.py LAUNCHER.exe RUNTIME_FOLDER TARGET.exe
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAGIC = b"JGRTv1\0\0"
TRAILER = struct.Struct("<QQII64s8s")
RECORD = struct.Struct("<HBBIQQ")
INNER_EXE = "jingan-desktop.exe" if sys.platform.startswith("win") else "jingan-desktop"
EXECUTABLE, SYMLINK = 1, 2


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from jingan_desktop import __version__

    return __version__


def record(folder: Path, path: Path) -> bytes:
    name = path.relative_to(folder).as_posix().encode("utf-8")
    if path.is_symlink():
        target = os.readlink(path)
        inside = (path.parent / target).resolve().is_relative_to(folder.resolve())
        if os.path.isabs(target) or ".." in target or not inside:
            sys.exit(f"{path} links to {target}: not a file inside the folder")
        data = target.encode("utf-8")
        header = RECORD.pack(len(name), 0, SYMLINK, zlib.crc32(data), len(data), len(data))
        return header + name + data
    data = path.read_bytes()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(data) + packer.flush()
    method = 8
    if len(packed) >= len(data):
        packed, method = data, 0
    flags = EXECUTABLE if os.name != "nt" and os.access(path, os.X_OK) else 0
    header = RECORD.pack(len(name), method, flags, zlib.crc32(data), len(data), len(packed))
    return header + name + packed


def records(folder: Path) -> tuple[list[bytes], int]:
    """Each file of ``folder`` as one record, links after the files they point to; the number
    of files. A link whose library the spec left out points at nothing: it is left out too."""
    files = sorted(
        (p for p in folder.rglob("*") if p.is_file()),
        key=lambda p: (p.is_symlink(), p.as_posix()),
    )
    out = [record(folder, path) for path in files]
    count = len(out)
    if not (folder / INNER_EXE).exists():
        sys.exit(f"{folder} holds no {INNER_EXE}: not a PyInstaller folder build")
    return out, count


def stamp(exe: Path, icon: Path | None, version_file: Path | None) -> None:
    """The app's icon and version resource on the launcher (Windows only: UpdateResource)."""
    if icon is not None:
        from PyInstaller.utils.win32.icon import CopyIcons_FromIco

        CopyIcons_FromIco(str(exe), [str(icon)])
    if version_file is not None:
        from PyInstaller.utils.win32 import versioninfo

        info = versioninfo.load_version_info_from_text_file(str(version_file))
        versioninfo.write_version_info_to_executable(str(exe), info)


def pack(
    launcher: Path,
    folder: Path,
    target: Path,
    icon: Path | None = None,
    version_file: Path | None = None,
) -> str:
    """Write ``target``; return the runtime's name (``<version>-<hash>``)."""
    parts, count = records(folder)
    payload_size = sum(len(p) for p in parts)
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    name = f"{version()}-{digest.hexdigest()[:12]}"
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(launcher, partial)
    stamp(partial, icon, version_file)
    with open(partial, "ab") as out:
        offset = out.tell()
        for part in parts:
            out.write(part)
        end = offset + payload_size
        out.write(b"\0" * (-(end + TRAILER.size) % 8))
        out.write(TRAILER.pack(offset, payload_size, count, 0, name.encode("ascii"), MAGIC))
    partial.chmod(0o755)
    partial.replace(target)
    return name


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    name = pack(Path(argv[0]), Path(argv[1]), Path(argv[2]))
    print(f"packed {argv[1]} into {argv[2]} (runtime {name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
