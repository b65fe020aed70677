"""Use cases of the family side: invitations, today's steps, ticks, diary, calendar feed, reminders.

Who may do what (the security model, ``docs/family.md``):

* A **clinician of the child's site** invites a family member by email. The invitation is a
  random token (``secrets.token_urlsafe(32)``) sent in a link; the database keeps only its
  SHA-256, an expiry (7 days) and whether it was used. Accepting it once creates (or links) a
  user with role ``family`` and an argon2 password, and links that user to the child; a second
  use, an expired or an unknown token is refused.
* A **family member** reads and changes only the children they are linked to
  (``family_links``). Anyone else who asks — another family, staff of another site — is
  refused with an ``access.denied`` audit row. Staff of the child's site read the diary and
  its photos (they see the alerts).
* Every read and change writes an audit row (ids only), as on the clinician side.

The care plan a family sees and ticks is the one the care team started
(:func:`hipcare.services.operations.start_pathway`): a family tick writes the same stored
care-plan item state a clinician's tick does, so the clinician's view shows it.

One module per job: ``invitations``, ``care_plan``, ``calendar_feed``, ``diary``, ``reminders``
(with ``hipcare send-reminders``) and ``today``; under them ``access`` (who may read a child's
family pages) and ``ports`` (the stored values and the repository protocols). The public names
are re-exported here.
"""

from __future__ import annotations

from hipcare.services.family.access import child_for_family, family_children
from hipcare.services.family.calendar_feed import (
    FeedPlan,
    calendar_feed_child,
    calendar_link,
    feed_plan,
    has_calendar_link,
    regenerate_calendar_link,
    revoke_calendar_link,
)
from hipcare.services.family.care_plan import (
    audit_family_read,
    child_care_plan,
    day_of_surgery_of,
    family_plan,
    started_care_plan,
    tick_family_item,
)
from hipcare.services.family.carers import carer_language, child_carers, choose_carer_language
from hipcare.services.family.diary import (
    PHOTO_MAX_BYTES,
    PHOTO_TYPES,
    diary_entries,
    diary_photo,
    pain_descriptors,
    parse_diary_entry,
    record_diary_entry,
    save_pain_descriptors,
    surgery_phase,
)
from hipcare.services.family.invitations import (
    INVITATION_LIFETIME,
    InvitationRefusedError,
    OpenedInvitation,
    accept_invitation,
    invitation_for,
    invite_family,
    open_invitation,
    refused_invitation_language,
)
from hipcare.services.family.reminders import (
    REMINDER_CLAIM_TIMEOUT,
    claim_reminder,
    mark_reminder_sent,
    reminders_due,
)
from hipcare.services.family.today import (
    FamilyItem,
    FamilyToday,
    TodayAccess,
    family_today,
    family_today_after_access,
    family_today_page,
    open_family_today,
)
from hipcare.services.family.untick import untick_family_item
from hipcare.services.ports.family import (
    CalendarFeed,
    Carer,
    DiaryRecord,
    DueReminder,
    Invitation,
    LinkedChild,
    StartedPlan,
    StoredDiaryEntry,
)

__all__ = [
    "INVITATION_LIFETIME",
    "PHOTO_MAX_BYTES",
    "PHOTO_TYPES",
    "REMINDER_CLAIM_TIMEOUT",
    "CalendarFeed",
    "Carer",
    "DiaryRecord",
    "DueReminder",
    "FamilyItem",
    "FamilyToday",
    "FeedPlan",
    "Invitation",
    "InvitationRefusedError",
    "LinkedChild",
    "OpenedInvitation",
    "StartedPlan",
    "StoredDiaryEntry",
    "TodayAccess",
    "accept_invitation",
    "audit_family_read",
    "calendar_feed_child",
    "calendar_link",
    "carer_language",
    "child_care_plan",
    "child_carers",
    "child_for_family",
    "choose_carer_language",
    "claim_reminder",
    "day_of_surgery_of",
    "diary_entries",
    "diary_photo",
    "family_children",
    "family_plan",
    "family_today",
    "family_today_after_access",
    "family_today_page",
    "feed_plan",
    "has_calendar_link",
    "invitation_for",
    "invite_family",
    "mark_reminder_sent",
    "open_family_today",
    "open_invitation",
    "pain_descriptors",
    "parse_diary_entry",
    "record_diary_entry",
    "refused_invitation_language",
    "regenerate_calendar_link",
    "reminders_due",
    "revoke_calendar_link",
    "save_pain_descriptors",
    "started_care_plan",
    "surgery_phase",
    "tick_family_item",
    "untick_family_item",
]
