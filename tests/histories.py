"""Physically possible histories of phones editing one record offline, for property tests.

Each phone pulls the record at some point (its ``base_rev`` is then the record's
revision), makes edits on what it pulled, and delivers them later, in the order it made
them, interleaved in any way with the other phones, in batches, with retries of
batches whose reply was lost. :func:`play` runs a history against a server (the pure
merge in ``test_merge.py``, the real sync in ``test_sync_properties.py``) and notes, for
each change, the revision it was made on and the one it landed at: from these follow
what each write saw (:func:`saw`) and the outcome the merge rule promises
(:func:`expected`), computed from the whole history at once.

A record is created at revision 1 by a setup phone; every phone has pulled it there.
"""

from dataclasses import dataclass, field

from hypothesis import strategies as st

#: The record's fields the phones edit, with the values they may set.
VALUES = {"responsible": ["Ana", "Ben", "Chloé"], "status": ["planned", "in_progress", "done"]}
#: What the setup phone created the record with, at revision 1.
CREATED = {"responsible": "", "status": "planned"}
SETUP = -1
SETUP_CHANGE_ID = "99999999-0000-4000-8000-00000000000c"


@dataclass
class Made:
    """One change a phone made: its fields, and where it was made and landed."""

    change_id: str
    phone: int
    number: int  # its place in the phone's own order
    fields: dict
    session: int = 0  # how many times the phone had pulled when it made it
    base_rev: int | None = None
    landed: int | None = None  # the record's revision after it was first applied
    results: list = field(default_factory=list)  # what the server said, each delivery


def setup_change() -> Made:
    return Made(SETUP_CHANGE_ID, SETUP, 0, dict(CREATED), 0, 0, 1)


@st.composite
def edits(draw) -> dict:
    names = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=2,
                          unique=True))
    return {name: draw(st.sampled_from(VALUES[name])) for name in names}


@st.composite
def histories(draw, phones: int = 3, max_steps: int = 16) -> list[tuple]:
    """Return steps: ``("pull", p)``, ``("edit", p, fields)``, ``("send", p, start, stop)``.

    A send delivers the phone's changes ``start:stop`` in one batch; ``start`` below
    what it already delivered resends some (the reply was lost), and a step may repeat.
    At the end every phone delivers what it has left.
    """
    steps: list[tuple] = []
    made, sent = [0] * phones, [0] * phones
    for _ in range(draw(st.integers(1, max_steps))):
        p = draw(st.integers(0, phones - 1))
        kind = draw(st.sampled_from(["pull", "edit", "edit", "send"]))
        if kind == "edit":
            steps.append(("edit", p, draw(edits())))
            made[p] += 1
        elif kind == "send" and made[p]:
            stop = draw(st.integers(max(sent[p], 1), made[p]))  # at sent[p]: a resend
            start = draw(st.integers(0, min(sent[p], stop - 1)))
            steps.append(("send", p, start, stop))
            sent[p] = max(sent[p], stop)
            if draw(st.booleans()):  # the reply was lost: the phone sends it again
                steps.append(("send", p, start, stop))
        elif kind == "pull":
            steps.append(("pull", p))
    for p in range(phones):
        if sent[p] < made[p]:
            steps.append(("send", p, sent[p], made[p]))
    return steps


def play(steps: list[tuple], server) -> list[Made]:
    """Run ``steps`` against ``server``; return every change made, with its revisions.

    :param server: has ``rev()`` (the record's revision now, as a pull reads it) and
        ``send(phone, changes)`` (a list of the :class:`Made` to deliver in one batch,
        returning one ``(status, rev)`` per change).
    """
    phones = 1 + max((s[1] for s in steps), default=0)
    base, pulls = [1] * phones, [0] * phones
    made: list[list[Made]] = [[] for _ in range(phones)]
    for step in steps:
        kind, p = step[0], step[1]
        if kind == "pull":
            base[p], pulls[p] = server.rev(), pulls[p] + 1
        elif kind == "edit":
            number = len(made[p])
            made[p].append(Made(f"eeeeeeee-0000-4000-800{p}-{number:012d}", p, number,
                                step[2], pulls[p], base[p]))
        else:
            batch = made[p][step[2]:step[3]]
            for change, (status, rev) in zip(batch, server.send(p, batch), strict=True):
                change.results.append(status)
                if change.landed is None:
                    change.landed = rev
    return [change for changes in made for change in changes]


def saw(w: Made, v: Made) -> bool:
    """Return True if write ``w`` saw ``v``: ``v`` had landed by ``w``'s base revision,
    or ``v`` is the same phone's earlier change."""
    return v.landed <= w.base_rev or (w.phone == v.phone and v.number < w.number)


def expected(made: list[Made], name: str, writer_of) -> tuple[Made, set[str]]:
    """Return the winner of field ``name`` and the change_ids of its open conflicts.

    The winner is the old rule's: the greatest ``(base_rev + 1, writer, phone's own
    order)``. Each other phone's latest write of the field is open if neither it nor
    the winner saw the other and its value differs.
    """
    writes = [m for m in [setup_change(), *made] if name in m.fields]
    win = max(writes, key=lambda m: (m.base_rev + 1, writer_of(m.phone), m.number))
    latest: dict[int, Made] = {}
    for m in writes:
        if m.phone not in latest or m.number > latest[m.phone].number:
            latest[m.phone] = m
    open_ids = {m.change_id for p, m in latest.items()
                if p != win.phone and not saw(win, m) and not saw(m, win)
                and m.fields[name] != win.fields[name]}
    return win, open_ids


def reordered(steps: list[tuple], made: list[Made], draw) -> list[tuple]:
    """Return another history in which every pull sees the same changes as in ``steps``.

    The changes first delivered between two pulls are delivered again between the
    same pulls, one at a time, in another interleaving of the phones (each phone's own
    order kept), with retries; each edit is made right after its phone's pull. So every
    change has the same ``base_rev`` and sees the same writes; they land at other
    revisions.
    """
    by_phone: dict[int, list[Made]] = {}
    for m in made:
        by_phone.setdefault(m.phone, []).append(m)
    first_sent: dict[str, int] = {}  # change_id -> number of pulls before its delivery
    pulls_done, segments = 0, [[]]
    for step in steps:
        if step[0] == "pull":
            segments.append([])
            pulls_done += 1
        elif step[0] == "send":
            for m in by_phone[step[1]][step[2]:step[3]]:
                if m.change_id not in first_sent:
                    first_sent[m.change_id] = pulls_done
                    segments[-1].append(m)
    pull_steps = [step for step in steps if step[0] == "pull"]
    out: list[tuple] = [("edit", m.phone, m.fields) for m in made if m.session == 0]
    pulls_of = [0] * (1 + max((step[1] for step in steps), default=0))
    for index, segment in enumerate(segments):
        if index:
            p = pull_steps[index - 1][1]
            pulls_of[p] += 1
            out.append(("pull", p))
            out += [("edit", p, m.fields) for m in by_phone.get(p, [])
                    if m.session == pulls_of[p]]
        queues = {}
        for m in segment:
            queues.setdefault(m.phone, []).append(m)
        while queues:
            p = draw(st.sampled_from(sorted(queues)))
            m = queues[p].pop(0)
            if not queues[p]:
                del queues[p]
            out.append(("send", p, m.number, m.number + 1))
            if draw(st.booleans()):
                again = draw(st.integers(0, m.number))
                out.append(("send", p, again, m.number + 1))
    return out
