"""The payments package's URLs: invoices, card payments, purchase orders, finance pages and the Stripe webhook.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.payments.cancelled_seat_pages import CancelledSeatsController
from booking.payments.card_payment_pages import CardPaymentsController
from booking.payments.card_receipt_pages import CardReceiptController
from booking.payments.district_pages import DistrictInvoicesController, DistrictPurchaseOrdersController
from booking.payments.finance_invoice_pages import FinanceInvoicesController
from booking.payments.finance_pages import FinanceController
from booking.payments.finance_payment_pages import FinancePaymentsController
from booking.payments.webhook_endpoint import StripeWebhookController

router = Router(
    path="/",
    route_handlers=[
        StripeWebhookController,
        CardPaymentsController,
        FinanceInvoicesController,
        FinanceController,
        CancelledSeatsController,
        FinancePaymentsController,
        CardReceiptController,
        DistrictInvoicesController,
        DistrictPurchaseOrdersController,
    ],
)

PREFIXES = {
    "/finance": "booking.payments.finance_pages",
    "/finance/invoices": "booking.payments.finance_invoice_pages",
    "/finance/charges": "booking.payments.finance_invoice_pages",
    "/finance/credit-notes": "booking.payments.finance_invoice_pages",
    "/finance/payments": "booking.payments.finance_payment_pages",
    "/finance/card-payments": "booking.payments.card_payment_pages",
    "/finance/settings": "booking.payments.card_payment_pages",
    "/finance/cancelled-seats": "booking.payments.cancelled_seat_pages",
    "/district/invoices": "booking.payments.district_pages",
    "/district/purchase-orders": "booking.payments.district_pages",
    "/my/receipts": "booking.payments.card_receipt_pages",
    "/webhooks/stripe": "booking.payments.webhook_endpoint",
}
