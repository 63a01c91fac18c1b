"""GET /my/receipts/{id}: a card payment's receipt, for the payer (and finance)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath

from booking.payments.card_receipts import receipt_for
from booking.web.guards import signed_in
from booking.web.pages import page


class CardReceiptController(Controller):
    path = "/my/receipts"
    guards = [signed_in]
    include_in_schema = False

    @get("/{card_payment_id:int}")
    async def show(self, request: Request, card_payment_id: FromPath[int]) -> object:
        return page(request, "payments/card_receipt.html", receipt=await receipt_for(request.scope["user"], card_payment_id))
