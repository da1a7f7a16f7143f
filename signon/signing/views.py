"""Routes of the signing area: sign, confirm, withdraw."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..database import checkpoint_after_erasure, write_transaction
from ..extensions import csrf
from ..models import OrganisationType, SignatoryKind, SignatureState
from ..ratelimits import contact_email_key, limiter, sent_on, setting
from ..services import reconfirmation, signing, statements, tokens
from ..services.languages import current_language
from ..services.statements import StatementView
from ..web.pages import get_statement, render_statement
from ..web.sign_form import SignForm, sign_form
from . import bp

# Every route here is public and cookieless; the token in a confirm or
# withdraw URL is the authority, and the sign-on form is explained in
# web/sign_form.py.
csrf.exempt(bp)

CROSS_SITE = _l("This form can only be sent from this site's own pages.")


@bp.before_request
def check_same_origin() -> None:
    """Refuse a POST that a browser sent from another site.

    Browsers send Origin with every cross-origin POST (and Referer unless told
    not to). A request with neither comes from a script, which could forge
    them anyway; it is let through to the other defences. The one origin
    allowed is BASE_URL's, never the request's Host header, which whoever
    sends the request chooses; development also accepts the address it is
    actually served on (127.0.0.1 or localhost).
    """
    if request.method != "POST":
        return
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source is None:
        return
    try:
        parts = urlsplit(source)
    except ValueError:  # e.g. "http://[evil": not an origin of ours either
        abort(403, str(CROSS_SITE))
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    base = urlsplit(current_app.config["BASE_URL"])
    allowed = {f"{base.scheme}://{base.netloc}".lower()}
    if current_app.config["ENV"] == "development":
        allowed.add(request.host_url.rstrip("/").lower())
    if origin not in allowed:
        abort(403, str(CROSS_SITE))


@bp.post("/s/<slug:slug>/sign")
@limiter.limit(setting("RATELIMIT_SIGN"))
@limiter.limit(
    setting("RATELIMIT_SIGN_PER_ADDRESS"), key_func=contact_email_key, deduct_when=sent_on
)
def sign(slug: str) -> Response | tuple[str, int]:
    """Take a signature; every outcome ends on the same "check your email" page."""
    return _take_signature(get_statement(slug), url_for(".signed", slug=slug))


def _take_signature(statement: StatementView, signed_url: str) -> Response | tuple[str, int]:
    if not statement.is_open:
        abort(409, _("This statement is not taking signatures."))
    form = sign_form(statement)
    if not form.validate():
        return render_statement(statement, form), 422
    if not form.is_bot:
        prepared = signing.prepare(statement, _signature_data(form))
        with write_transaction():  # after prepare(): see PreparedSubmission
            signing.submit(prepared, ip=request.remote_addr)
    return redirect(signed_url, code=303)


def _signature_data(form: SignForm) -> signing.SignatureData:
    """What a valid form says, in the shape its signatory chose."""
    common = {
        "country": form.country.data,
        "city": form.city.data or "",
        "contact_email": form.contact_email.data,
        "comment": form.comment.data or "",
        "show_name": form.show_name,
        "language": current_language(),
        "read_version": request.form.get("version", type=int),
        "answers": form.answers(),
    }
    if form.chosen_kind is SignatoryKind.person:
        return signing.SignatureData(
            kind=SignatoryKind.person,
            org_name=form.person_name.data,
            org_type=None,
            contact_name=form.person_name.data,
            affiliation=form.affiliation.data or "",
            **common,
        )
    return signing.SignatureData(
        org_name=form.org_name.data,
        org_type=OrganisationType(form.org_type.data),
        website=form.website.data or "",
        contact_name=form.contact_name.data,
        contact_role=form.contact_role.data or "",
        **common,
    )


@bp.get("/s/<slug:slug>/signed")
def signed(slug: str) -> str:
    """The page after signing, identical for a new, repeated or ignored signature."""
    return render_template("signing/signed.html", statement=get_statement(slug))


# Before launch: the private link. Its pages are never cached (no public
# Cache-Control is set, so the default no-store holds), never indexed, and
# send no Referer to other sites, so the token does not travel to the sites
# the text links to. "same-origin", not "no-referrer": under no-referrer a
# browser sends "Origin: null" with the form's own POST, which the
# same-origin check rightly refuses.
def _embargoed_or_404(token: str) -> StatementView:
    found = statements.embargoed_view(token) if len(token) <= 64 else None
    if found is None:
        launched = statements.launched_slug(token) if len(token) <= 64 else None
        if launched is not None:
            # Launched since: the link in a founder's email leads to the public page.
            abort(redirect(url_for("public.statement", slug=launched), code=303))
        abort(
            404,
            _(
                "This private link does not work: it was revoked, or the statement has"
                " been published. Its publisher can give you its address."
            ),
        )
    return found.in_language(current_language())


def _private(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get("/e/<token>")
def embargoed(token: str) -> Response:
    """A statement before its launch, with its sign-on form, for its founding signatories."""
    statement = _embargoed_or_404(token)
    html = render_statement(
        statement, sign_form(statement, formdata=None) if statement.is_open else None
    )
    return _private(make_response(html))


@bp.post("/e/<token>/sign")
@limiter.limit(setting("RATELIMIT_SIGN"))
@limiter.limit(
    setting("RATELIMIT_SIGN_PER_ADDRESS"), key_func=contact_email_key, deduct_when=sent_on
)
def sign_embargoed(token: str) -> Response:
    """Take a founding signature, as ``sign`` takes any other."""
    statement = _embargoed_or_404(token)
    answer = _take_signature(statement, url_for(".signed_embargoed", token=token))
    if isinstance(answer, tuple):
        return _private(make_response(*answer))
    return _private(answer)


@bp.get("/e/<token>/signed")
def signed_embargoed(token: str) -> Response:
    """The "check your email" page of a founding signature."""
    statement = _embargoed_or_404(token)
    return _private(make_response(render_template("signing/signed.html", statement=statement)))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_CONFIRM"), methods=["POST"])
def confirm(token: str) -> Response | str | tuple[str, int]:
    """GET shows the button; POST confirms. Mail scanners only ever GET."""
    try:
        if request.method == "POST":
            with write_transaction():
                signing.confirm(token)
            return redirect(url_for(".confirm", token=token), code=303)
        signature = signing.signature_for_token(token, tokens.CONFIRM)
    except tokens.TokenError as exc:
        return _bad_link(exc, "confirm")
    except signing.StatementClosed:
        abort(409, _("This statement stopped taking signatures before yours was confirmed."))
    return render_template(
        "signing/confirm.html",
        signature=signature,
        statement=signature.statement,
        withdraw_url=url_for(".withdraw", token=tokens.make_token(signature, tokens.WITHDRAW)),
    )


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_CONFIRM"), methods=["POST"])
def withdraw(token: str) -> Response | str | tuple[str, int]:
    """GET shows what will be withdrawn and the button; POST erases."""
    try:
        if request.method == "POST":
            with write_transaction():
                signature = signing.signature_for_token(token, tokens.WITHDRAW, lock=True)
                slug = signature.statement.slug
                signing.withdraw(signature)
            checkpoint_after_erasure()
            return redirect(url_for(".withdrawn", slug=slug), code=303)
        signature = signing.signature_for_token(token, tokens.WITHDRAW)
    except tokens.TokenError as exc:
        return _bad_link(exc, "withdraw")
    return render_template(
        "signing/withdraw.html", signature=signature, statement=signature.statement
    )


@bp.route("/reconfirm/<token>", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_CONFIRM"), methods=["POST"])
def reconfirm(token: str) -> Response | str | tuple[str, int]:
    """GET shows what changed and the button; POST signs the statement's new version."""
    try:
        if request.method == "POST":
            with write_transaction():
                reconfirmation.reconfirm(token, request.form.get("version", type=int))
            return redirect(url_for(".reconfirm", token=token), code=303)
        signature = signing.signature_for_token(token, tokens.RECONFIRM)
    except tokens.TokenError as exc:
        return _bad_link(exc, "reconfirm")
    return render_template(
        "signing/reconfirm.html",
        signature=signature,
        statement=signature.statement,
        live=signature.state in (SignatureState.confirmed, SignatureState.verified),
        withdraw_url=url_for(".withdraw", token=tokens.make_token(signature, tokens.WITHDRAW)),
    )


@bp.get("/s/<slug:slug>/withdrawn")
def withdrawn(slug: str) -> str:
    """Confirmation that a signature and its personal data are gone.

    Shown whatever became of the statement: someone who just erased their
    name must not be met by a "not found" that looks like a failure.
    """
    return render_template(
        "signing/withdrawn.html", statement=statements.published_statement(slug)
    )


def _bad_link(exc: tokens.TokenError, purpose: str) -> tuple[str, int]:
    statement = None
    if isinstance(exc, tokens.TokenExpired):
        signature = signing.signature_by_ref(exc.ref)
        if signature is not None:
            statement = statements.published_statement(signature.statement.slug)
    return (
        render_template(
            "signing/bad_link.html",
            expired=isinstance(exc, tokens.TokenExpired),
            purpose=purpose,
            statement=statement,
        ),
        400,
    )
