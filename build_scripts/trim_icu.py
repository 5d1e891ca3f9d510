"""A smaller ICU data library for the Linux build: the 30 MiB ``libicudata.so.73`` that
PySide6's Qt links holds every locale's data, Qt uses a few items of it.

Qt on Linux asks ICU for collation (``QCollator``: the sorting of Qt's own file dialog, by
pinyin for Chinese names), case mapping and normalisation; its locale, time-zone, text-break
and codec data are Qt's own or never asked for by the app. ``KEEP`` lists the items kept:
those Qt opened in a whole self-check run under ``strace`` with the data served from loose
files (``--probe``, below) plus the Chinese and root collation tables.

The kept items are written as an ICU "common data" package (the CmnD format ICU's
``icupkg`` writes: header, count, table of name and data offsets, names, items aligned to
16 bytes) and wrapped by the C compiler into a library of the same name (soname) that
exports the same symbol (``icudt73_dat``), so ``libicuuc`` finds it as before.

    python build_scripts/trim_icu.py FOLDER          # replace FOLDER's libicudata.so.*
    python build_scripts/trim_icu.py --probe FOLDER  # an empty library + loose files (probing)
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

KEEP = (
    "coll/root.res",
    "coll/res_index.res",
    "coll/ucadata.icu",
    "coll/zh.res",
    "coll/zh_CN.res",
    "coll/zh_Hans.res",
    "coll/zh_Hans_CN.res",
    "res_index.res",
    "root.res",
    "zh.res",
    "zh_CN.res",
    "zh_Hans.res",
    "zh_Hans_CN.res",
    "pool.res",
    "cnvalias.icu",
    "*.nrm",
    "*.cfu",
    "ulayout.icu",
    "uemoji.icu",
    "unames.icu",
    "pnames.icu",
)


def data_library(folder: Path) -> Path | None:
    found = sorted(p for p in folder.rglob("libicudata.so.*") if not p.is_symlink())
    return found[0] if found else None


def read_blob(library: Path) -> tuple[str, bytes]:
    """The exported symbol's name (``icudt73_dat``) and its bytes: the common data."""
    listing = subprocess.run(
        ["nm", "-D", "-S", "--defined-only", str(library)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"^([0-9a-f]+) ([0-9a-f]+) R (icudt\d+_dat)$", listing, re.MULTILINE)
    if match is None:
        raise SystemExit(f"{library}: no icudt*_dat symbol")
    address, size, symbol = int(match[1], 16), int(match[2], 16), match[3]
    sections = subprocess.run(
        ["readelf", "-S", "-W", str(library)], capture_output=True, text=True, check=True
    ).stdout
    # the section holding the symbol: file offset = address - section address + section offset
    for line in sections.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == ".rodata":
            start, offset = int(fields[3], 16), int(fields[4], 16)
            data = library.read_bytes()[address - start + offset :][:size]
            return symbol, data
    raise SystemExit(f"{library}: no .rodata section")


def items(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The package's header and its items (name without the package prefix, data)."""
    header_size = struct.unpack_from("<H", blob, 0)[0]
    if blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD":
        raise SystemExit("not ICU common data")
    toc = blob[header_size:]
    count = struct.unpack_from("<I", toc, 0)[0]
    offsets = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    out = []
    for i, (name_at, data_at) in enumerate(offsets):
        end = offsets[i + 1][1] if i + 1 < count else len(toc)
        name = toc[name_at : toc.index(b"\0", name_at)].decode("ascii")
        out.append((name, toc[data_at:end]))
    return blob[:header_size], out


def package(header: bytes, entries: list[tuple[str, bytes]]) -> bytes:
    """The common data holding ``entries`` (full names, sorted as ICU binary-searches them)."""
    entries = sorted(entries, key=lambda e: e[0].encode("ascii"))
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in entries)
    table = 4 + 8 * len(entries)
    names_end = table + len(names)
    data_start = names_end + (-names_end % 16)
    offsets, body, name_at, data_at = [], [], table, data_start
    for name, data in entries:
        offsets.append(struct.pack("<II", name_at, data_at))
        name_at += len(name) + 1
        body.append(data + b"\xaa" * (-len(data) % 16))
        data_at += len(body[-1])
    toc = struct.pack("<I", len(entries)) + b"".join(offsets) + names
    return header + toc + b"\xaa" * (data_start - names_end) + b"".join(body)


def wrap(symbol: str, data: bytes, target: Path, soname: str) -> None:
    with tempfile.TemporaryDirectory() as work:
        blob = Path(work) / "icudata.dat"
        blob.write_bytes(data)
        source = Path(work) / "icudata.S"
        source.write_text(
            f".section .rodata\n.global {symbol}\n.type {symbol}, @object\n.balign 16\n"
            f'{symbol}:\n.incbin "{blob}"\n.size {symbol}, . - {symbol}\n'
            '.section .note.GNU-stack,"",@progbits\n'
        )
        built = Path(work) / soname
        subprocess.run(
            ["gcc", "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-o", str(built), str(source)],
            check=True,
        )
        shutil.copyfile(built, target)


def kept(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in KEEP)


def trim(folder: Path, probe: bool = False) -> tuple[int, int]:
    """Replace the folder's ICU data library; its size before and after."""
    library = data_library(folder)
    if library is None:
        raise SystemExit(f"{folder}: no libicudata.so.*")
    symbol, blob = read_blob(library)
    header, entries = items(blob)
    prefix = symbol[: -len("_dat")] + "l/"  # icudt73l/: the package name, little-endian
    if probe:
        loose = folder / "icu-probe" / prefix
        for name, data in entries:
            path = loose / name.removeprefix(prefix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        chosen = []
    else:
        chosen = [(n, d) for n, d in entries if kept(n.removeprefix(prefix))]
    before = library.stat().st_size
    wrap(symbol, package(header, chosen), library, library.name)  # the soname: libicudata.so.73
    return before, library.stat().st_size


def main(argv: list[str]) -> int:
    probe = "--probe" in argv
    folders = [a for a in argv if a != "--probe"]
    if len(folders) != 1:
        print(__doc__)
        return 2
    before, after = trim(Path(folders[0]), probe)
    print(f"ICU data {before / 2**20:.1f} MiB → {after / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
