"""The lines before the plan: addressees, a notice (关于印发《…》的通知, its 文号), the issuer,
the date (also "(2025年2月17日)"), the title. A title is never invented: if none is found the
result says so and the clerk types it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .lines import (
    _CN_DATE_RE,
    _DATE_RE,
    _DOC_NUMBER_RE,
    _ISSUER_RE,
    _NOTICE_RE,
    _PLAIN_TITLE_RE,
    _QUOTED_TITLE_RE,
    _TITLE_RE,
    Line,
    _cn_date,
    title_year,
)


@dataclass
class Header:
    title: str | None = None
    year: int | None = None
    issuer: str | None = None
    issued_on: date | None = None
    document_number: str | None = None
    preamble: list[Line] = field(default_factory=list)


def read_header(lines: list[Line], trailer: list[Line]) -> Header:
    header = Header()
    quoted: tuple[str, int] | None = None
    # The title line nearest the plan wins ("根据…工作要点" in a cover note comes first).
    titles = [
        line
        for line in lines
        if _TITLE_RE.match(line.folded) and not _NOTICE_RE.search(line.folded)
    ]
    chosen = titles[-1] if titles else None
    for line in lines:
        folded = line.folded
        if header.issued_on is None and (found := _date(folded)) is not None:
            header.issued_on = found
            continue
        if line is chosen and (match := _TITLE_RE.match(folded)):
            header.title, header.year = line.text, title_year(match.group(1))
            continue
        if header.issuer is None and _ISSUER_RE.match(folded):
            header.issuer = line.text
            continue
        if header.document_number is None and _DOC_NUMBER_RE.match(folded):
            header.document_number = line.text
            continue
        if quoted is None and (match := _QUOTED_TITLE_RE.search(folded)):
            quoted = (line.text[match.start(1) : match.end(1)], title_year(match.group(2)))
        header.preamble.append(line)
    if header.title is None and quoted is not None:
        header.title, header.year = quoted
    if header.title is None:
        plain = next((line for line in lines if _PLAIN_TITLE_RE.match(line.folded)), None)
        if plain is not None:
            header.title = plain.text
            header.preamble.remove(plain)
    # A notice may close with its issuer and date after the plan and its requirements.
    for line in trailer:
        if header.issued_on is None and (found := _date(line.folded)) is not None:
            header.issued_on = found
        elif header.issuer is None and _ISSUER_RE.match(line.folded):
            header.issuer = line.text
    return header


def _date(folded: str) -> date | None:
    if match := _DATE_RE.match(folded):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    if match := _CN_DATE_RE.match(folded):
        return _cn_date(match)
    return None
