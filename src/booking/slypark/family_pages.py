"""Family health forms: the coordinator's list of links, and the public form families open from their link.

/slypark/bookings/{id}/families                 the students, their links, whether the form is in; reminders
/slypark/bookings/{id}/families/letters.pdf     a printed letter per student (English and Spanish, QR code)
/slypark/bookings/{id}/families/form?student=   every version a family sent (audited, like the student grid)
/families/{token}                               the form itself: no account, in the family's language

Thin handlers: parse, call one use case of family_links / family_forms / family_letters, render.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.clock import LOCAL_TZ, utc_now
from booking.errors import Conflict, InvalidInput, NotFound
from booking.i18n import LANGUAGE_COOKIE, available_languages, language_name, pick_language, translation_context
from booking.pdf import pdf_response
from booking.slypark import family_forms, family_letters, family_links
from booking.slypark.bookings import freeze_date
from booking.slypark.forms import FamilyForm, FamilyLinkForm
from booking.slypark.pages import PRESENTATION, week_label
from booking.slypark.seasons import get_season
from booking.web.forms import decode_form, read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect

NO_STORE = {"Cache-Control": "no-store"}
PUBLIC_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
FORM_BODY_LIMIT = 64 * 1024  # the whole form is well under this; anything bigger is not a family's answers


async def _families_context(actor: Actor, booking_id: int, **extra) -> dict:
    data = await family_links.links_of(actor, booking_id)
    booking = data.booking
    season = await get_season(booking["season"])
    return {
        **PRESENTATION,
        "booking": booking,
        "data": data,
        "language_name": language_name,
        "week_text": week_label(booking["starts_on"], booking["ends_on"]),
        "freeze": freeze_date(season, booking["starts_on"]),
        "open": booking["status"] in family_links.OPEN_STATUSES,
        "form_error": None,
        "errors": {},
        **extra,
    }


class FamilyLinksController(Controller):
    path = "/slypark/bookings"
    guards = [roles("coordinator", "staff")]
    include_in_schema = False

    @get("/{booking_id:int}/families", name="slypark.families")
    async def families(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        return page(request, "slypark/families.html", headers=NO_STORE, **await _families_context(actor, booking_id))

    async def _refused(
        self, request: Request, actor: Actor, booking_id: int, error: InvalidInput | Conflict | NotFound
    ) -> object:
        status = 422 if isinstance(error, InvalidInput) else 409 if isinstance(error, Conflict) else 404
        errors = error.field_errors if isinstance(error, InvalidInput) else {}
        return page(
            request,
            "slypark/families.html",
            status=status,
            headers=NO_STORE,
            **await _families_context(actor, booking_id, form_error=error.message, errors=errors),
        )

    @post("/{booking_id:int}/families", name="slypark.families_issue")
    async def issue(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        try:
            await family_links.issue_links(actor, booking_id)
        except Conflict as error:
            return await self._refused(request, actor, booking_id, error)
        return redirect(request, request.app.route_reverse("slypark.families", booking_id=booking_id))

    @post("/{booking_id:int}/families/reissue", name="slypark.family_link_reissue")
    async def reissue(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        entry = await read_form(request, FamilyLinkForm)
        try:
            await family_links.reissue_link(actor, booking_id, entry.student)
        except (Conflict, NotFound) as error:
            if isinstance(error, NotFound):
                await family_links.links_of(actor, booking_id)  # another district's booking: its 404
            return await self._refused(request, actor, booking_id, error)
        return redirect(request, request.app.route_reverse("slypark.families", booking_id=booking_id))

    @post("/{booking_id:int}/families/remind", name="slypark.family_remind")
    async def remind(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        entry = await read_form(request, FamilyLinkForm)
        try:
            await family_links.send_reminder(actor, booking_id, entry.student, entry.email)
        except (InvalidInput, Conflict, NotFound) as error:
            if isinstance(error, NotFound):
                await family_links.links_of(actor, booking_id)
            return await self._refused(request, actor, booking_id, error)
        return redirect(request, request.app.route_reverse("slypark.families", booking_id=booking_id))

    @get("/{booking_id:int}/families/letters.pdf", name="slypark.family_letters")
    async def letters(self, booking_id: FromPath[int], actor: SignedInActor) -> Response:
        filename, pdf = await family_letters.letters_pdf(actor, booking_id)
        return pdf_response(filename, pdf, disposition="attachment", cache_control="no-store")

    @get("/{booking_id:int}/families/form", name="slypark.family_versions")
    async def versions(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        key = (request.query_params.get("student") or "")[:210]
        booking, versions = await family_forms.view_versions(actor, booking_id, key)
        return page(
            request,
            "slypark/family_versions.html",
            headers=NO_STORE,
            **PRESENTATION,
            booking=booking,
            versions=versions,
            language_name=language_name,
        )


def _language(request: Request, form_value: str = "") -> str:
    return pick_language(
        request.query_params.get("lang"),
        form_value or None,
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
    )


def _family_page(request: Request, template: str, language: str, *, status: int = 200, **context) -> object:
    response = page(
        request, template, status=status, headers=PUBLIC_HEADERS, **translation_context(language), **context
    )
    if request.query_params.get("lang") in available_languages():
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, httponly=True, samesite="lax", path="/families"
        )
    return response


def _link_problem(request: Request, language: str, problem: str, status: int) -> object:
    return _family_page(request, "slypark/family/link_problem.html", language, status=status, problem=problem)


def _form_values(page_data: family_forms.FamilyPage) -> dict:
    latest = page_data.latest
    values = dict.fromkeys(family_forms.FORM_FIELDS, "")
    if latest is None:
        values.update(first_name=page_data.link["first_name"], last_name=page_data.link["last_name"])
        return values
    for name in family_forms.FORM_FIELDS:
        if name in latest and isinstance(latest[name], str):
            values[name] = latest[name]
    values["date_of_birth"] = latest["date_of_birth"].isoformat()
    for name in ("permission_to_treat", "permission_photos"):
        values[name] = "yes" if latest[name] else "no"
    for number, contact in enumerate(latest["contacts"][: family_forms.CONTACTS], start=1):
        values[f"contact_name_{number}"] = contact["name"]
        values[f"contact_relationship_{number}"] = contact["relationship"]
        values[f"contact_phone_{number}"] = contact["phone"]
    return values


def _form_context(token: str, page_data: family_forms.FamilyPage, form: dict, **extra) -> dict:
    return {
        "token": token,
        "booking": page_data.booking,
        "link": page_data.link,
        "latest": page_data.latest,
        "read_only": page_data.read_only,
        "freeze": page_data.freeze,
        "form": form,
        "student_name": f"{page_data.link['first_name']} {page_data.link['last_name']}",
        "limits": family_forms.LIMITS,
        "today": utc_now().astimezone(LOCAL_TZ).date(),
        "form_version": family_forms.FORM_VERSION,
        "switch_url": f"/families/{token}",
        "errors": {},
        "form_error": None,
        "saved": None,
        **extra,
    }


class FamilyFormController(Controller):
    path = "/families"
    include_in_schema = False

    @get("/{token:str}", name="slypark.family_form")
    async def show(self, request: Request, token: FromPath[str]) -> object:
        language = _language(request)
        try:
            data = await family_forms.form_for_token(token)
        except NotFound:
            return _link_problem(request, language, "unknown", 404)
        except family_links.LinkGone as gone:
            return _link_problem(request, language, gone.reason, 410)
        saved = request.query_params.get("saved", "")
        return _family_page(
            request,
            "slypark/family/form.html",
            language,
            **_form_context(
                token,
                data,
                _form_values(data),
                saved=int(saved) if saved.isascii() and saved.isdigit() and len(saved) < 6 else None,
            ),
        )

    @post("/{token:str}", name="slypark.family_form_submit", request_max_body_size=FORM_BODY_LIMIT)
    async def submit(self, request: Request, token: FromPath[str]) -> object:
        # The body as a whole first: a file in any field, named in the form or not, is refused (415, in the page's
        # language) before the form is read.
        form = await request.form()
        if any(isinstance(value, UploadFile) for _, value in form.multi_items()):
            lang = form.get("lang")
            return _link_problem(request, _language(request, lang[:10] if isinstance(lang, str) else ""), "file", 415)
        entry = decode_form(form, FamilyForm)
        language = _language(request, entry.lang)
        values = {name: getattr(entry, name) for name in family_forms.FORM_FIELDS}
        try:
            row = await family_forms.submit_form(token, family_forms.FormInput(**values), language=language)
        except NotFound:
            return _link_problem(request, language, "unknown", 404)
        except family_links.LinkGone as gone:
            return _link_problem(request, language, gone.reason, 410)
        except Conflict:
            return _link_problem(request, language, "frozen", 409)
        except InvalidInput as error:
            data = await family_forms.form_for_token(token)
            return _family_page(
                request,
                "slypark/family/form.html",
                language,
                status=422,
                **_form_context(token, data, values, errors=error.field_errors, form_error=error.message),
            )
        form_url = request.app.route_reverse("slypark.family_form", token=token)
        return redirect(request, f"{form_url}?lang={language}&saved={row['version']}")
