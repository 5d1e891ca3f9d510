"""The bundled font for reportlab, parsed once per machine rather than once per report.

Parsing the 4.6 MB TrueType file (a cmap of some 34,600 characters, 49,531 glyph metrics and
offsets) cost 0.6–0.85 s of every report made in a fresh process. What the parse yields is
kept in the user's cache folder (:func:`~jingan_desktop.paths.cache_dir`) in ``marshal``
format (plain numbers, strings, lists and dicts: nothing that runs code when read), under a
name made of the font file's SHA-256 and the versions of reportlab and Python; the next
report reads it back in milliseconds.

The font program itself is always the file's own bytes, read on each start: subsetting copies
the glyphs out of them, so what is embedded is exactly the bundled font whether the metrics
came from the cache or from a parse. A missing, unreadable or foreign cache file is parsed
again and rewritten (atomically: a half-written file is never read); a cache folder that
cannot be written only costs the parse.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import sys
import tempfile
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from reportlab import Version, rl_config
from reportlab.pdfbase.ttfonts import TTEncoding, TTFNameBytes, TTFont, TTFontFace

_FORMAT = 1  # bump when what is kept changes
_NOT_KEPT = ("_ttf_data", "_pdfScale", "filename")  # the file's bytes, a lambda, a path


def cache_file(font_data: bytes, folder: Path) -> Path:
    """Where the parse of this font file is kept for this reportlab and Python."""
    digest = hashlib.sha256(font_data).hexdigest()[:32]
    python = f"{sys.version_info[0]}{sys.version_info[1]}"
    return folder / f"ttf-{digest}-rl{Version}-py{python}-v{_FORMAT}.marshal"


def load_font(name: str, path: Path, cache: Path | None) -> tuple[TTFont, bool]:
    """The font ``name`` from the TrueType file ``path``; True when it came from ``cache``
    (a folder; None: always parse)."""
    data = path.read_bytes()
    kept = cache_file(data, cache) if cache is not None else None
    if kept is not None:
        face = _read(kept, path, data)
        if face is not None:
            return _font(name, face), True
    font = TTFont(name, str(path))
    if kept is not None:
        _write(font.face, kept)
    return font, False


def face_state(face: TTFontFace) -> dict[str, Any]:
    """What a parse yields, as marshal can keep it (names as ``(bytes,)`` tuples)."""
    state: dict[str, Any] = {}
    for key, value in vars(face).items():
        if key in _NOT_KEPT:
            continue
        state[key] = (bytes(value),) if isinstance(value, TTFNameBytes) else value
    return state


def _read(kept: Path, path: Path, data: bytes) -> TTFontFace | None:
    collecting = gc.isenabled()
    gc.disable()  # 50,000 small tuples would run the collector again and again: 4× the time
    try:
        state = marshal.loads(kept.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(state, dict) or state.get("unitsPerEm", 0) <= 0:
        return None
    face = TTFontFace.__new__(TTFontFace)  # what TTFontFace.__init__ would have parsed
    for key, value in state.items():
        setattr(face, key, _name(value))
    face._ttf_data = data
    face.filename = str(path)
    units = face.unitsPerEm
    face._pdfScale = (lambda x: x) if units == 1000 else (lambda x, m=1000 / units: x * m)
    return face


def _name(value: Any) -> Any:
    """A ``(bytes,)`` tuple back as the TTFNameBytes it was kept from."""
    is_name = isinstance(value, tuple) and len(value) == 1 and isinstance(value[0], bytes)
    return TTFNameBytes(value[0]) if is_name else value


def _font(name: str, face: TTFontFace) -> TTFont:
    """A TTFont over an already parsed face: what TTFont.__init__ sets, but the parse."""
    font = TTFont.__new__(TTFont)
    font.fontName = name
    font.face = face
    font.encoding = TTEncoding()
    font.state = WeakKeyDictionary()
    font._asciiReadable = rl_config.ttfAsciiReadable
    font.shapable = not any(fnmatch(name, glob) for glob in rl_config.unShapedFontGlob)
    return font


def _write(face: TTFontFace, kept: Path) -> None:
    try:
        blob = marshal.dumps(face_state(face))
        kept.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=kept.parent, prefix=".ttf-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(temporary, kept)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, ValueError):
        pass  # no cache: the next report parses again
