"""GET /my/receipts/{id}: a card payment's receipt, for the payer (and finance)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath

from booking.payments.card_receipts import receipt_for
from booking.web.guards import SignedInActor, signed_in
from booking.web.pages import page

# The receipt's link back to "My learning" (scheduling's page). Passed in rather than written in the template, which
# builds only payments' own URLs with url_for; becomes url_for('scheduling....') once scheduling names its handlers.


class CardReceiptController(Controller):
    path = "/my/receipts"
    guards = [signed_in]
    include_in_schema = False

    @get("/{card_payment_id:int}", name="payments.receipt")
    async def show(self, request: Request, actor: SignedInActor, card_payment_id: FromPath[int]) -> object:
        return page(request, "payments/card_receipt.html", receipt=await receipt_for(actor, card_payment_id))
