"""Demo data for `make run`: neighbouring districts, schools and one person per role.

Idempotent: every item is keyed by a natural key (code, name, email) and added only if absent.
"""

from __future__ import annotations

from booking.accounts.reference_data import ensure_reference_districts
from booking.accounts.tables import District, School, User
from booking.accounts.users import create_user
from booking.db import write_transaction

DEMO_PASSWORD = "demo-pass-2026"

NEIGHBOURING_DISTRICTS = [
    # (code, name, county, is_member, city)
    ("EDUHSD", "El Dorado Union High", "El Dorado", False, "Placerville"),
    ("ACUSD", "Amador County Unified", "Amador", False, "Jackson"),
    ("DJUSD", "Davis Joint Unified", "Yolo", False, "Davis"),
    ("RJUHSD", "Roseville Joint Union High", "Placer", False, "Roseville"),
    ("SVCS", "Sacramento Valley Charter School (demo)", "Sacramento", True, "Sacramento"),
]

BILLING_CONTACTS = {
    "EGUSD": ("Accounts Payable", "ap@egusd.example", "9510 Elk Grove Florin Road", "Elk Grove", "95624"),
    "SJUSD": ("Accounts Payable", "ap@sanjuan.example", "3738 Walnut Avenue", "Carmichael", "95608"),
    "EDUHSD": ("Business Services", "business@eduhsd.example", "4675 Missouri Flat Road", "Placerville", "95667"),
}

SCHOOLS = {
    "EGUSD": [("Florin Elementary", "K-6"), ("Elk Grove Elementary", "K-6"), ("Pleasant Grove Elementary", "K-6")],
    "SJUSD": [("Carmichael Elementary", "K-5"), ("Del Paso Manor Elementary", "K-8"), ("Arden Middle", "6-8")],
    "SCUSD": [("Bret Harte Elementary", "K-6")],
    "EDUHSD": [("Ponderosa High", "9-12")],
}

DEMO_PEOPLE = [
    # (email, name, role, district code, job title)
    ("admin@scoe.example", "Alex Admin", "admin", None, "Platform administrator"),
    ("staff@scoe.example", "Sam Program-Staff", "staff", None, "Program coordinator, Professional Learning"),
    ("finance@scoe.example", "Fran Finance", "finance", None, "Accounts receivable"),
    ("coordinator@egusd.example", "Casey Coordinator", "coordinator", "EGUSD", "District PD coordinator"),
    ("coordinator@sanjuan.example", "Jordan Coordinator", "coordinator", "SJUSD", "Outdoor education coordinator"),
    ("teacher@egusd.example", "Taylor Teacher", "attendee", "EGUSD", "5th grade teacher"),
    ("para@sanjuan.example", "Pat Para-Educator", "attendee", "SJUSD", "Para-educator"),
    ("newteacher@sanjuan.example", "Riley New-Teacher", "attendee", "SJUSD", "2nd grade teacher, in Teacher Induction"),
]


async def load_demo_data() -> list[tuple[str, str]]:
    """Returns the demo sign-ins as (role, email)."""
    await ensure_reference_districts()
    async with write_transaction():
        existing = {row["code"] for row in await District.select(District.code)}
        for code, name, county, is_member, city in NEIGHBOURING_DISTRICTS:
            if code not in existing:
                await District.insert(District(code=code, name=name, county=county, is_member=is_member, city=city))
        for code, (contact, email, street, city, postal) in BILLING_CONTACTS.items():
            await District.update(
                {
                    District.billing_contact_name: contact,
                    District.billing_contact_email: email,
                    District.address_line1: street,
                    District.city: city,
                    District.postal_code: postal,
                }
            ).where((District.code == code) & (District.billing_contact_email == ""))
        ids = {row["code"]: row["id"] for row in await District.select(District.id, District.code)}
        for code, schools in SCHOOLS.items():
            for name, grades in schools:
                if not await School.exists().where((School.district == ids[code]) & (School.name == name)):
                    await School.insert(School(district=ids[code], name=name, grades=grades))
    for email, name, role, code, title in DEMO_PEOPLE:
        if not await User.exists().where(User.email == email):
            district_id = ids[code] if code else None
            school = None
            if role == "attendee" and code:
                school = (
                    await School.select(School.id).where(School.district == district_id).order_by(School.id).first()
                )
            await create_user(
                email=email,
                name=name,
                role=role,
                district_id=district_id,
                job_title=title,
                school_id=school["id"] if school else None,
                password=DEMO_PASSWORD,
            )
    from booking.demo_workshops import load_demo_workshops

    await load_demo_workshops()
    from booking.demo_cohorts import load_demo_cohorts

    await load_demo_cohorts()
    from booking.demo_slypark import load_demo_slypark

    await load_demo_slypark()
    from booking.demo_payments import load_demo_payments

    await load_demo_payments()
    return [(role, email) for email, _, role, _, _ in DEMO_PEOPLE]
