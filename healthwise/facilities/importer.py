"""Read a CSV file of districts and facilities: pure, no Flask, no database.

Two formats, told apart by the header (the first line):

- **Ours**: columns ``district``, ``name``, ``type`` and optionally ``code``; one
  facility a line. ``district`` may be left out (or a cell left empty) when a default
  district is given.
- **DHIS2 organisation units**, as DHIS2 exports them (``/api/organisationUnits.csv``
  or the metadata export): an ``id`` (or ``uid``) and ``name`` column, with ``parent``
  (the parent's uid) or ``path`` (``/country/region/district/facility``), optionally
  ``code``, ``level``, ``shortName``, ``openingDate``... (other columns are ignored).
  Facilities are the units of the deepest ``level`` in the file, or without a level the
  units no other unit names as parent; their parent units are the districts. Units
  above the districts (country, region) are skipped. DHIS2 has no facility type: a
  ``type`` column is read if there is one, else the type is guessed from the name
  (``... Hospital``, ``... CHC``...) for new facilities only.

The file is UTF-8 (with or without a byte order mark) or UTF-16 with a byte order mark,
separated by commas, semicolons or tabs, with any line ends. Every problem is reported
with its line number (:class:`Problem`); a file with problems yields no rows at all, so
that nothing of it is imported.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from healthwise.facilities.models import CODE_LENGTH, KINDS, NAME_LENGTH
from healthwise.validation import name_problem

#: The largest file read, in bytes, and the most facility lines in one file.
MAX_BYTES = 2_000_000
MAX_ROWS = 10_000
#: The most problems reported for one file (the first ones, by line).
MAX_PROBLEMS = 50

SIMPLE, DHIS2 = "simple", "dhis2"

# Header names, compared folded (lower case, no space, dash, dot or underscore).
_ALIASES = {
    "district": "district", "districtname": "district",
    "name": "name", "facility": "name", "facilityname": "name",
    "type": "type", "kind": "type", "facilitytype": "type",
    "code": "code", "facilitycode": "code",
    "id": "id", "uid": "id", "organisationunitid": "id", "orgunitid": "id", "orgunit": "id",
    "parent": "parent", "parentid": "parent", "parentuid": "parent",
    "path": "path", "level": "level",
}

def fold(text: str) -> str:
    """Return text as compared loosely: lower case, accents off, spaces squeezed."""
    if text.isascii():  # most names: nothing to take off
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKD", " ".join(text.casefold().split()))
    return "".join(char for char in text if unicodedata.category(char) != "Mn")


# Facility types as people write them, in the five languages, folded (see fold).
_KIND_WORDS = {
    "hospital": ("hospital", "hopital", "hôpital", "مستشفى"),
    "health centre": ("health centre", "health center", "healthcentre", "healthcenter",
                      "centre de sante", "centre de santé", "centro de salud",
                      "centro de saude", "centro de saúde", "مركز صحي", "hc", "chc"),
    "clinic": ("clinic", "clinique", "clinica", "clínica", "عيادة"),
    "dispensary": ("dispensary", "dispensaire", "dispensario", "dispensário", "مستوصف"),
    "other": ("other", "autre", "otro", "outro", "أخرى", "اخرى"),
}
_KIND_OF = {fold(word): kind for kind, words in _KIND_WORDS.items()
            for word in (*words, kind)}
# Words in a DHIS2 unit's name that tell its type (checked last word first).
_NAME_HINTS = {"hospital": "hospital", "hosp": "hospital", "hopital": "hospital",
               "chc": "health centre", "phc": "health centre", "hc": "health centre",
               "centre": "health centre", "center": "health centre",
               "clinic": "clinic", "clinique": "clinic", "mchp": "clinic",
               "dispensary": "dispensary", "dispensaire": "dispensary", "chp": "dispensary",
               "مستشفى": "hospital", "مستوصف": "dispensary", "عيادة": "clinic"}


@dataclass(frozen=True)
class Problem:
    """Why a line cannot be imported: a code the pages word, and its values.

    ``line`` is the file's line number (1 is the header), 0 for the whole file.
    """

    line: int
    code: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DistrictRow:
    """A district as the file names it (a DHIS2 unit, or a name in our format)."""

    line: int
    name: str | None
    code: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class FacilityRow:
    """One facility of the file, with the district it belongs to."""

    line: int
    name: str
    kind: str | None  # None: the file says nothing (keep the type, or guess for a new one)
    guessed_kind: str
    code: str | None
    external_id: str | None
    district: DistrictRow


@dataclass
class Parsed:
    """What a file holds: its format and its facilities, or its problems."""

    format: str | None = None
    facilities: list[FacilityRow] = field(default_factory=list)
    skipped: int = 0  # DHIS2 units above the districts
    problems: list[Problem] = field(default_factory=list)


def _header_key(text: str) -> str:
    return re.sub(r"[\s._\-]", "", text.strip().casefold())


def kind_of(text: str) -> str | None:
    """Return the stored facility type a person's word means ("Hôpital": "hospital"), or None."""
    return _KIND_OF.get(fold(text))


def guess_kind(name: str) -> str:
    """Return the type a facility's name suggests ("Ngelehun CHC": "health centre"), else other."""
    words = re.findall(r"\w+", fold(name))
    for word in reversed(words):
        if word in _NAME_HINTS:
            return _NAME_HINTS[word]
    return "other"


def decode(data: bytes) -> tuple[str | None, Problem | None]:
    """Return the text of a file, or the problem that stops it from being read."""
    if len(data) > MAX_BYTES:
        return None, Problem(0, "too_large", {"limit": MAX_BYTES // 1_000_000})
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, Problem(0, "bad_encoding", {})
    if b"\x00" in data:  # no text file holds NUL: a picture, a spreadsheet, an archive...
        return None, Problem(0, "not_csv", {})
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, Problem(data[:exc.start].count(b"\n") + 1, "bad_encoding", {})


def _delimiter(first_line: str) -> str:
    """Return the separator of a header line: the most frequent of comma, semicolon, tab."""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep])


class _Broken(Exception):
    """The CSV cannot be read past this line (a stray quote, a field too long...)."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def _lines(text: str):
    """Yield (line number, cells) of each non-empty record.

    :raises _Broken: where the quoting is broken.
    """
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line),
                        strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _Broken(reader.line_num or 1) from None
        if any(cell.strip() for cell in cells):
            yield start, cells
        start = reader.line_num + 1


def _text_problem(line: int, column: str, value: str, limit: int,
                  optional: bool) -> Problem | None:
    if not value:
        return None if optional else Problem(line, "missing", {"column": column})
    if len(value) > limit:
        return Problem(line, "too_long", {"column": column, "limit": limit})
    # Printable ASCII (most cells) holds no control, surrogate or direction character.
    if not (value.isascii() and value.isprintable()) and name_problem(value, optional=optional):
        return Problem(line, "bad_text", {"column": column})
    return None


def parse(data: bytes, default_district: str | None = None) -> Parsed:
    """Read a CSV file of facilities (our format or DHIS2's, told by the header).

    :param default_district: the district of lines that name none (our format), or of
        every facility (a DHIS2 file: its parent units are then ignored).
    :returns: the facilities, or the problems (then no facilities at all).
    """
    parsed = Parsed()
    text, problem = decode(data)
    if problem:
        parsed.problems.append(problem)
        return parsed
    records = []
    try:
        for number, cells in _lines(text):
            records.append((number, cells))
            if len(records) > MAX_ROWS + 1:
                parsed.problems.append(Problem(number, "too_many_rows", {"limit": MAX_ROWS}))
                return parsed
    except _Broken as exc:
        parsed.problems.append(Problem(exc.line, "not_csv", {}))
        return parsed
    if not records:
        parsed.problems.append(Problem(0, "empty", {}))
        return parsed
    (header_line, header), rows = records[0], records[1:]
    columns = {}
    for index, cell in enumerate(header):
        key = _ALIASES.get(_header_key(cell))
        if key and key not in columns:
            columns[key] = index
    if "id" in columns and "name" in columns and ("parent" in columns or "path" in columns):
        parsed.format = DHIS2
        _read_dhis2(parsed, columns, rows, default_district)
    elif "name" in columns and "type" in columns and ("district" in columns or default_district):
        parsed.format = SIMPLE
        _read_simple(parsed, columns, rows, default_district)
    else:
        parsed.problems.append(Problem(header_line, "unknown_header",
                                       {"columns": ", ".join(c.strip() for c in header)}))
    if not parsed.problems and not parsed.facilities:
        parsed.problems.append(Problem(0, "empty", {}))
    if parsed.problems:
        parsed.problems = sorted(parsed.problems, key=lambda p: p.line)[:MAX_PROBLEMS]
        parsed.facilities = []
    return parsed


def _cell(cells: list[str], columns: dict, key: str) -> str:
    index = columns.get(key)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _kind(parsed: Parsed, number: int, value: str) -> str | None:
    found = kind_of(value) if value else None
    if found is None:
        parsed.problems.append(Problem(number, "unknown_type" if value else "missing",
                                       {"column": "type", "value": value,
                                        "types": ", ".join(KINDS)}))
    return found


def _read_simple(parsed: Parsed, columns: dict, rows: list, default_district) -> None:
    seen_codes, seen_names = {}, {}
    for number, cells in rows:
        district = _cell(cells, columns, "district") or default_district or ""
        name, code = _cell(cells, columns, "name"), _cell(cells, columns, "code")
        problems = [p for p in (
            _text_problem(number, "district", district, NAME_LENGTH, optional=False),
            _text_problem(number, "name", name, NAME_LENGTH, optional=False),
            _text_problem(number, "code", code, CODE_LENGTH, optional=True)) if p]
        kind = _kind(parsed, number, _cell(cells, columns, "type"))
        parsed.problems += problems
        if problems or kind is None:
            continue
        place = fold(district)
        if code:
            _once(parsed, seen_codes, (place, code), number, "duplicate_code", code)
        _once(parsed, seen_names, (place, fold(name)), number, "duplicate_name", name)
        parsed.facilities.append(FacilityRow(number, name, kind, kind, code or None, None,
                                             DistrictRow(number, district)))


def _once(parsed: Parsed, seen: dict, key, number: int, code: str, value: str) -> None:
    """Note a key of a line; a second line with it is a problem naming the first."""
    if key in seen:
        parsed.problems.append(Problem(number, code, {"value": value, "first": seen[key]}))
    else:
        seen[key] = number


@dataclass
class _Unit:
    line: int
    uid: str
    name: str
    code: str
    parent: str
    level: int | None
    kind: str


def _read_dhis2(parsed: Parsed, columns: dict, rows: list, default_district) -> None:
    units: dict[str, _Unit] = {}
    for number, cells in rows:
        uid, name = _cell(cells, columns, "id"), _cell(cells, columns, "name")
        code = _cell(cells, columns, "code")
        parent = _cell(cells, columns, "parent")
        path = [part for part in _cell(cells, columns, "path").split("/") if part]
        if not parent and len(path) >= 2:
            parent = path[-2]
        level_text = _cell(cells, columns, "level")
        problems = [p for p in (
            _text_problem(number, "id", uid, CODE_LENGTH, optional=False),
            _text_problem(number, "name", name, NAME_LENGTH, optional=False),
            _text_problem(number, "code", code, CODE_LENGTH, optional=True),
            _text_problem(number, "parent", parent, CODE_LENGTH, optional=True)) if p]
        if level_text and not level_text.isdigit():
            problems.append(Problem(number, "bad_level", {"value": level_text}))
        if uid in units:
            problems.append(Problem(number, "duplicate_id", {"value": uid,
                                                             "first": units[uid].line}))
        parsed.problems += problems
        if not problems:
            units[uid] = _Unit(number, uid, name, code, parent,
                               int(level_text) if level_text else None,
                               _cell(cells, columns, "type"))
    parents = {unit.parent for unit in units.values() if unit.parent}
    levels = [unit.level for unit in units.values() if unit.level is not None]
    deepest = max(levels) if levels else None
    seen_codes = {}
    for unit in units.values():
        leaf = unit.level == deepest if deepest is not None else unit.uid not in parents
        if not leaf:
            continue
        kind = _kind(parsed, unit.line, unit.kind) if "type" in columns else None
        if "type" in columns and kind is None:
            continue
        if default_district:
            district = DistrictRow(unit.line, default_district)
        elif not unit.parent:
            parsed.problems.append(Problem(unit.line, "no_parent", {"value": unit.uid}))
            continue
        else:
            above = units.get(unit.parent)
            district = (DistrictRow(above.line, above.name, above.code or None, above.uid)
                        if above else DistrictRow(unit.line, None, None, unit.parent))
        if unit.code:
            _once(parsed, seen_codes, (district.external_id or district.name, unit.code),
                  unit.line, "duplicate_code", unit.code)
        parsed.facilities.append(FacilityRow(unit.line, unit.name, kind, guess_kind(unit.name),
                                             unit.code or None, unit.uid, district))
    districts = {f.district.external_id for f in parsed.facilities}
    parsed.skipped = len(units) - len(parsed.facilities) - len(districts & units.keys())
    parsed.facilities.sort(key=lambda f: f.line)
