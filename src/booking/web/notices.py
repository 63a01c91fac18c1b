"""Short confirmations shown after a redirect (`?notice=code`), so POST-redirect-GET needs no state."""

NOTICES = {
    "signed-in": "You are signed in.",
    "signed-out": "You are signed out.",
    "link-sent": "If an account uses that address, a sign-in link is on its way. It works once, for 20 minutes.",
    "reset-sent": "If an account uses that address, an email with a link to choose a new password is on its way.",
    "password-reset": "Your password is changed. Please sign in with it.",
    "password-changed": "Your password is changed.",
    "profile-saved": "Your profile is saved.",
    "token-revoked": "The token is revoked; it no longer works.",
    "user-saved": "The person's account is saved.",
    "user-created": "The account is created.",
}


def notice_text(code: str | None) -> str | None:
    return NOTICES.get(code or "")
