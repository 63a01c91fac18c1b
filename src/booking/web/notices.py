"""Short confirmations shown after a redirect (`?notice=code`), so POST-redirect-GET needs no state."""

NOTICES = {
    "waitlist-moved": "The waiting list is reordered; the reason is recorded.",
    "signed-in": "You are signed in.",
    "no-district-sign-in": ("That address's district does not sign in with its own account here: "
                            "sign in with your password or a link by email."),
    "signed-out": "You are signed out.",
    "link-sent": "If an account uses that address, a sign-in link is on its way. It works once, for 20 minutes.",
    "reset-sent": "If an account uses that address, an email with a link to choose a new password is on its way.",
    "password-reset": "Your password is changed. Please sign in with it.",
    "password-changed": ("Your password is changed. Every other browser signed in to your account is signed out, "
                         "and your API tokens are revoked: create a new token for each integration that needs one."),
    "profile-saved": "Your profile is saved.",
    "email-change-sent": ("Your profile is saved. To change your email address, open the link we just sent to the new "
                          "address; until then your account keeps the old one."),
    "email-change-cancelled": "The change of email address is cancelled; the link we sent no longer works.",
    "email-changed": "Your email address is changed and confirmed. We told your old address.",
    "token-revoked": "The token is revoked; it no longer works.",
    "feed-created": "Your calendar address is ready. Subscribe with one of the buttons below.",
    "feed-regenerated": "The calendar has a new address; the old one no longer works. Subscribe again with the new one.",
    "invites-on": "Confirmation emails will carry calendar invites.",
    "invites-off": "New confirmation emails will not carry calendar invites. Workshops already in your calendar still get their updates.",
    "feed-revoked": "The calendar address is turned off; subscribed calendars stop updating.",
    "user-saved": "The person's account is saved.",
    "user-created": "The account is created.",
    # Staff: after the workshop (roster, attendance, PD hours)
    "attendance-saved": "Attendance is saved.",
    "sheet-imported": "The sign-in sheet is imported: everyone on it is marked.",
    "offering-completed": "The workshop is completed. PD hours and certificates went to everyone who met the attendance rule.",
    # Attendees and coordinators: registrations
    "registration-cancelled": "Your registration is cancelled and your seat is released. A confirmation email is on its way.",
    "left-waiting-list": "You left the waiting list.",
    "payment-unavailable": "The card payment service did not answer. Your seat is held: try Pay by card again in a minute.",
    "registration-approved": "Approved: the person is registered and emailed.",
    "registration-declined": "Declined: the person is emailed and the seat is released.",
    # Staff: the catalog
    "offering-created": "The workshop is created. Add its sessions, then publish it.",
    "offering-saved": "The workshop is saved.",
    "offering-saved-promoted": "The workshop is saved. People from the waiting list have been given the new seats.",
    "capacity-changed": "The capacity is changed.",
    "capacity-promoted": "The capacity is changed. People from the waiting list have been given the new seats.",
    "offering-published": "The workshop is published: people can find it and register.",
    "offering-unpublished": "The workshop is back to draft: only staff can see it.",
    "offering-copied": "This is the copy, saved as a draft. Check its dates, then publish it.",
    "offering-cancelled": "The workshop is cancelled. Anyone registered or waiting has been emailed.",
    "session-added": "The session is added.",
    "session-rescheduled": "The session is changed. Anyone registered or waiting has been emailed.",
    "session-unchanged": "Nothing changed, so nobody was emailed.",
    "session-cancelled": "The session is cancelled. Anyone registered or waiting has been emailed.",
    "venue-created": "The venue is created. Add its rooms.",
    "venue-saved": "The venue is saved.",
    "room-added": "The room is added.",
    "room-saved": "The room is saved.",
    # Staff: cohort programs
    "cohort-created": "The cohort is created as a draft. Add its sessions for the year below, then publish it so people can apply.",
    "cohort-settings-saved": "The hours and payment options are saved.",
    "question-added": "The question is added: applicants are asked it from now on.",
    "question-retired": "The question is retired: applicants are no longer asked it. Answers already given stay on their applications.",
    "application-accepted": "Accepted: the applicant has a place in every session of the cohort, and is emailed.",
    "application-waitlisted": "Waitlisted: the applicant is on the cohort's waiting list, and is emailed.",
    "application-declined": "Declined: the applicant is emailed.",
    "application-review-started": "The application is under review: colleagues can see that someone has it.",
    # Applicants: cohort applications
    "application-saved": "Your draft is saved. Come back to it any time before applications close; nothing is sent until you submit.",
    "application-submitted": "Your application is submitted. A confirmation email is on its way, and we have asked your supervisor to confirm their support.",
    "document-added": "The document is added to your application.",
    "document-removed": "The document is removed from your application.",
    "supervisor-link-sent": "A new link is on its way to your supervisor. The earlier link no longer works.",
    "application-withdrawn": "Your application is withdrawn. A confirmation email is on its way.",
    # Staff: a cohort's year (progress, make-up work, completion)
    "makeup-assigned": "The make-up work is assigned. The participant sees it with their progress.",
    "makeup-done": "The make-up work is marked done; its hours now count.",
    "makeup-removed": "The make-up work is removed.",
    "completion-recorded": "Completion is recorded. The participant can download the completion letter.",
    "fieldwork-recorded": "The fieldwork hours are recorded and count toward the requirement. The participant sees them with their progress.",
    "fieldwork-removed": "The fieldwork entry is removed; its hours no longer count.",
    # Staff: Sly Park seasons
    "slypark-cabins-assigned": "Cabins and hiking groups are assigned: every student entered has both.",
    "slypark-balances-billed": "Balances are billed for every confirmed booking past its freeze date (each once).",
    "slypark-season-created": "The season is created as a draft. Check its weeks and beds, then open requests.",
    "slypark-status-changed": "The season has moved to its next step.",
    "slypark-beds-changed": "The week's beds are changed.",
    "slypark-request-saved": "The request's priority is saved. Run the allocation again to use it.",
    "slypark-offers-published": "The offers are published: each school's coordinator is emailed.",
    # Coordinators: Sly Park weeks and bookings
    "slypark-request-filed": "The request is sent. SCOE allocates the weeks after requests close; you will get an email with the offer.",
    "slypark-request-withdrawn": "The request is withdrawn.",
    "slypark-offer-accepted": "The offer is accepted: the week is booked. The deposit is below.",
    "slypark-offer-declined": "The offer is declined and its beds are released.",
    "slypark-week-booked": "The beds are booked. The deposit is below.",
    "slypark-headcount-changed": "The numbers are changed.",
    "slypark-students-saved": "The students are saved.",
    "slypark-students-imported": "The file is imported: it replaced the list of students.",
}


def notice_text(code: str | None) -> str | None:
    return NOTICES.get(code or "")
