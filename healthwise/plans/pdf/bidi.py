"""Order one line of mixed-direction text for display (UAX #9 without explicit embeddings).

reportlab shapes Arabic but orders words right to left only through
``rlbidi``, which is not on PyPI, so this module resolves the embedding level
of each character of one already broken line and cuts the line into runs in
visual order; :mod:`.lines` then shapes and draws each run. Paired brackets
(rule N0) are not resolved: in left-to-right text, an Arabic phrase that ends
in a bracket, "Head: رئيسة (الجناح)", gets its closing bracket at level 0,
drawn right of the whole phrase instead of left of its last word.

python-bidi 0.6 was tried and is not used: its documented API is one entry
point, ``get_display``, which returns a reordered string (levels only show in
its ``debug=True`` dump of the Rust ``BidiInfo``, counted in UTF-8 bytes), and
the levels of its pure-Python ``bidi.algorithm`` come only from calling
undocumented steps on its internal storage. Both passed every test in
``tests/test_pdf.py``, but the pure-Python one resolved exactly the levels this
module does on every plan text tried, at 2.2 to 2.5 times the cost a line
(39 to 51 against 16 to 20 microseconds), so it would add a dependency and
its internals for nothing.
"""

from __future__ import annotations

import unicodedata

_STRONG = {"L": "L", "R": "R", "AL": "R"}
_MIRROR = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


def reverse_run(text: str) -> str:
    """Put a right-to-left run's characters in visual order, brackets mirrored (L2, L4).

    :param text: a run of characters at one odd level, in logical order.
    """
    return text[::-1].translate(_MIRROR)


def bidi_levels(text: str, base: int) -> list[int]:
    """Resolve the embedding level of each character of one line.

    :param text: one line, in logical order, without explicit bidi controls.
    :param base: the paragraph level, 0 for left to right, 1 for right to left.
    :returns: one level a character: even for left to right, odd for right to left.
    """
    sos = "R" if base else "L"
    types = [unicodedata.bidirectional(char) or "ON" for char in text]
    # W1: a combining mark takes the type of the character it sits on.
    prev = sos
    for i, kind in enumerate(types):
        if kind == "NSM":
            types[i] = prev
        prev = types[i]
    # W2, W3: European digits after Arabic letters are Arabic numbers.
    last_strong = sos
    for i, kind in enumerate(types):
        if kind in ("L", "R", "AL"):
            last_strong = kind
        elif kind == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if kind == "AL" else kind for kind in types]
    # W4: one separator between two numbers of a kind joins them (1,000 / 12:30).
    for i in range(1, len(types) - 1):
        before, kind, after = types[i - 1], types[i], types[i + 1]
        if before == after == "EN" and kind in ("ES", "CS"):
            types[i] = "EN"
        elif before == after == "AN" and kind == "CS":
            types[i] = "AN"
    # W5: terminators (%, currency signs) next to European digits join them.
    for i, kind in enumerate(types):
        if kind == "EN":
            j = i - 1
            while j >= 0 and types[j] == "ET":
                types[j] = "EN"
                j -= 1
            j = i + 1
            while j < len(types) and types[j] == "ET":
                types[j] = "EN"
                j += 1
    # W6: other separators are neutral; W7: digits in left-to-right text are L.
    last_strong = sos
    for i, kind in enumerate(types):
        if kind in ("ES", "ET", "CS"):
            types[i] = "ON"
        elif kind in ("L", "R"):
            last_strong = kind
        elif kind == "EN" and last_strong == "L":
            types[i] = "L"
    # N1, N2: neutrals take the direction of matching neighbours, else the base.
    strong = [_STRONG.get(kind, "R" if kind in ("EN", "AN") else None) for kind in types]
    i = 0
    while i < len(types):
        if strong[i] is not None:
            i += 1
            continue
        j = i
        while j < len(types) and strong[j] is None:
            j += 1
        left = strong[i - 1] if i > 0 else sos
        right = strong[j] if j < len(types) else sos
        resolved = left if left == right else sos
        for k in range(i, j):
            types[k] = resolved
        i = j
    # I1, I2: implicit levels.
    levels = []
    for kind in types:
        if base == 0:
            levels.append({"L": 0, "R": 1}.get(kind, 2))
        else:
            levels.append(1 if kind == "R" else 2)
    return levels


def visual_runs(text: str, rtl: bool) -> list[tuple[int, str]]:
    """Split one line into runs of one level each, in visual (left to right) order.

    :param text: one line, in logical order.
    :param rtl: whether the paragraph is right to left.
    :returns: ``(level, text)`` pairs; the text of each run is still in
        logical order, for :func:`reverse_run` to turn where the level is odd.
    """
    if not text:
        return []
    levels = bidi_levels(text, 1 if rtl else 0)
    runs: list[tuple[int, str]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or levels[i] != levels[start]:
            runs.append((levels[start], text[start:i]))
            start = i
    # L2: from the highest level down to the lowest odd one, reverse every
    # stretch of runs at that level or above. Characters inside a run are
    # put in order later, from the parity of its level.
    highest = max(level for level, _ in runs)
    lowest_odd = min((level for level, _ in runs if level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(runs):
            if runs[i][0] >= level:
                j = i
                while j < len(runs) and runs[j][0] >= level:
                    j += 1
                runs[i:j] = runs[i:j][::-1]
                i = j
            else:
                i += 1
    return runs
