"""Arabic and a 360 px phone: user text isolated, chevrons mirrored, nothing cut or hidden."""

import io

import pytest
from PIL import Image

from .test_i18n_a11y import OPEN_DETAILS, choose_language

NAME = "Head nurse (Sister: Achieng)"
REMARK = "Sharps box (yellow) is full"
CODES = {"English": "en", "Français": "fr", "العربية": "ar"}

# The x of each character of an element's text, line by line (rounded to the pixel).
CHAR_BOXES = """(el) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode())
    for (let i = 0; i < n.length; i++) {
      const r = document.createRange();
      r.setStart(n, i);
      r.setEnd(n, i + 1);
      const b = r.getBoundingClientRect();
      if (b.width) out.push([n.data[i], Math.round(b.left), Math.round(b.top)]);
    }
  return out;
}"""


def choose(phone, name, code):
    """Switch the language and wait until its catalogue is on the phone."""
    choose_language(phone, name)
    phone.wait_until(lambda: phone.idb("meta", f"i18n:{code}"), what=f"the {code} catalogue")
    phone.page.wait_for_function(f"() => document.documentElement.lang === '{code}'")


def show(phone, route, ready="main .view"):
    """Open a screen and wait until it is drawn (``ready``: a selector only it has)."""
    phone.page.evaluate("() => document.querySelector('main .view')?.classList.add('old')")
    phone.goto(route)
    phone.page.locator("main .view:not(.old)").wait_for()
    phone.page.locator(ready).first.wait_for()


def reads_left_to_right(phone, locator):
    """Each line of the element's characters appears in typing order, left to right."""
    boxes = locator.evaluate(CHAR_BOXES)
    lines = {}
    for char, x, top in boxes:
        lines.setdefault(top, []).append((char, x))
    for chars in lines.values():
        xs = [x for _, x in chars]
        assert xs == sorted(xs), f"{''.join(c for c, _ in chars)!r} is out of order: {chars}"
    return locator.text_content()


@pytest.fixture
def walked(phones):
    """A phone with a round, one participant (an English name) and an answer with a remark."""
    phone = phones()
    phone.join()
    phone.wait_checklist()
    aid = phone.start_round("Follow-up (March)")
    rid = phone.join_round(NAME)
    phone.page.locator("a.btn.primary.big").click()
    cp = phone.answer("yes", remark=REMARK)
    return phone, aid, rid, cp


def test_english_user_text_is_isolated_in_arabic_screens(walked):
    phone, aid, rid, cp = walked
    choose(phone, "العربية", "ar")

    show(phone, "/")
    shortcut = phone.page.locator("a.btn.big").filter(has_text=NAME)
    name = shortcut.locator("bdi", has_text=NAME)
    assert name.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert reads_left_to_right(phone, name) == NAME
    # The Arabic sentence around it keeps its place: the name sits inside the brackets.
    assert name.evaluate("e => e.parentElement.closest('[dir=ltr]')") is None

    show(phone, f"/round/{aid}")
    assert reads_left_to_right(phone, phone.page.locator(".name bdi", has_text=NAME)) == NAME
    assert phone.page.locator("#title bdi").inner_text() == "Follow-up (March)"

    show(phone, f"/group/{aid}")
    phone.page.evaluate(OPEN_DETAILS)
    remark = phone.page.locator("bdi", has_text=REMARK)
    assert reads_left_to_right(phone, remark) == REMARK
    assert phone.page.locator(".votes bdi", has_text=NAME).count() == 1

    show(phone, f"/walk/{rid}/{cp}")
    assert phone.page.locator("#remark").get_attribute("dir") == "auto"
    show(phone, f"/round/{aid}/join")
    assert phone.page.locator("input[name=participant]").get_attribute("dir") == "auto"
    phone.assert_no_errors()


def pointing(locator):
    """Which way a chevron glyph points: 'left' or 'right' (from its pixels)."""
    locator.evaluate("e => { e.style.fontSize = '64px'; }")
    box = locator.bounding_box()
    shot = locator.page.screenshot(clip=box)  # what the page shows there
    image = Image.open(io.BytesIO(shot)).convert("L")
    width, height = image.size
    background = image.getpixel((0, 0))
    ink = [[abs(image.getpixel((x, y)) - background) > 90 for y in range(height)]
           for x in range(width)]
    columns = [x for x in range(width) if any(ink[x])]

    def extent(xs):
        rows = [y for x in xs for y in range(height) if ink[x][y]]
        return max(rows) - min(rows)

    left, right = extent(columns[:3]), extent(columns[-3:])
    assert left != right
    return "left" if left < right else "right"


@pytest.mark.parametrize(("language", "back", "previous", "following"), [
    ("English", "left", "left", "right"),
    ("العربية", "right", "right", "left"),
])
def test_chevrons_point_the_way_the_screen_reads(walked, language, back, previous, following):
    phone, _, rid, cp = walked
    if language != "English":
        choose(phone, language, CODES[language])
    show(phone, f"/walk/{rid}/{cp}", ".walk-nav")
    nav = phone.page.locator(".walk-nav .btn")
    # Both chevrons are drawn alike (the header's back arrow is twice their size).
    sizes = nav.locator(".chev").evaluate_all(
        "els => els.map(e => getComputedStyle(e, '::before').fontSize)")
    assert len(sizes) == 2 and sizes[0] == sizes[1]
    assert pointing(nav.nth(0).locator(".chev")) == previous
    assert pointing(nav.nth(1).locator(".chev")) == following
    assert pointing(phone.page.locator("#back span")) == back


WORDS_SPLIT = """(el) => {
  const text = el.textContent;
  const node = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const split = [];
  for (let n = node.nextNode(); n; n = node.nextNode()) {
    for (const m of n.data.matchAll(/[^\\s-]+-?/g)) {
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      const rects = [...r.getClientRects()].filter((b) => b.width);
      const tops = new Set(rects.map((b) => Math.round(b.top)));
      if (tops.size > 1) split.push(m[0]);
    }
  }
  return split;
}"""


@pytest.mark.parametrize("language", ["English", "Français", "العربية"])
def test_titles_wrap_between_words_and_stay_on_screen(walked, language):
    phone, aid, rid, _ = walked
    if language != "English":
        choose(phone, language, CODES[language])
    for route in (f"/walk/{rid}/ER-01", f"/walk/{rid}/IC-01", f"/walk/{rid}", f"/round/{aid}"):
        show(phone, route)
        phone.page.screenshot(path=f"/tmp/shots/test-{language}-{route.split('/')[-1]}.png")
        split = phone.page.evaluate(
            f"() => [...document.querySelectorAll('#title, main h2, main .name, .cp-action')]"
            f".flatMap((el) => ({WORDS_SPLIT})(el))"
        )
        assert split == [], route
        box = phone.page.locator("#title").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, route
        pill = phone.page.locator("#pill").bounding_box()
        assert pill["x"] >= 0 and pill["x"] + pill["width"] <= 360, route


def test_the_sync_pill_keeps_to_one_line(walked):
    phone, *_ = walked
    choose(phone, "Français", "fr")
    phone.set_offline(True)
    show(phone, "/")
    pill = phone.page.locator("#pill")
    pill.filter(has_text="Hors ligne").wait_for()
    text = pill.locator("span")
    one_line = text.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert text.bounding_box()["height"] <= one_line * 1.2
    assert pill.bounding_box()["height"] <= 40
    full = pill.get_attribute("title")
    assert full.startswith("Hors ligne") and pill.get_attribute("aria-label").endswith(full)
    phone.set_offline(False)


def under_the_bar(phone):
    """How many pixels of the focused remark are hidden under the Previous/Next bar."""
    return phone.page.evaluate("""() => {
      const r = document.activeElement.getBoundingClientRect();
      const bar = document.querySelector('.walk-nav').getBoundingClientRect();
      return Math.max(0, Math.min(r.bottom, innerHeight) - bar.top);
    }""")


@pytest.mark.parametrize("language", ["English", "العربية"])
def test_a_focused_remark_is_never_under_the_sticky_bar(walked, language):
    phone, _, rid, cp = walked
    if language != "English":
        choose(phone, language, CODES[language])
    show(phone, f"/walk/{rid}/{cp}", "#remark")
    page = phone.page
    # Scroll so that only the remark's first line shows above the bar, then tap it there.
    page.evaluate("""() => {
      const r = document.querySelector('#remark').getBoundingClientRect();
      const bar = document.querySelector('.walk-nav').getBoundingClientRect();
      window.scrollBy(0, r.top - bar.top + 24);
    }""")
    box = page.locator("#remark").bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 8)
    assert page.evaluate("document.activeElement.id") == "remark"
    page.wait_for_timeout(300)
    assert under_the_bar(phone) == 0
    # The on-screen keyboard takes the lower half of the screen.
    page.set_viewport_size({"width": 360, "height": 330})
    page.wait_for_timeout(500)
    assert under_the_bar(phone) == 0
    assert page.locator("#remark").bounding_box()["y"] >= 0


def test_last_sync_ages_while_the_screen_is_open(phones):
    phone = phones()
    phone.context.clock.install()
    phone.join()
    phone.wait_synced()
    choose(phone, "Français", "fr")
    show(phone, "/")
    when = phone.page.locator("section.card .meta").first
    when.filter(has_text="maintenant").wait_for()
    phone.set_offline(True)  # no new sync meanwhile
    phone.page.clock.fast_forward("05:00")
    when.filter(has_text="il y a 5 minutes").wait_for()
    phone.set_offline(False)


def test_the_sync_screen_is_titled_by_what_is_left(walked):
    phone, aid, *_ = walked
    phone.wait_synced()
    show(phone, "/sync")
    assert phone.page.locator("#title").inner_text() == "All changes sent"
    phone.set_offline(True)
    show(phone, f"/round/{aid}")
    phone.page.locator("#round-status").select_option("agreed")
    phone.page.locator("#toast").filter(has_text="Saved").wait_for()
    show(phone, "/sync")
    assert phone.page.locator("#title").inner_text() == "Not yet sent"
    phone.set_offline(False)


def test_the_walk_through_shortcut_stays_after_other_screens(walked):
    phone, aid, rid, cp = walked
    show(phone, "/settings")
    show(phone, f"/group/{aid}")
    show(phone, "/")
    shortcut = phone.page.get_by_role("link", name="Continue the walk-through")
    shortcut.wait_for()
    phone.page.reload()
    shortcut.wait_for()
    shortcut.click()
    phone.page.wait_for_url(f"**/#/walk/{rid}/*")
    phone.assert_no_errors()
