"""Measure how long a 20-item action plan takes to render, in English and in Arabic.

Targets (shared/design/quality.md): median at most 50 ms for Latin scripts
and 100 ms for Arabic; rendering grows linearly with the items, 1,000 items
within 3 s. Prints median and p90 of each, their ratio, t(100 items),
t(1,000 items) and t(1,000)/t(100) (10 when linear), and the command that
produced them. Always exits 0: a benchmark informs, it never
fails a build.

Wall time is what a user waits; CPU time is printed too because these
shared 2-core machines are noisy. Each run starts with empty text caches
(shaped words, laid-out lines), as a plan with new text would; fonts are
registered once before timing, as in a long-running worker.

Example: python benchmarks/bench_pdf.py --runs 30 --items 20
"""

from __future__ import annotations

import argparse
import io
import shlex
import statistics
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from healthwise.plans import pdf  # noqa: E402
from healthwise.plans.document import (  # noqa: E402
    AchievementLine,
    ActionItem,
    ChartRow,
    PlanDocument,
)
from healthwise.plans.pdf import fonts, lines  # noqa: E402

MODULES = {
    "en": [
        "Occupational hazards and workplace safety",
        "Musculoskeletal hazards and ergonomics",
        "Biological hazards and infection control (HIV, TB)",
        "Discrimination, harassment and violence",
        "Towards a green and healthy workplace",
        "The key role of staff",
        "Working time and family-friendly measures",
        "Equipment and supplies",
    ],
    "ar": [
        "مكافحة المخاطر المهنية والسلامة في مكان العمل",
        "المخاطر العضلية الهيكلية وبيئة العمل",
        "المخاطر البيولوجية ومكافحة العدوى (فيروس نقص المناعة البشرية والسل)",
        "التمييز والتحرش والعنف في العمل",
        "نحو مكان عمل أخضر وصحي",
        "الدور الأساسي للعاملين",
        "وقت العمل والتدابير الملائمة للأسرة",
        "المعدات واللوازم",
    ],
}
ITEMS = {
    "en": [
        (
            "Provide puncture-resistant sharps containers within arm's reach of every point"
            " of use.",
            "Order 20 containers from the district store; place one in each treatment room.",
            "Head nurse (Ward B)",
            "15 March 2025",
        ),
        (
            "Offer free, confidential HIV and TB testing and counselling to all staff.",
            "Agree a monthly clinic hour with the district HIV coordinator.",
            "Dr Amina Okafor",
            "30 April 2025",
        ),
        (
            "Install an alarm button at the reception desk and in the consultation rooms.",
            "Ask the district engineer for a quote; meanwhile agree a code word.",
            "Facility manager",
            "31 May 2025",
        ),
        (
            "Publish the duty roster at least two weeks in advance.",
            "Roster on the notice board every second Friday.",
            "Matron",
            "1 March 2025",
        ),
    ],
    "ar": [
        (
            "توفير حاويات مقاومة للثقب للأدوات الحادة في متناول اليد عند كل نقطة استخدام.",
            "طلب 20 حاوية من مخزن المنطقة ووضع حاوية في كل غرفة علاج.",
            "رئيسة التمريض (الجناح ب)",
            "15 مارس 2025",
        ),
        (
            "تقديم فحص وإرشاد مجاني وسري بشأن فيروس نقص المناعة البشرية والسل لجميع العاملين.",
            "الاتفاق مع منسق المنطقة على ساعة شهرية في العيادة.",
            "د. أمينة أوكافور",
            "30 أبريل 2025",
        ),
        (
            "تركيب زر إنذار في مكتب الاستقبال وفي غرف الاستشارة.",
            "طلب عرض سعر من مهندس المنطقة، والاتفاق على كلمة سر في الأثناء.",
            "مدير المرفق",
            "31 مايو 2025",
        ),
        (
            "نشر جدول المناوبات قبل أسبوعين على الأقل.",
            "الجدول على لوحة الإعلانات كل يوم جمعة ثانٍ.",
            "كبيرة الممرضات",
            "1 مارس 2025",
        ),
    ],
}
ARABIC_LABELS = {
    "HealthWISE action plan": "خطة عمل HealthWISE",
    "District": "المنطقة",
    "Round": "الجولة",
    "Date": "التاريخ",
    "Participants": "المشاركون",
    "Follow-up": "متابعة",
    "Where action is needed, module by module": "أين يلزم العمل، وحدة تلو الأخرى",
    "Prioritised action plan": "خطة العمل حسب الأولوية",
    "Checkpoint": "نقطة المراجعة",
    "Action agreed": "الإجراء المتفق عليه",
    "Responsible": "المسؤول",
    "Due date": "الموعد",
    "Cost": "التكلفة",
    "Status": "الحالة",
    "Low": "منخفضة",
    "Medium": "متوسطة",
    "High": "مرتفعة",
    "Planned": "مخطط",
    "In progress": "قيد التنفيذ",
    "Done": "منجز",
    "What is already good": "ما هو جيد بالفعل",
    "Agreed by the committee": "اعتمدته اللجنة",
    "Chair of the committee": "رئيس اللجنة",
    "Manager of the facility": "مدير المرفق",
    "Name, signature and date": "الاسم والتوقيع والتاريخ",
    "Next review: %(date)s": "المراجعة القادمة: %(date)s",
    "Page %(page)d of %(pages)d": "صفحة %(page)d من %(pages)d",
}
TEXT_CACHES = (fonts.shaped, lines.layout_line, fonts.word_width)


def make_plan(lang: str, n_items: int) -> PlanDocument:
    """Build a realistic follow-up plan with n_items actions."""
    shares = [0.6, 0.45, 0.75, 0.3, 0.2, 0.5, 0.65, 0.1]
    before = [0.8, 0.5, 0.9, 0.6, 0.2, 0.7, 0.65, 0.3]
    items = ITEMS[lang]
    costs, statuses = ["low", "medium", "high"], ["planned", "in_progress", "done"]
    return PlanDocument(
        facility="St. Mary's Health Centre, Kibera"
        if lang == "en"
        else "مركز الرعاية الصحية في الزرقاء",
        district="Nairobi East" if lang == "en" else "محافظة الزرقاء",
        round_title="Second walk-through" if lang == "en" else "الجولة الثانية",
        kind="follow_up",
        date="12 February 2025" if lang == "en" else "12 فبراير 2025",
        n_participants=6,
        chart=tuple(
            ChartRow(t, s, b) for t, s, b in zip(MODULES[lang], shares, before, strict=True)
        ),
        items=tuple(
            ActionItem(
                i + 1, f"HZ-{i + 1:02d}", *items[i % len(items)], costs[i % 3], statuses[i % 3]
            )
            for i in range(n_items)
        ),
        achievements=tuple(
            AchievementLine(f"BI-{i:02d}", items[i % len(items)][0]) for i in range(4)
        ),
        next_review="12 August 2025" if lang == "en" else "12 أغسطس 2025",
        generated_at="12 February 2025 16:40",
    )


def time_renders(lang: str, runs: int, n_items: int) -> tuple[list[float], list[float], int]:
    """Render the plan `runs` times; return wall and CPU durations in ms and the page count."""
    labels = ARABIC_LABELS if lang == "ar" else {}

    def gettext(message: str) -> str:
        return labels.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    doc = make_plan(lang, n_items)
    durations, cpu = [], []
    for _ in range(runs):
        for cache in TEXT_CACHES:
            cache.cache_clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        data = pdf.render_plan(doc, lang, gettext, ngettext)
        durations.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return durations, cpu, data.count(b"/Type /Page\n") or _pages(data)


def _pages(data: bytes) -> int:
    """Count pages with pypdf when the quick byte count finds none."""
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def p90(values: list[float]) -> float:
    """Return the 90th percentile."""
    return statistics.quantiles(values, n=10)[8] if len(values) > 1 else values[0]


def main() -> None:
    """Parse arguments, warm up, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--long-runs", type=int, default=3,
                        help="runs of the 100- and 1,000-item plans")
    args = parser.parse_args()
    pdf.init_fonts()  # registering fonts is a once-per-process cost, not per plan
    for lang in ("en", "ar"):
        time_renders(lang, 3, args.items)  # warm up imports and code paths
    results = {}
    for lang, target in (("en", 50), ("ar", 100)):
        durations, cpu, pages = time_renders(lang, args.runs, args.items)
        median = statistics.median(durations)
        results[lang] = median
        verdict = "ok" if median <= target else "OVER TARGET"
        print(
            f"{lang}: {args.items} items, {pages} pages: median {median:.1f} ms, "
            f"p90 {p90(durations):.1f} ms, CPU median {statistics.median(cpu):.1f} ms "
            f"over {args.runs} runs (target <= {target} ms: {verdict})"
        )
    print(f"ratio ar/en (medians): {results['ar'] / results['en']:.2f}")
    for lang in ("en", "ar"):
        scaled = {}
        for n_items in (100, 1000):
            durations, cpu, pages = time_renders(lang, args.long_runs, n_items)
            scaled[n_items] = statistics.median(cpu)
            wall = statistics.median(durations)
            print(f"{lang}: t({n_items:,} items, {pages} pages) median {wall:.0f} ms wall, "
                  f"{scaled[n_items]:.0f} ms CPU over {args.long_runs} runs")
        verdict = "ok" if scaled[1000] <= 3000 else "OVER TARGET"
        print(f"{lang}: t(1,000)/t(100) (CPU) = {scaled[1000] / scaled[100]:.1f} "
              f"(10 is linear; 1,000 items within 3 s: {verdict})")
    print(f"command: {shlex.join(['python', *sys.argv])}")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a benchmark never fails a build; say what broke instead
        traceback.print_exc()
    sys.exit(0)
