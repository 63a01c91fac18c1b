"""Registering from the workshop page, "My learning", a registration's page, cancelling and leaving a waiting list."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.catalog.pages import PRESENTATION, workshop_context
from booking.errors import Conflict, InvalidInput, NotFound
from booking.payments.card_receipts import receipt_id_for_registration
from booking.payments.checkout import PaymentUnavailable, start_registration_checkout
from booking.scheduling.bulk_registration import InvalidLines, register_many
from booking.scheduling.forms import RegisterOthersForm, RegistrationForm
from booking.scheduling.my_learning import STAFF_CONTACT, my_learning, registration_details
from booking.scheduling.registration import RegistrationRequest
from booking.scheduling.registration_lifecycle import S
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles, signed_in
from booking.web.pages import page, page_or_fragment, redirect, wants_fragment
from booking.workflows.cancel_registration import cancel_registration
from booking.workflows.register_and_checkout import register_then_checkout

PAYER_CHOICES = ("free", "district", "card")


class RegistrationPagesController(Controller):
    """POSTs from /workshops/{id}: the signed-in person registers; coordinators and staff register others."""

    path = "/workshops"
    include_in_schema = False

    @post("/{offering_id:int}/register", guards=[signed_in], name="scheduling.register")
    async def register(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        submitted = {"payer": "", "po_number": ""}
        try:
            entry = await read_form(request, RegistrationForm)
            payer = entry.payer.strip() or None
            submitted = {"payer": payer or "", "po_number": entry.po_number}
            if payer is not None and payer not in PAYER_CHOICES:
                raise InvalidInput({"payer": "Choose who pays from the list."})
            registered = await register_then_checkout(
                actor, offering_id, RegistrationRequest(payer=payer, po_number=entry.po_number)
            )
            outcome = registered.outcome
        except InvalidInput as error:
            return page(
                request,
                "catalog/workshop.html",
                status=422,
                **await workshop_context(request, offering_id, form=submitted, form_errors=error.field_errors),
            )
        except Conflict as error:
            # Already registered, not open yet, closed: the page shows the current state with the reason.
            return page(
                request,
                "catalog/workshop.html",
                status=409,
                **await workshop_context(request, offering_id, form=submitted, form_error=error.message),
            )
        if outcome.registration["status"] == S.PENDING_PAYMENT:
            if registered.checkout_url is None:  # Stripe unreachable: the registration page offers to try again
                return redirect(
                    request,
                    request.app.route_reverse("scheduling.registration", registration_id=outcome.registration["id"]),
                    notice="payment-unavailable",
                )
            return redirect(request, registered.checkout_url)
        return redirect(
            request,
            request.app.route_reverse("scheduling.registration", registration_id=outcome.registration["id"]),
            notice="registration-emailed" if outcome.emailed else None,
        )

    @post(
        "/{offering_id:int}/register-others", guards=[roles("coordinator", "staff")], name="scheduling.register_others"
    )
    async def register_others(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        submitted = {"people": "", "po_number": ""}
        overrides: dict = {"bulk_form": submitted}
        status = 200
        try:
            entry = await read_form(request, RegisterOthersForm)
            submitted = overrides["bulk_form"] = {"people": entry.people, "po_number": entry.po_number}
            overrides["bulk_report"] = await register_many(
                actor, offering_id, submitted["people"], submitted["po_number"]
            )
            overrides["bulk_form"] = {"people": "", "po_number": submitted["po_number"]}
        except InvalidLines as error:
            overrides.update(bulk_errors=error.field_errors, bulk_problems=error.problems)
            status = 422
        except InvalidInput as error:
            overrides["bulk_errors"] = error.field_errors
            status = 422
        context = await workshop_context(request, offering_id, fragment=wants_fragment(request), **overrides)
        return page_or_fragment(
            request, "catalog/workshop.html", "scheduling/_register_others.html", status=status, **context
        )


async def _to_checkout(request: Request, registration_id: int) -> object:
    """Off to Stripe Checkout; if it cannot be reached, the registration page offers to try again."""
    try:
        url = await start_registration_checkout(registration_id)
    except (PaymentUnavailable, Conflict):
        return redirect(
            request,
            request.app.route_reverse("scheduling.registration", registration_id=registration_id),
            notice="payment-unavailable",
        )
    return redirect(request, url)


class MyLearningController(Controller):
    path = "/my/learning"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="scheduling.my_learning")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        return page(
            request,
            "scheduling/my_learning.html",
            learning=await my_learning(actor),
            staff_contact=STAFF_CONTACT,
            **PRESENTATION,
        )

    @get("/{registration_id:int}", name="scheduling.registration")
    async def show(self, request: Request, actor: SignedInActor, registration_id: FromPath[int]) -> object:
        registration = await registration_details(actor, registration_id)
        return page(
            request,
            "scheduling/registration.html",
            r=registration,
            staff_contact=STAFF_CONTACT,
            paid=request.query_params.get("paid") == "1",
            receipt_id=await receipt_id_for_registration(registration_id),
            **PRESENTATION,
        )

    @post("/{registration_id:int}/pay", name="scheduling.registration_pay")
    async def pay(self, request: Request, actor: SignedInActor, registration_id: FromPath[int]) -> object:
        registration = await registration_details(actor, registration_id)  # 404 outside the actor's scope
        if not registration["is_self"]:
            raise NotFound("No such registration.")
        return await _to_checkout(request, registration_id)

    @get("/{registration_id:int}/cancel", name="scheduling.registration_cancel_form")
    async def confirm_cancel(self, request: Request, actor: SignedInActor, registration_id: FromPath[int]) -> object:
        registration = await registration_details(actor, registration_id)
        return page(
            request, "scheduling/cancel.html", r=registration, error=None, staff_contact=STAFF_CONTACT, **PRESENTATION
        )

    @post("/{registration_id:int}/cancel", name="scheduling.registration_cancel")
    async def cancel(self, request: Request, actor: SignedInActor, registration_id: FromPath[int]) -> object:
        before = await registration_details(actor, registration_id)  # 404 outside the actor's scope
        try:
            await cancel_registration(actor, registration_id)
        except Conflict as error:
            current = await registration_details(actor, registration_id)
            return page(
                request,
                "scheduling/cancel.html",
                status=409,
                r=current,
                error=error.message,
                staff_contact=STAFF_CONTACT,
                **PRESENTATION,
            )
        notice = "left-waiting-list" if before["status"] == S.WAITLISTED else "registration-cancelled"
        return redirect(request, request.app.route_reverse("scheduling.my_learning"), notice=notice)
