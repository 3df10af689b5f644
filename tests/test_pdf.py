"""Tests for healthwise.plans.pdf: render real PDFs and read them back with pypdf.

No Flask: the renderer is pure. Arabic text read back from a PDF comes out
in presentation forms (shaped glyphs), so it is NFKC-normalised before
comparing. Glyphs with no character of their own (the halves of lam-alef)
extract as the letters they stand for, through the fonts' ToUnicode CMaps;
tests/test_plans_api.py checks the demo plan with pdftotext and pypdf.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable

import pypdf
import pytest

from healthwise.plans.document import AchievementLine, ActionItem, ChartRow, PlanDocument
from healthwise.plans.pdf import render_plan
from healthwise.plans.pdf.bidi import visual_runs as _visual_runs
from healthwise.plans.pdf.lines import break_lines as _break_lines
from healthwise.plans.pdf.lines import layout_line as _layout_line

TRANSLATIONS = {
    "fr": {
        "Prioritised action plan": "Plan d'action par priorité",
        "What is already good": "Ce qui va déjà bien",
        "Low": "Faible",
        "Planned": "Prévu",
        "Page %(page)d of %(pages)d": "Page %(page)d sur %(pages)d",
    },
    "es": {
        "Prioritised action plan": "Plan de acción priorizado",
        "What is already good": "Lo que ya está bien",
        "Low": "Bajo",
        "Planned": "Previsto",
        "Page %(page)d of %(pages)d": "Página %(page)d de %(pages)d",
    },
    "pt": {
        "Prioritised action plan": "Plano de ação priorizado",
        "What is already good": "O que já está bom",
        "Low": "Baixo",
        "Planned": "Previsto",
        "Page %(page)d of %(pages)d": "Página %(page)d de %(pages)d",
    },
    "ar": {
        "Prioritised action plan": "خطة العمل المتفق عليها",
        "What is already good": "ما هو جيد بالفعل",
        "Low": "منخفضة",
        "Planned": "مخطط",
        "Page %(page)d of %(pages)d": "صفحة %(page)d من %(pages)d",
    },
}

TEXTS = {
    "en": (
        "Kibera Health Centre",
        "Order sharps containers from the district store",
        "Publish the duty roster two weeks ahead",
        "Safety committee meets monthly",
    ),
    "fr": (
        "Centre de santé de Ouagadougou",
        "Commander des conteneurs à objets piquants",
        "Publier le tableau de service à l'avance",
        "Le comité de sécurité se réunit",
    ),
    "es": (
        "Centro de Salud San José",
        "Pedir contenedores para objetos punzantes",
        "Publicar el turno con dos semanas de antelación",
        "El comité de seguridad se reúne",
    ),
    "pt": (
        "Centro de Saúde da Maxaquene",
        "Encomendar contentores para cortantes",
        "Publicar a escala com duas semanas de antecedência",
        "A comissão de segurança reúne-se",
    ),
    "ar": (
        "مركز صحي الزرقاء",
        "توفير حاويات مقاومة للثقب",
        "نشر جدول المناوبات مبكرا",
        "اجتماع شهري للجنة",
    ),
}

HOSTILE = [
    '<img src="http://x/y.png"/>',
    '<link href="http://evil.example/">click</link>',
    '<font name="Courier" size="40">big',
    "<b><i>unbalanced</para>",
    "&amp; &nbsp; &#0; ]]> <!-- -->",
    "",
    "\x00\x07 controls\ttab\nnew line\u202e override",
]


def fake_gettext(lang: str) -> tuple[Callable[[str], str], Callable[[str, str, int], str]]:
    """A stand-in for a catalogue: a few labels translated, the rest English."""
    table = TRANSLATIONS.get(lang, {})

    def gettext(message: str) -> str:
        return table.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    return gettext, ngettext


@pytest.fixture
def make_plan() -> Callable[..., PlanDocument]:
    """Return a factory of plans in a language, with overrides."""

    def make(lang: str = "en", **overrides) -> PlanDocument:
        facility, action1, action2, good = TEXTS[lang]
        values = dict(
            facility=facility,
            district="Nairobi" if lang != "ar" else "الزرقاء",
            round_title="Round 2",
            kind="follow_up",
            date="12/02/2025",
            n_participants=6,
            chart=(
                ChartRow("Hazards", 0.5, 0.75),
                ChartRow("Violence", 0.25, 0.25),
                ChartRow("Green workplace", None, None),
            ),
            items=(
                ActionItem(
                    1,
                    "HZ-03",
                    "Sharps containers",
                    action1,
                    "Head nurse",
                    "15/03/2025",
                    "low",
                    "planned",
                ),
                ActionItem(
                    2, "WT-01", "Duty roster", action2, "Matron", "01/04/2025", "medium", "done"
                ),
            ),
            achievements=(AchievementLine("HZ-01", good),),
            next_review="12/08/2025",
            generated_at="12/02/2025 16:40",
        )
        values.update(overrides)
        return PlanDocument(**values)

    return make


def render(doc: PlanDocument, lang: str) -> bytes:
    gettext, ngettext = fake_gettext(lang)
    return render_plan(doc, lang, gettext, ngettext)


def page_texts(pdf: bytes) -> list[str]:
    """Extract each page's text, presentation forms folded to letters, one space between words.

    Cell text wraps, so a phrase may be split over lines.
    """
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [
        " ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
        for page in reader.pages
    ]


@pytest.mark.parametrize("lang", ["en", "fr", "es", "pt", "ar"])
def test_text_and_headings_in_every_language(make_plan, lang):
    pdf = render(make_plan(lang), lang)
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page_texts(pdf))
    facility, action1, action2, good = TEXTS[lang]
    for expected in (facility, action1, action2, good, "HZ-03", "WT-01"):
        assert expected in text
    labels = TRANSLATIONS.get(lang, {})
    for english in ("Prioritised action plan", "What is already good", "Low", "Planned"):
        assert labels.get(english, english) in text
    if lang != "en":
        # The translated labels replace the English ones.
        assert "Prioritised action plan" not in text
    page_word = labels.get("Page %(page)d of %(pages)d", "Page").split()[0]
    assert page_word in text


def test_page_numbers_header_row_and_footer_on_every_page(make_plan):
    items = tuple(
        ActionItem(
            i,
            f"HZ-{i:02d}",
            f"Checkpoint text {i}",
            f"Agreed action number {i}",
            "Nurse",
            "01/05/2025",
            "low",
            "planned",
        )
        for i in range(1, 61)
    )
    pages = page_texts(render(make_plan(items=items), "en"))
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "HealthWISE Mobile" in text
    # The table's header row is repeated on each page the table runs over.
    table_pages = [text for text in pages if re.search(r"Agreed action number \d+", text)]
    assert len(table_pages) > 1
    assert all("Responsible" in text and "Due date" in text for text in table_pages)
    assert "Agreed action number 60" in "\n".join(pages)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_fonts_are_embedded(make_plan, lang):
    reader = pypdf.PdfReader(io.BytesIO(render(make_plan(lang), lang)))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]).split("+")[-1])
            assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]
    assert {"NotoSans-Regular", "NotoSans-Bold"} <= names
    if lang == "ar":
        assert "NotoNaskhArabic-Regular" in names


def test_metadata(make_plan):
    reader = pypdf.PdfReader(io.BytesIO(render(make_plan("fr"), "fr")))
    assert reader.metadata.author == "HealthWISE Mobile"
    assert "Centre de santé de Ouagadougou" in reader.metadata.title
    assert reader.trailer["/Root"]["/Lang"] == "fr"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_hostile_input_renders_as_text_and_fetches_nothing(make_plan, lang):
    long_word = "W" * 5000
    items = (
        tuple(
            ActionItem(
                i + 1,
                HOSTILE[i % len(HOSTILE)],
                HOSTILE[(i + 1) % len(HOSTILE)],
                HOSTILE[(i + 2) % len(HOSTILE)],
                HOSTILE[(i + 3) % len(HOSTILE)],
                HOSTILE[(i + 4) % len(HOSTILE)],
                "<cost>",
                HOSTILE[(i + 5) % len(HOSTILE)],
            )
            for i in range(20)
        )
        + (ActionItem(21, "", long_word, long_word, long_word, "", "", ""),)
        + tuple(
            ActionItem(i, "HZ-01", "Plain checkpoint", f"Plain action {i}", "Nurse", "", "", "")
            for i in range(22, 201)
        )
    )
    doc = make_plan(
        lang,
        facility='<img src="http://x/y.png"/>' + long_word,
        district="",
        round_title="<b>",
        date="",
        n_participants=0,
        chart=(ChartRow(HOSTILE[1], 0.5), ChartRow("", None)),
        items=items,
        achievements=tuple(AchievementLine(h, h) for h in HOSTILE)
        + (AchievementLine("", long_word),),
        next_review=HOSTILE[0],
        generated_at=HOSTILE[2],
    )
    pdf = render(doc, lang)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    # Nothing was loaded or linked: no image, no URI action, no annotation.
    for marker in (b"/Subtype /Image", b"/URI", b"/Annots", b"/Launch", b"/JavaScript"):
        assert marker not in pdf
    text = "\n".join(page_texts(pdf))
    # The markup printed as the characters the user typed.
    assert '<img src="http://x/y.png"/>' in text
    assert "<font" in text and "unbalanced</para>" in text
    # The long word wrapped over many lines instead of running off the page.
    assert "W" * 20 in text
    assert "Plain action 200" in text


def test_empty_plan_renders(make_plan):
    doc = make_plan(
        chart=(),
        items=(),
        achievements=(),
        next_review="",
        generated_at="",
        round_title="",
        district="",
        facility="",
    )
    text = "\n".join(page_texts(render(doc, "en")))
    assert "No action has been proposed yet." in text
    assert "Nothing recorded yet." in text


def positions(pdf: bytes) -> list[tuple[str, float, float]]:
    """Return (text, x, y) of each text chunk drawn on the first page."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((unicodedata.normalize("NFKC", text), x, y))

    pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def x_of(chunks: list[tuple[str, float, float]], needle: str) -> float:
    return next(x for text, x, _ in chunks if needle in text)


@pytest.mark.parametrize(("lang", "mirrored"), [("en", False), ("ar", True)])
def test_table_columns_are_mirrored_for_arabic(make_plan, lang, mirrored):
    chunks = positions(render(make_plan(lang), lang))
    checkpoint_x = x_of(chunks, "HZ-03")
    status_x = x_of(chunks, TRANSLATIONS.get(lang, {}).get("Planned", "Planned"))
    assert (checkpoint_x > status_x) is mirrored


NUMBERS = "واحد اثنان أربعة خمسة ستة سبعة ثمانية تسعة عشرة"


def test_arabic_lines_are_shaped_and_in_reading_order(make_plan):
    # A long action in a narrow column: several lines, the first words on top.
    action = " ".join([NUMBERS] * 3)
    doc = make_plan("ar", items=(ActionItem(1, "HZ-03", "نص", action, "", "", "low", "planned"),))
    pdf = render(doc, "ar")
    chunks = positions(pdf)
    first_line = next(y for text, _, y in chunks if "واحد" in text)
    last_line = min(y for text, _, y in chunks if "عشرة" in text)
    assert first_line > last_line
    raw = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # Shaped: the joined letters print as Arabic presentation forms.
    assert any("\ufe70" <= char <= "\ufeff" for char in raw)


def test_break_lines_keeps_logical_order_and_layout_reverses_each_line():
    lines = _break_lines(NUMBERS, False, 10, 80)
    assert len(lines) > 1
    assert lines[0].startswith("واحد") and lines[-1].endswith("عشرة")
    assert " ".join(lines) == NUMBERS
    for line in lines:
        pieces, width = _layout_line(line, True, False, 10)
        assert width <= 80
        drawn = "".join(piece.text for piece in pieces)
        # Drawn left to right, so read backwards it is the logical line again.
        assert unicodedata.normalize("NFKC", drawn)[::-1] == line


def test_bidi_runs_put_mixed_text_in_visual_order():
    # "مركز HZ-01 في 12 مارس", right to left: Arabic at level 1, the id and the
    # number at level 2 (left to right inside), spaces between them at level 1.
    assert _visual_runs("مركز HZ-01 في 12 مارس", rtl=True) == [
        (1, " مارس"),
        (2, "12"),
        (1, " في "),
        (2, "HZ-01"),
        (1, "مركز "),
    ]
    # Digits after Arabic letters are Arabic numbers (rule W2): a date stays
    # whole, and "%" follows the number on its left, as Arabic prints it.
    assert _visual_runs("نسبة 50% في 12/03/2025", rtl=True) == [
        (2, "12/03/2025"),
        (1, "% في "),
        (2, "50"),
        (1, "نسبة "),
    ]
    # Left-to-right text with an Arabic name: only the name is reversed.
    assert _visual_runs("Clinic مركز صحي today", rtl=False) == [
        (0, "Clinic "),
        (1, "مركز صحي"),
        (0, " today"),
    ]
    assert _visual_runs("plain text", rtl=False) == [(0, "plain text")]


def test_brackets_are_mirrored_in_arabic():
    pieces, _ = _layout_line("رئيسة (الجناح)", True, False, 10)
    drawn = unicodedata.normalize("NFKC", "".join(piece.text for piece in pieces))
    # Visually, left to right: "(" then the reversed word then ")": read
    # right to left, the bracket opens before "الجناح".
    assert drawn[0] == "(" and drawn[-1] != "(" and ")" in drawn
    assert drawn[::-1].replace("(", "#").replace(")", "(").replace("#", ")") == "رئيسة (الجناح)"


def test_broken_translation_does_not_stop_the_pdf(make_plan):
    def gettext(message):
        return "Seite %(seite)d von %(pages)d" if message.startswith("Page ") else message

    text = "\n".join(page_texts(render_plan(make_plan(), "de", gettext, lambda s, p, n: p)))
    assert "Seite %(seite)d von %(pages)d (1, 1)" in text


def test_arabic_name_in_an_english_plan_is_shaped_and_embedded(make_plan):
    pdf = render(make_plan("en", facility="مركز صحي الزرقاء"), "en")
    assert "مركز صحي الزرقاء" in "\n".join(page_texts(pdf))
    assert b"NotoNaskhArabic-Bold" in pdf


def test_lam_alef_and_vowel_marks_extract_as_the_letters_put_in(make_plan):
    # Each of these has a lam-alef ligature, drawn with glyphs outside the font's cmap.
    words = ("السلامة", "الأساسي", "لإصلاح", "الآلات", "علاجًا")
    doc = make_plan("ar", facility=" ".join(words), district="لا")
    pdf = render(doc, "ar")
    raw = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert not [char for char in raw if 0xE000 <= ord(char) <= 0xF8FF]
    assert " ".join(words) in " ".join(page_texts(pdf))


def test_to_unicode_cmap_maps_a_glyph_to_several_characters():
    from healthwise.plans.pdf.fonts import to_unicode_cmap

    cmap = to_unicode_cmap("AAAAAA+Font", [0, 0x41, 0xE000], {0xE000: "\u0644\u0627"})
    assert "<01> <0041>" in cmap and "<02> <06440627>" in cmap
    assert "3 beginbfchar" in cmap and "<00> <02>" in cmap


def test_marks_and_neutrals_of_arabic_are_drawn_in_actual_text_spans(make_plan):
    from healthwise.plans.pdf.fonts import BASELINE_ANCHOR, init_fonts, to_unicode_cmap
    from healthwise.plans.pdf.lines import RLM

    init_fonts()
    # A raised mark (the fathatan of "علاجًا"), an Arabic comma, brackets, a space at the
    # edge of a Latin word and one after the comma: each gets a span; letters get none.
    pieces, _ = _layout_line("Baseline (علاجًا، مرة)", True, False, 10)
    spans = [span for piece in pieces for span in piece.spans]
    actual = sorted(span.actual for span in spans)
    assert actual == sorted(["\u064b", *(f"{RLM}{c}{RLM}" for c in "  ()\u060c")])
    assert [span.rise > 0 for span in spans if span.actual == "\u064b"] == [True]
    # The spans are balanced marked content, the raised mark's starting with the anchor,
    # which the CMaps map to no text; the page looks as before (same glyphs, same places).
    pdf = render(make_plan("ar", facility="علاجًا، (مرة)"), "ar")
    content = b"".join(page.get_contents().get_data()
                       for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert content.count(b"/Span <</ActualText") == content.count(b"EMC") > 0
    assert "<00> <>" in to_unicode_cmap("AAAAAA+Font", [ord(BASELINE_ANCHOR)], {})
