"""What the accounts pages' forms send: one Struct per form, read with `booking.web.forms.read_form`.

The Structs check the shape (text and its length, ids picked from a list, ticked boxes); what the values
mean (an email address, a password's strength, a role) stays with the use cases and their messages.
"""

from __future__ import annotations

from booking.web.forms import Form, OptionalId, text_field

Short = text_field(300)
Text40 = text_field(40)
Text200 = text_field(200)
Text500 = text_field(500)
Text1000 = text_field(1000)
Text2000 = text_field(2000)


class SignInForm(Form):
    """/sign-in: the address and password; `next` is where to go once signed in."""

    email: Short = ""
    password: Short = ""
    next: Text500 = ""


class SignInLinkForm(Form):
    """/sign-in/link: a link that signs in once, to this address."""

    email: Short = ""


class DistrictSignInForm(Form):
    """/sign-in/sso (POST): email first, to the district's own sign-in when it has one."""

    email: Short = ""
    next: Text500 = ""


class PasswordForgotForm(Form):
    email: Short = ""


class PasswordResetForm(Form):
    password: Short = ""
    confirmation: Short = ""


class ProfileForm(Form):
    """/account: the person's own profile. The district is read-only there: a form that still sends one
    has it checked (and refused if it differs), so `district` tells "sent, empty" ([""]) from "not sent" ([])."""

    name: Short = ""
    email: Short = ""
    job_title: Short = ""
    school: OptionalId = None
    district: list[str] = []


class PasswordChangeForm(Form):
    current_password: Short = ""
    new_password: Short = ""
    confirmation: Short = ""


class ApiTokenForm(Form):
    label: Short = ""


class NewPersonForm(Form):
    """/admin/users/new."""

    email: Short = ""
    name: Short = ""
    role: Short = ""
    job_title: Short = ""
    district: OptionalId = None
    school: OptionalId = None


class PersonAccessForm(Form):
    """/admin/users/{user_id}: an administrator changes a person's role, district, school and access."""

    role: Text40 = ""
    district: OptionalId = None
    school: OptionalId = None
    is_active: bool = False


class DistrictPersonForm(Form):
    """/district/people/add: a person with an account, by address, brought into the coordinator's district."""

    email: Short = ""


class CoordinatorDistrictSettingsForm(Form):
    """/district/settings: what a coordinator may change (district_settings.COORDINATOR_FIELDS); the yes/no
    questions come as "yes"/"no" (a radio group), so a missing answer is seen."""

    requires_supervisor_approval: Short = ""
    billing_contact_name: Short = ""
    billing_contact_email: Short = ""


class AdminDistrictSettingsForm(CoordinatorDistrictSettingsForm):
    """/admin/districts/{district_id}: an administrator changes these too (district_settings.ADMIN_FIELDS)."""

    is_member: Short = ""
    address_line1: Short = ""
    address_line2: Short = ""
    city: Short = ""
    postal_code: Short = ""


class SignInProviderForm(Form):
    """/admin/sign-in/connect: a district's OpenID Connect provider. The secret is never shown back; an empty
    one keeps the stored secret."""

    district: Text200 = ""
    issuer: Text500 = ""
    client_id: Short = ""
    domains: Text2000 = ""
    client_secret: Text1000 = ""


class PasswordSignInForm(Form):
    """/admin/sign-in/{code}/password-sign-in: "on" or "off" (checked by the handler, as before)."""

    password_sign_in: Short = ""
