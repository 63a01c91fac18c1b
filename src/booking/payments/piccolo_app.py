import os

from piccolo.conf.apps import AppConfig

from booking.payments.tables import (
    Allocation,
    CardPayment,
    ChargeLine,
    CreditNote,
    CreditNoteLine,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    PaymentReceived,
    PaymentSetting,
    PurchaseOrder,
    Refund,
    StripeEvent,
)

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        PurchaseOrder,
        Invoice,
        ChargeLine,
        InvoiceLine,
        CreditNote,
        CreditNoteLine,
        DocumentCounter,
        CardPayment,
        PaymentReceived,
        Allocation,
        Refund,
        StripeEvent,
        PaymentSetting,
    ],
    migration_dependencies=[
        "booking.accounts.piccolo_app",
        "booking.scheduling.piccolo_app",
        "booking.cohorts.piccolo_app",
        "booking.slypark.piccolo_app",
    ],
    commands=[],
)
