"""Sign-in and sign-out pages, one's own password, the admins' list of people; the
signed-in person on every page.

Every form carries a CSRF token (Flask-WTF checks every non-API POST).
"""

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from marshmallow import ValidationError

from healthwise.access.service import Role
from healthwise.auth import service
from healthwise.auth.decorators import SESSION_KEY, current_user, user_required
from healthwise.auth.schemas import PasswordSchema, ResetSchema, SignInSchema
from healthwise.extensions import db, limiter
from healthwise.web.pages import not_in_your_districts, page_blueprint

bp = page_blueprint("auth", __name__, "/manage", not_in_your_districts)


@bp.app_context_processor
def _signed_in() -> dict:
    """Give every template the signed-in person (or None) and the roles."""
    return {"user": current_user(), "Role": Role}


def _account_key() -> str:
    return "account:" + service.normalise_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    # Only failed sign-ins count against an account, so its owner is not locked out by
    # their own successful sign-ins.
    return response.status_code != 303


def _safe_next(target: str | None) -> str | None:
    """Return a local page to go back to after sign-in, or None (no open redirect)."""
    if not target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None  # CR/LF would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/manage/") \
            or "\\" in target:
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNIN_ADDRESS"], methods=["POST"],
               key_func=get_remote_address)
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNIN_ACCOUNT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed)
def sign_in():
    """Sign in with an email address and a password."""
    error, email, target = None, "", _safe_next(request.args.get("next"))
    if request.method == "POST":
        try:
            form = SignInSchema().load(request.form)
        except ValidationError:
            error = _("Enter your email address and your password.")
        else:
            email, target = form["email"], _safe_next(form["next"])
            user = service.authenticate(form["email"], form["password"])
            if user is None:
                error = _("Wrong email address or password.")
            else:
                if current_user() is not None:
                    service.end_session(g.user_session)
                _row, raw = service.start_session(user)
                db.session.commit()
                # A new session (and CSRF secret) at each sign-in: no session fixation.
                session.clear()
                session[SESSION_KEY] = raw
                return redirect(target or _landing(user), 303)
    return render_template("auth/sign_in.html", error=error, email=email, target=target)


def _landing(user) -> str:
    """Return where a person lands after sign-in: a trainer on their workshops."""
    if user.role == Role.TRAINER:
        return url_for("workshops.index")
    return url_for("districts.home")


@bp.post("/sign-out")
def sign_out():
    """Sign out: the session ends on the server, so the old cookie is worthless."""
    if current_user() is not None:
        service.end_session(g.user_session)
        db.session.commit()
    session.clear()
    return redirect(url_for(".sign_in"), 303)




def _person_key() -> str:
    user = current_user()
    return f"password:{user.id}" if user is not None else get_remote_address()


def _length_message(exc: service.PasswordLengthError) -> str:
    if exc.too_short:
        return _("The new password needs at least %(num)d characters.",
                 num=service.MIN_PASSWORD_LENGTH)
    return _("The new password may have at most %(num)d characters.",
             num=service.MAX_PASSWORD_LENGTH)


def _password_page(error: str | None) -> str:
    return render_template("auth/password.html", error=error,
                           min_length=service.MIN_PASSWORD_LENGTH)


@bp.route("/password", methods=["GET", "POST"])
@user_required()
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNIN_ACCOUNT"], methods=["POST"],
               key_func=_person_key, deduct_when=_failed)
def password():
    """Change one's own password; every other session of the person ends."""
    if request.method == "GET":
        return _password_page(None)
    try:
        form = PasswordSchema().load(request.form)
    except ValidationError:
        error = _("Enter your current password, then the new one twice.")
    else:
        if form["new"] != form["confirm"]:
            error = _("The two new passwords are not the same.")
        else:
            try:
                service.change_password(g.user, form["current"], form["new"], g.user_session)
            except service.WrongPasswordError:
                error = _("The current password is wrong.")
            except service.PasswordLengthError as exc:
                error = _length_message(exc)
            else:
                db.session.commit()
                flash(_("Your password has been changed. You are signed out everywhere else."))
                return redirect(url_for(".password"), 303)
    return _password_page(error), 422


@bp.get("/users")
@user_required(Role.ADMIN)
def users():
    """List the people who sign in, each with a button to reset their password (admins)."""
    return render_template("auth/users.html", people=service.all_users(), reset=None,
                           error=None)


@bp.post("/users/reset-password")
@user_required(Role.ADMIN)
def reset_password():
    """Give a person a new random password, shown once here; their sessions end."""
    try:
        person = service.get_user(ResetSchema().load(request.form)["user_id"])
    except ValidationError:
        person = None
    if person is None:
        return render_template("auth/users.html", people=service.all_users(), reset=None,
                               error=_("There is no such person.")), 422
    # An admin resetting their own password stays signed in here.
    keep = g.user_session if person.id == g.user.id else None
    new_password = service.reset_password(person, keep)
    db.session.commit()
    return render_template("auth/users.html", people=service.all_users(),
                           reset=(person, new_password), error=None)
