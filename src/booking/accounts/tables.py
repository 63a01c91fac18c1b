from __future__ import annotations

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ROLES = ("attendee", "coordinator", "staff", "finance", "admin")


class District(Table, tablename="district"):
    """A paying customer: a school district, charter or agency."""

    code = Varchar(length=16, unique=True, required=True)
    name = Varchar(length=200, unique=True, required=True)
    county = Varchar(length=60, default="Sacramento")
    is_member = Boolean(default=True)  # member districts get the member rate
    billing_contact_name = Varchar(length=200, default="")
    billing_contact_email = Varchar(length=254, default="")
    address_line1 = Varchar(length=200, default="")
    address_line2 = Varchar(length=200, default="")
    city = Varchar(length=100, default="")
    postal_code = Varchar(length=10, default="")
    is_active = Boolean(default=True)
    # Paid PD billed to this district waits for a coordinator's approval first.
    requires_supervisor_approval = Boolean(default=False)


class School(Table, tablename="school"):
    district = ForeignKey(references=District, null=False, index=True)
    name = Varchar(length=200, required=True)
    grades = Varchar(length=40, default="")


class User(Table, tablename="app_user"):
    email = Varchar(length=254, unique=True, required=True)  # stored lower-case
    name = Varchar(length=200, required=True)
    job_title = Varchar(length=200, default="")
    role = Varchar(length=20, default="attendee", index=True)
    district = ForeignKey(references=District, null=True, index=True)
    school = ForeignKey(references=School, null=True)
    password_hash = Text(null=True, default=None)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # Invites attached to confirmation emails; people who subscribe to their feed may turn them off.
    calendar_invites = Boolean(default=True)
    # When the person last proved they read this address (a link we sent there, or their district's
    # sign-in vouching for it). Null: typed in by someone, never proven; such an address is never joined
    # to a district account (accounts/district_sign_in.py).
    email_confirmed_at = Timestamptz(null=True, default=None)


class UserSession(Table, tablename="user_session"):
    """A signed-in browser. The cookie carries a random token; we keep only its hash."""

    token_hash = Varchar(length=64, unique=True, required=True)
    user = ForeignKey(references=User, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(required=True)
    last_seen_at = Timestamptz(default=TimestamptzNow())
    user_agent = Varchar(length=300, default="")


class ApiToken(Table, tablename="api_token"):
    user = ForeignKey(references=User, null=False, index=True)
    label = Varchar(length=100, default="")
    token_prefix = Varchar(length=12, required=True)  # shown to the owner to tell tokens apart
    token_hash = Varchar(length=64, unique=True, required=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class OneTimeToken(Table, tablename="one_time_token"):
    """Sign-in links and password resets: single use, expiring, stored hashed."""

    purpose = Varchar(length=20, required=True)  # "sign_in" | "password_reset"
    token_hash = Varchar(length=64, unique=True, required=True)
    user = ForeignKey(references=User, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(required=True)
    used_at = Timestamptz(null=True, default=None)


class AttemptThrottle(Table, tablename="attempt_throttle"):
    """The failures counted against one key (an account, an address, or both) in its current window.

    One row per key, changed only under a row lock (booking.accounts.rate_limit), so concurrent
    attempts on either engine cannot slip past the limit; shared by every app server.
    """

    slot = Varchar(length=400, unique=True, required=True)  # "<rule>:<key>"
    failures = Integer(default=0)
    window_started_at = Timestamptz(default=TimestamptzNow(), index=True)
    next_allowed_at = Timestamptz(null=True, default=None)
    # Attempts under way (their password being checked); forgotten after pending_expires_at if a
    # server died before settling them.
    pending = Integer(default=0)
    pending_expires_at = Timestamptz(null=True, default=None)


class DistrictChange(Table, tablename="district_change"):
    """A person moved from one district to another: who did it, how, and when.

    Kept for the record, and read by billing: a seat confirmed before the change is billed to the district the
    person belonged to then (the change never moves what was already owed)."""

    user = ForeignKey(references=User, null=False, index=True)
    from_district = ForeignKey(references=District, null=True, default=None)
    to_district = ForeignKey(references=District, null=True, default=None)
    via = Varchar(length=20, required=True)  # admin | coordinator | district_sign_in
    changed_by = ForeignKey(references=User, null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow(), index=True)


class DistrictSignInProvider(Table, tablename="district_sign_in_provider"):
    """A district's OpenID Connect provider (Google Workspace, Microsoft Entra ID ...): one per district.

    The client secret is kept encrypted (booking.accounts.sign_in_secrets): a copy of the database
    alone does not let anyone act as us towards the district's provider."""

    district = ForeignKey(references=District, null=False, unique=True)
    issuer = Varchar(length=500, required=True)
    client_id = Varchar(length=300, required=True)
    client_secret_encrypted = Text(required=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    # Off: addresses of the district's domains sign in only through the provider or an emailed link
    # (booking.accounts.sign_in); administrators keep their password, to get in while the provider is down.
    password_sign_in = Boolean(default=True)


class DistrictSignInDomain(Table, tablename="district_sign_in_domain"):
    """An email domain that belongs to one district's provider. Unique: one domain, one district."""

    domain = Varchar(length=253, unique=True, required=True)  # stored lower-case
    district = ForeignKey(references=District, null=False, index=True)


class DistrictSignInAttempt(Table, tablename="district_sign_in_attempt"):
    """One trip to a district's provider, kept server-side: its `state` (hashed), nonce and PKCE verifier.

    Used once (used_at), within minutes (expires_at): a replayed or forged `state` finds nothing to use."""

    state_hash = Varchar(length=64, unique=True, required=True)
    district = ForeignKey(references=District, null=False)
    nonce = Varchar(length=100, required=True)
    code_verifier = Varchar(length=128, required=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(required=True, index=True)
    used_at = Timestamptz(null=True, default=None)


class DistrictSignInIdentity(Table, tablename="district_sign_in_identity"):
    """A person as their district's provider knows them (issuer + subject): how we recognise them next time."""

    issuer = Varchar(length=500, required=True)
    subject = Varchar(length=255, required=True)
    user = ForeignKey(references=User, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class EmailChange(Table, tablename="email_change"):
    """A new address a person asked for: it becomes theirs only when they open the link we sent to it."""

    user = ForeignKey(references=User, null=False, index=True)
    new_email = Varchar(length=254, required=True)  # stored lower-case
    token_hash = Varchar(length=64, unique=True, required=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(required=True)
    used_at = Timestamptz(null=True, default=None)
