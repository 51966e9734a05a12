"""The zh-hans message catalogue (locale/zh_Hans/LC_MESSAGES/django.po).

The source strings are Simplified Chinese, so a Chinese msgid is its own zh-hans text: ``fill`` copies
it into an empty (or fuzzy) msgstr. A msgid that is not Chinese (English that slipped into the source)
is left for a person to translate, and ``problems`` — what the catalogue test checks — names it: no
entry may keep an empty msgstr or a fuzzy flag. ``make messages`` runs makemessages, this, and
compilemessages."""

import re
from dataclasses import dataclass, field
from pathlib import Path

CJK = re.compile(r"[\u3400-\u9fff]")
ZH_PO = Path(__file__).resolve().parent.parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
HEADER = {
    "Project-Id-Version": "qianwan",
    "Last-Translator": "Qianwan platform team",
    "Language-Team": "Simplified Chinese",
    "Language": "zh_Hans",
    "PO-Revision-Date": None,  # keep whatever is there, unless it is the template's placeholder
}


@dataclass
class Entry:
    comments: list[str] = field(default_factory=list)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index → text (0 for a singular entry)
    line: int = 0

    @property
    def fuzzy(self) -> bool:
        return any(c.startswith("#,") and "fuzzy" in c for c in self.comments)

    @property
    def obsolete(self) -> bool:
        return any(c.startswith("#~") for c in self.comments)


def _unquote(text: str) -> str:
    return bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    current = Entry()
    target = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if target is not None or current.comments:
                entries.append(current)
            current, target = Entry(), None
            continue
        if line.startswith("#"):
            current.comments.append(line)
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$', line)
        if match:
            key, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if key == "msgid":
                current.line = number
            target = (key, int(index) if index is not None else 0)
            _append(current, target, value, new=True)
        elif line.startswith('"') and target is not None:
            _append(current, target, _unquote(line[1:-1]), new=False)
    if target is not None or current.comments:
        entries.append(current)
    return [e for e in entries if e.line]


def _append(entry: Entry, target, value: str, *, new: bool) -> None:
    key, index = target
    if key == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + value
    elif key == "msgid":
        entry.msgid += value
    elif key == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + value
    else:
        entry.msgstr[index] = entry.msgstr.get(index, "") + value


def problems(entries: list[Entry]) -> list[str]:
    """What makes the catalogue incomplete: an empty msgstr, a fuzzy entry (the header aside)."""
    found = []
    for e in entries:
        if e.obsolete:
            continue
        if e.msgid == "":
            continue  # the header
        if e.fuzzy:
            found.append(f"line {e.line}: fuzzy: {e.msgid!r}")
        if not e.msgstr or any(not v for v in e.msgstr.values()):
            found.append(f"line {e.line}: untranslated: {e.msgid!r}")
    return found


def fill(text: str) -> str:
    """Copy a Chinese msgid into its empty or fuzzy msgstr (and drop the fuzzy flag); set the header."""
    out: list[str] = []
    for block in re.split(r"\n\n+", text.strip("\n")):
        entries = parse(block)
        if not entries:
            out.append(block)
            continue
        entry = entries[0]
        if entry.msgid == "":
            out.append(_header(block))
            continue
        if entry.obsolete or not CJK.search(entry.msgid):
            out.append(block)
            continue
        empty = not entry.msgstr or any(not v for v in entry.msgstr.values())
        if not (empty or entry.fuzzy):
            out.append(block)
            continue
        lines, in_msgstr = [], False
        for line in block.splitlines():
            if line.startswith("#,"):
                flags = [f.strip() for f in line[2:].split(",") if f.strip() and f.strip() != "fuzzy"]
                if flags:
                    lines.append("#, " + ", ".join(flags))
                continue
            if line.startswith("#| "):
                continue  # the previous msgid a fuzzy match came from
            if line.startswith("msgstr"):
                in_msgstr = True
            elif not line.startswith('"'):
                in_msgstr = False
            if not in_msgstr:
                lines.append(line)
        if entry.msgid_plural is None:
            lines.append(f'msgstr "{_quote(entry.msgid)}"')
        else:
            lines.append(f'msgstr[0] "{_quote(entry.msgid_plural)}"')
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _header(block: str) -> str:
    lines = []
    for line in block.splitlines():
        if line.startswith("#, fuzzy"):
            continue
        if line.startswith("# SOME DESCRIPTIVE TITLE"):
            line = "# Simplified Chinese catalogue of the Qianwan sub-bureau police operations platform."
        elif line.startswith("# Copyright (C) YEAR") or line.startswith("# FIRST AUTHOR") or line == "#":
            continue
        elif line.startswith("# This file is distributed"):
            line = "# This file is distributed under the same license as the qianwan package."
        for key, value in HEADER.items():
            if line.startswith(f'"{key}: '):
                if value is None:
                    if "YEAR-MO-DA" in line:
                        line = line.replace("YEAR-MO-DA HO:MI+ZONE", "2026-12-05 17:00+0800")
                else:
                    line = f'"{key}: {value}\\n"'
        lines.append(line)
    return "\n".join(lines)


def main() -> int:
    ZH_PO.write_text(fill(ZH_PO.read_text(encoding="utf-8")), encoding="utf-8")
    left = problems(parse(ZH_PO.read_text(encoding="utf-8")))
    for problem in left:
        print(f"{ZH_PO}: {problem}")
    return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main())
