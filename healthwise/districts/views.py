"""District pages (the person's districts and facilities, a district at a glance) and the
managers' API: districts, their summaries, a facility's rounds and a round's plan.

Read-only, for a manager's or an admin's API token (from ``/manage/tokens``); a
phone's token gets 403. A manager reaches the facilities of their districts, an admin
every district's, nobody a workshop's practice facility; anything else is 404. Every
figure has gone through :func:`healthwise.districts.disclosure.disclose`: summaries,
plans and counts that obey the rule of five, never a name or one person's answer.
"""

import dataclasses
from datetime import date, timedelta
from functools import partial

from babel.dates import format_date
from babel.numbers import format_percent
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from healthwise.access import service as access
from healthwise.assessments.envelope import Rejected
from healthwise.assessments.models import Assessment
from healthwise.assessments.schemas import REVIEW_COMMENT_LENGTH
from healthwise.auth.decorators import user_required
from healthwise.checklists.registry import registry
from healthwise.devices.decorators import manager_token_required
from healthwise.districts import charts, overview, report, review, summary
from healthwise.districts import facility as facility_view
from healthwise.districts.disclosure import MIN_GROUP
from healthwise.districts.schemas import (
    DistrictListSchema,
    DistrictOverviewSchema,
    DistrictSummarySchema,
    FacilityRoundsSchema,
    ReviewFormSchema,
    RoundSummarySchema,
    normalised_comment,
)
from healthwise.errors import NotFound
from healthwise.extensions import db
from healthwise.languages.schemas import lang_argument
from healthwise.languages.service import direction, requested_language, select_locale
from healthwise.plans import service as plan_service
from healthwise.plans.download import pdf_response
from healthwise.timeutil import utcnow
from healthwise.web.api import BEARER, Blueprint
from healthwise.web.pages import not_in_your_districts, page_blueprint

api = Blueprint("districts_api", __name__, url_prefix="/api/v1",
                description="The managers' API: read-only summaries, rule of five applied.")
bp = page_blueprint("districts", __name__, "/manage", not_in_your_districts)
MANAGERS_ONLY = "A phone's token (manager_token_required)"
LAST_SEEN_STEP = timedelta(minutes=1)


@api.after_request
def _last_used(response):
    """Note when a token was last used (to the minute), for the tokens page."""
    token = g.get("token")
    if token is not None and response.status_code == 200:
        now = utcnow()
        if token.last_seen_at is None or now - token.last_seen_at > LAST_SEEN_STEP:
            token.last_seen_at = now
            db.session.commit()
    return response


def _not_found(what: str) -> NotFound:
    return NotFound(f"There is no such {what} in your districts.")


def _district(district_id: int):
    found = access.reachable_district(g.token.user, district_id)
    if found is None:
        raise _not_found("district")
    return found


def _facility(facility_id: int):
    found = access.reachable_facility(g.token.user, facility_id)
    if found is None:
        raise _not_found("facility")
    return found


@api.get("/districts")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, DistrictListSchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
def districts():
    """The districts the token reaches, with their facilities.
    """
    user = g.token.user
    facilities = list(db.session.scalars(access.facilities_query(user)))
    found = [{"id": d.id, "name": d.name,
              "facilities": [f for f in facilities if f.district_id == d.id]}
             for d in access.districts_of(user)]
    return {"districts": found}


@api.get("/districts/<int:district_id>/summary")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, DistrictSummarySchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
def district_summary(district_id: int):
    """A district at a glance: per facility, rounds, participants and module shares.
    """
    found = _district(district_id)
    return {"district": found, "min_group": MIN_GROUP,
            "facilities": summary.district_summary(found.id, registry())}


@api.get("/districts/<int:district_id>/overview")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, DistrictOverviewSchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
def district_overview(district_id: int):
    """Which facilities need help and why: the district page's figures, by name.
    """
    found = _district(district_id)
    today = date.today()
    lines = overview.district_overview(found.id, registry(), today)
    return {"district": found, "min_group": MIN_GROUP, "today": today, "facilities": lines,
            "modules": overview.module_figures(lines, registry())}


@api.get("/districts/<int:district_id>/report.pdf")
@manager_token_required
@api.doc(**BEARER)
@lang_argument(api)
@api.response(200, content_type="application/pdf", description="The PDF")
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
@api.alt_response(503, response="SERVICE_UNAVAILABLE",
                 description="Too many PDFs being made at once (Retry-After)")
def district_report_pdf(district_id: int, lang: str):
    """The district report as a PDF: the overview, the charts and a block per facility.
    """
    found = _district(district_id)
    return report.report_response(found, registry(), lang, date.today())


@api.get("/facilities/<int:facility_id>/rounds")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, FacilityRoundsSchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
def facility_rounds(facility_id: int):
    """A facility's rounds, newest first, with how many took part in each.
    """
    facility = _facility(facility_id)
    lines = summary.facility_rounds(facility.id)
    reviews = review.reviews_of([line.id for line in lines])
    return {"facility": facility, "district": facility.district,
            "rounds": [_reviewed(line, reviews) for line in lines]}


def _reviewed(line: summary.RoundLine, reviews: dict) -> dict:
    """Return a round's line with its manager's review (None without one)."""
    return {**dataclasses.asdict(line), "review": reviews.get(line.id)}


@api.get("/facilities/<int:facility_id>/rounds/<uuid:assessment_id>")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, RoundSummarySchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
def round_summary(facility_id: int, assessment_id):
    """A round's plan summary: module shares, ranking, achievements and agreed items.
    """
    facility = _facility(facility_id)
    found = summary.round_summary(facility.id, str(assessment_id), registry())
    if found is None:
        raise _not_found("round")
    before = ({s.module_id: s.share for s in found.previous.modules}
              if found.previous is not None else {})
    return {
        "round": _reviewed(found.round, review.reviews_of([found.round.id])),
        "min_group": MIN_GROUP,
        "modules": [{**_share(s), "previous_share": before.get(s.module_id)}
                    for s in found.figures.modules],
        "sensitive": found.figures.sensitive, "suggested": found.figures.suggested,
        "achievements": found.figures.achievements, "items": found.items}


@api.get("/facilities/<int:facility_id>/rounds/<uuid:assessment_id>/plan.pdf")
@manager_token_required
@api.doc(**BEARER)
@lang_argument(api)
@api.response(200, content_type="application/pdf", description="The PDF")
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
@api.alt_response(503, response="SERVICE_UNAVAILABLE",
                 description="Too many PDFs being made at once (Retry-After)")
def round_pdf(facility_id: int, assessment_id, lang: str):
    """A round's action plan as a PDF, without names and with the rule of five applied.
    """
    facility = _facility(facility_id)
    found = _manager_pdf(facility.id, str(assessment_id), lang)
    if found is None:
        raise _not_found("round")
    return found


def _share(share) -> dict:
    return {"module_id": share.module_id, "number": share.number,
            "n_checkpoints": share.n_checkpoints, "n_answered": share.n_answered,
            "n_action": share.n_action, "share": share.share}


# Pages --------------------------------------------------------------------------------------


@bp.get("/")
@user_required()
def home():
    """The districts and facilities the signed-in person looks after (a trainer: none, so
    their workshops)."""
    if g.user.role == access.Role.TRAINER:
        return redirect(url_for("workshops.index"), 303)
    facilities = list(db.session.scalars(access.facilities_query(g.user)))
    districts = [(d, [f for f in facilities if f.district_id == d.id])
                 for d in access.districts_of(g.user)]
    return render_template("districts/home.html", districts=districts)


def _titles(lang: str) -> tuple[dict, dict]:
    """Return module titles and checkpoint actions in the reader's language, by id."""
    titles, texts = {}, {}
    for checklist in registry():
        localised = checklist.localised(lang)
        for module in localised["modules"]:
            titles.setdefault(module["id"], module["title"])
            for checkpoint in module["checkpoints"]:
                texts.setdefault(checkpoint["id"], checkpoint["action"])
    return titles, texts


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    return value if value in allowed else default


@bp.get("/districts/<int:district_id>")
@user_required(*access.MANAGERS)
def district(district_id: int):
    """A district at a glance: which facilities need help and why, sorted and filtered."""
    found = access.reachable_district(g.user, district_id) or abort(404)
    lang = select_locale()
    today = date.today()
    known = overview.facts(found.id)
    every = overview.lines(known, registry(), today)
    sort = _choice("sort", overview.SORTS, "attention")
    show = _choice("show", overview.FILTERS, "all")
    query = request.args.get("q", "")[:100]
    shown = overview.sort_and_filter(every, sort, show, query)
    titles, _texts = _titles(lang)
    modules = overview.module_figures(every, registry())
    quarters = overview.statuses_by_quarter(known, today)
    rtl = direction(lang) == "rtl"
    # Babel's own functions with the request's locale, looked up once: the filters look
    # it up again for each of a district's hundreds of dates and percentages.
    locale = get_locale()
    percent = partial(format_percent, locale=locale)
    day = partial(format_date, format="medium", locale=locale)  # the dateformat filter's
    module_chart = charts.shares(
        [charts.Bar(titles.get(m.module_id, m.module_id), m.mean_share,
                    m.mean_before if m.paired else None) for m in modules],
        _("Checkpoints needing action, by module"),
        _("For each module, the mean share of answered checkpoints needing action across "
          "the district's facilities (dark bar); where facilities have two rounds, the "
          "light bar under it is their share in the round before."),
        percent, _("not answered"), "modules-chart", rtl)
    status_chart = charts.stacked(
        [(_quarter(day, lang), counts) for day, counts in quarters],
        overview.CHART_STATES, _status_names(),
        _("Actions by the quarter they were planned in"),
        _("One bar per quarter: how many of the actions planned then are done, in "
          "progress, planned, overdue or dropped today."), "statuses-chart", rtl)
    return render_template(
        "districts/district.html", district=found, lines=shown, every=every,
        totals=overview.totals(every), sort=sort, show=show, query=query,
        sorts=overview.SORTS, filters=overview.FILTERS, areas=overview.AREAS,
        modules=modules, module_chart=module_chart, quarters=quarters,
        status_chart=status_chart, states=overview.CHART_STATES,
        colours=charts.STATUS_COLOURS, quarter_label=lambda day: _quarter(day, lang),
        day=day, percent=percent,
        titles=titles, min_group=MIN_GROUP, languages=current_app.config["LANGUAGES"])


@bp.get("/districts/<int:district_id>/report.pdf")
@user_required(*access.MANAGERS)
def report_pdf(district_id: int):
    """The district report as a PDF, in the language asked for."""
    found = access.reachable_district(g.user, district_id) or abort(404)
    lang = requested_language()
    return report.report_response(found, registry(), lang, date.today())


def _quarter(day: date, lang: str) -> str:
    """Name a quarter in the reader's language ("Q3 2026", "T3 2026")."""
    return format_date(day, "QQQ y", locale=lang)


def _status_names() -> dict[str, str]:
    return {"planned": _("Planned"), "in_progress": _("In progress"), "done": _("Done"),
            "dropped": _("Dropped"), "overdue": _("Overdue")}


def _facility_or_404(facility_id: int):
    return access.reachable_facility(g.user, facility_id) or abort(404)


@bp.get("/facilities/<int:facility_id>/plans")
@user_required(*access.MANAGERS)
def facility(facility_id: int):
    """A facility's rounds, each with its agreed plan, figures, the PDF and its review."""
    return _facility_page(_facility_or_404(facility_id))


def _facility_page(found, failed: str | None = None, form=None, error: str = "",
                   status: int = 200):
    """Render the facility page; ``failed`` names the round whose review form was refused,
    shown again with what was typed (``form``) and the ``error``."""
    lang = select_locale()
    today = date.today()
    scope = access.Scope(frozenset({found.id}))
    plans = []
    for line in summary.facility_rounds(found.id):
        round_ = plan_service.load_round(line.id, scope)
        checklist = registry().get(round_.assessment["checklist_id"]) if round_ else None
        if round_ is None or checklist is None:
            continue
        plans.append((line, facility_view.round_plan(round_, checklist.data, today)))
    titles, texts = _titles(lang)
    reviews = review.reviews_of([line.id for line, _plan in plans])
    return render_template("districts/facility.html", facility=found, plans=plans,
                           titles=titles, texts=texts, min_group=MIN_GROUP,
                           reviews=reviews, failed=failed, form=form or {}, error=error,
                           comment_length=REVIEW_COMMENT_LENGTH,
                           languages=current_app.config["LANGUAGES"]), status


def _review_error(messages: dict) -> str:
    """Word the first problem of a refused review form for the manager."""
    if "comment" not in messages:
        return _("This form is out of date: reload the page and save again.")
    if len(normalised_comment(request.form.get("comment", ""))) > REVIEW_COMMENT_LENGTH:
        return _("A comment has at most %(limit)s characters.", limit=REVIEW_COMMENT_LENGTH)
    return _("The comment holds characters that cannot be kept (control or text direction "
             "characters), or nothing visible: retype it.")


@bp.post("/facilities/<int:facility_id>/rounds/<uuid:assessment_id>/review")
@user_required(*access.MANAGERS)
def save_review(facility_id: int, assessment_id):
    """Save a manager's review of a round's plan: a comment, and "reviewed" or not."""
    found = _facility_or_404(facility_id)
    round_ = db.session.get(Assessment, str(assessment_id))
    if round_ is None or round_.facility_id != found.id or round_.removed:
        abort(404)
    try:
        data = ReviewFormSchema().load(request.form)
    except ValidationError as exc:
        return _facility_page(found, round_.id, request.form, _review_error(exc.messages), 422)
    try:
        saved = review.save_review(found.id, round_.id, g.user.email, data["comment"],
                                   data["reviewed"], data["base_rev"], date.today())
    except Rejected as exc:
        db.session.rollback()
        return _facility_page(found, round_.id, request.form,
                              _("The review could not be saved: %(reason)s",
                                reason=exc.message), 422)
    db.session.commit()
    flash(_("Review saved.") if saved is not None else _("Nothing to save: the review is "
                                                          "as it was."))
    return redirect(url_for(".facility", facility_id=found.id, _anchor=f"round-{round_.id}"),
                    303)


@bp.get("/facilities/<int:facility_id>/rounds/<uuid:assessment_id>/plan.pdf")
@user_required(*access.MANAGERS)
def plan_pdf(facility_id: int, assessment_id):
    """A round's plan as a PDF, in the language asked for, as a manager may read it."""
    found = _facility_or_404(facility_id)
    lang = requested_language()
    return _manager_pdf(found.id, str(assessment_id), lang) or abort(404)


def _manager_pdf(facility_id: int, assessment_id: str, lang: str):
    """Return the disclosed plan PDF of a facility's round, or None if there is none."""
    round_ = plan_service.load_round(assessment_id, access.Scope(frozenset({facility_id})))
    checklist = registry().get(round_.assessment["checklist_id"]) if round_ else None
    if round_ is None or round_.assessment["removed"] or checklist is None:
        return None
    document = facility_view.disclosed_document(round_, checklist.data,
                                                checklist.localised(lang), lang)
    return pdf_response(round_, document, lang)
