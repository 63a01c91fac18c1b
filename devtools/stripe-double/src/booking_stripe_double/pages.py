"""The local Stripe double's hosted checkout page: HTML and card-form checks.

Plain f-strings with html.escape keep the double free of the app's templates, so it
runs the same standalone and mounted. No JavaScript: the form posts back to itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from booking.money import format_cents

CARD_HINT = "4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EXPIRY = re.compile(r"^([0-9]{1,2})\s*/?\s*([0-9]{2}|[0-9]{4})$")


@dataclass(frozen=True)
class CardForm:
    email: str
    number: str  # digits only
    exp_month: int
    exp_year: int  # four digits


def format_money(cents: int, currency: str) -> str:
    amount = format_cents(cents, symbol="")
    return f"${amount}" if currency == "usd" else f"{amount} {currency.upper()}"


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def check_card_number(raw: str) -> tuple[str, str | None]:
    """Digits of the card number and an error message, if any."""
    digits = re.sub(r"[\s-]", "", raw or "")
    if not digits:
        return digits, "Enter your card number."
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return digits, "Enter a card number of 12 to 19 digits."
    if not luhn_ok(digits):
        return digits, "Your card number is incorrect. Check it and try again."
    return digits, None


def validate_payment_form(form: Mapping[str, str], today: dt.date) -> tuple[CardForm | None, dict[str, str]]:
    """Checks the hosted page's fields the way Stripe's page does; errors are keyed by field name."""
    errors: dict[str, str] = {}
    email = (form.get("email") or "").strip()
    if not _EMAIL.match(email):
        errors["email"] = "Enter an email address like name@example.org."
    number, number_error = check_card_number(form.get("card_number") or "")
    if number_error:
        errors["card_number"] = number_error
    month = year = 0
    match = _EXPIRY.match((form.get("expiry") or "").strip())
    if not match:
        errors["expiry"] = "Enter the expiry date as MM / YY."
    else:
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        if not 1 <= month <= 12:
            errors["expiry"] = "The expiry month must be between 01 and 12."
        elif (year, month) < (today.year, today.month):
            errors["expiry"] = "Your card's expiry date is in the past."
    cvc = (form.get("cvc") or "").strip()
    if not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        errors["cvc"] = "Enter the 3 or 4 digit security code (CVC)."
    if errors:
        return None, errors
    return CardForm(email=email, number=number, exp_month=month, exp_year=year), {}


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1a1a1a;line-height:1.5}
main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border:1px solid #c9ced6;border-radius:8px}
.test-banner{background:#fff4ce;color:#3d2e00;border:2px solid #8a6d00;padding:.75rem 1rem;border-radius:6px;font-weight:600}
h1{font-size:1.5rem;margin:1rem 0}
table{width:100%;border-collapse:collapse;margin-bottom:1rem}
th,td{text-align:left;padding:.4rem .25rem;border-bottom:1px solid #c9ced6}
td.num,th.num{text-align:right}
tfoot td{font-weight:700;border-bottom:none}
label{display:block;font-weight:600;margin-top:1rem}
.hint{display:block;color:#4a4f57;font-size:.95rem}
input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:2px solid #5b6270;border-radius:4px;color:#1a1a1a;background:#fff}
input[aria-invalid=true]{border-color:#b00020}
.error{color:#b00020;font-weight:600;display:block}
.errors{border:2px solid #b00020;padding:.5rem 1rem;border-radius:6px;margin-top:1rem}
.row{display:flex;gap:1rem}.row>div{flex:1}
button{font:inherit;font-weight:700;margin-top:1.5rem;width:100%;padding:.75rem;background:#0a2540;color:#fff;border:none;border-radius:6px;cursor:pointer}
a{color:#0b4f9c}
:focus-visible,input:focus,button:focus,a:focus{outline:3px solid #1a73e8;outline-offset:2px}
.actions{margin-top:1rem}
"""

BANNER = "Test payment page (local Stripe double) — no real card is charged"


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><p class="test-banner" role="note">{escape(BANNER)}</p>{body}</main></body></html>'
    )


def notice_page(title: str, message: str, link_url: str | None = None, link_text: str | None = None) -> str:
    link = (
        f'<p class="actions"><a href="{escape(link_url)}">{escape(link_text or link_url)}</a></p>' if link_url else ""
    )
    return _document(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>{link}")


def _field(name: str, label: str, value: str, errors: Mapping[str, str], *, hint: str = "", **attributes: str) -> str:
    described = " ".join(
        part for part, present in ((f"{name}-hint", hint), (f"{name}-error", name in errors)) if present
    )
    extra = "".join(f' {key.replace("_", "-")}="{escape(val)}"' for key, val in attributes.items())
    return (
        f'<div><label for="{name}">{escape(label)}</label>'
        + (f'<span class="hint" id="{name}-hint">{escape(hint)}</span>' if hint else "")
        + (f'<span class="error" id="{name}-error">{escape(errors[name])}</span>' if name in errors else "")
        + f'<input id="{name}" name="{name}" value="{escape(value)}"{extra}'
        + (' aria-invalid="true"' if name in errors else "")
        + (f' aria-describedby="{described}"' if described else "")
        + " required></div>"
    )


def checkout_page(
    session: Mapping,
    line_items: list[Mapping],
    *,
    action_url: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    problem: str | None = None,
) -> str:
    """The payment form for an open session; `problem` is a whole-form message such as a decline."""
    values, errors = values or {}, errors or {}
    currency = session["currency"]
    rows = "".join(
        f'<tr><td>{escape(item["name"])}</td><td class="num">{item["quantity"]}</td>'
        f'<td class="num">{format_money(item["unit_amount"] * item["quantity"], currency)}</td></tr>'
        for item in line_items
    )
    total = format_money(session["amount_total"], currency)
    messages = ([problem] if problem else []) + list(errors.values())
    summary = (
        '<div class="errors" role="alert"><p><strong>Payment not taken.</strong></p><ul>'
        + "".join(f"<li>{escape(message)}</li>" for message in messages)
        + "</ul></div>"
        if messages
        else ""
    )
    cancel = (
        f'<p class="actions"><a href="{escape(session["cancel_url"])}">Cancel and go back</a></p>'
        if session.get("cancel_url")
        else ""
    )
    email = values.get("email", session.get("customer_email") or "")
    form = (
        f'<form method="post" action="{escape(action_url)}" novalidate>'
        + _field("email", "Email", email, errors, type="email", autocomplete="email")
        + _field(
            "card_number",
            "Card number",
            values.get("card_number", ""),
            errors,
            hint=CARD_HINT,
            inputmode="numeric",
            autocomplete="cc-number",
        )
        + '<div class="row">'
        + _field(
            "expiry", "Expiry (MM / YY)", values.get("expiry", ""), errors, autocomplete="cc-exp", placeholder="MM / YY"
        )
        + _field("cvc", "CVC", values.get("cvc", ""), errors, inputmode="numeric", autocomplete="cc-csc")
        + "</div>"
        + f'<button type="submit">Pay {escape(total)}</button></form>'
    )
    body = (
        f"<h1>Pay {escape(total)}</h1>{summary}"
        '<table><caption class="hint">What you are paying for</caption>'
        '<thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th>'
        '<th scope="col" class="num">Amount</th></tr></thead>'
        f'<tbody>{rows}</tbody><tfoot><tr><td colspan="2">Total</td><td class="num">{escape(total)}</td></tr></tfoot></table>'
        f"{form}{cancel}"
    )
    return _document(f"Pay {total} — test checkout", body)
