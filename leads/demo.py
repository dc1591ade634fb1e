"""Demo data: a management company with two communities (units, office hours, a few leads), its
property manager and two leasing agents, each agent assigned to one community.

Idempotent: every row is looked up by its natural key first, so a second run changes nothing and
edits a user made in admin survive a re-run.
"""

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from leads.compliance.models import (
    CONSENT_REVOKED_NUMBER_REASSIGNED,
    CallDecision,
    DncSnapshot,
    Suppression,
)
from leads.compliance.services import dnc_import
from leads.models import Consent, Lead, StaffPhone
from properties.models import Membership, OfficeHours, Organization, Property, Unit

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "leasing-demo"  # noqa: S105 - documented demo credential, local only
DEMO_EMAIL = "admin@example.com"

# One management company runs both communities; its staff log in to the admin with the demo
# password. The superuser `admin` runs the deployment and sees everything.
DEMO_ORGANIZATION = {
    "name": "Bayside Living",
    "legal_name": "Bayside Living Management LLC",
    "timezone": "America/Los_Angeles",
}
# (username, first name, last name, role, assigned property or None for the whole organization)
DEMO_STAFF = [
    ("manager", "Morgan", "Patel", "manager", None),
    ("agent.harbor", "Ava", "Martin", "agent", "Harbor View Apartments"),
    ("agent.cedar", "Noah", "Brooks", "agent", "Cedar Park Residences"),
]

# The consent the demo's web form collects (calling-compliance.md §7 rule 1): it names the
# seller, says "AI or artificial voice" and "not a condition of renting".
DEMO_CONSENT_DISCLOSURE = (
    "By checking this box and submitting, I agree that {seller} may call me at the number I "
    "entered about renting an apartment, using an automated system and an AI or artificial "
    "voice. Consent is not a condition of renting. I can say 'stop calling' or press 9 at any "
    "time to opt out."
)
DEMO_CONSENT_FORM = "https://example.com/contact"
# The demo manager's phone: Assistants -> "Place a test call" rings staff phones only.
DEMO_STAFF_PHONE = ("+14155550166", "Morgan Patel (manager)")

WEEKDAY_HOURS = [(day, time(9, 0), time(18, 0)) for day in range(5)]

PROPERTIES = [
    {
        "name": "Harbor View Apartments",
        "address_line": "1200 Embarcadero Way",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94107",
        "timezone": "America/Los_Angeles",
        "leasing_phone": "+14155550100",
        "transfer_phone": "+14155550101",
        "tour_slot_minutes": 30,
        "tours_per_slot": 2,
        "pets_allowed": True,
        "pet_policy": "Cats and dogs welcome, up to two pets, 50 lb limit per dog. "
        "$500 refundable pet deposit and $50 monthly pet rent.",
        "parking_policy": "Garage parking $175/month per space; EV charging on level 2.",
        "application_fee": Decimal("45.00"),
        "application_fee_policy": "$45 per adult applicant, non-refundable; "
        "covers the credit and background check.",
        "amenities": "Rooftop deck with bay views\nFitness center open 24/7\n"
        "In-unit washer and dryer\nPackage lockers\nBike storage",
        "knowledge": "Move-in special: one month free on 12-month leases signed this month. "
        "Closest BART station: Embarcadero, 10 minutes on foot.",
        "hours": [*WEEKDAY_HOURS, (5, time(10, 0), time(17, 0))],
        "units": [
            ("101", "The Pier (Studio)", 0, "1.0", 480, "2450.00", 0, "available"),
            ("204", "The Bay (1 bed)", 1, "1.0", 690, "3150.00", 7, "available"),
            ("208", "The Bay (1 bed)", 1, "1.0", 700, "3195.00", 30, "on_notice"),
            ("312", "The Harbor (2 bed)", 2, "2.0", 1040, "4250.00", 14, "available"),
            ("315", "The Harbor (2 bed)", 2, "2.0", 1060, "4350.00", 45, "available"),
            ("401", "The Lighthouse (3 bed)", 3, "2.0", 1380, "5600.00", None, "occupied"),
        ],
    },
    {
        "name": "Cedar Park Residences",
        "address_line": "4500 Cedar Bend Drive",
        "city": "Austin",
        "state": "TX",
        "postal_code": "78759",
        "timezone": "America/Chicago",
        "leasing_phone": "+15125550142",
        "transfer_phone": "+15125550143",
        "tour_slot_minutes": 45,
        "tours_per_slot": 1,
        "pets_allowed": True,
        "pet_policy": "Up to two pets; breed restrictions apply. "
        "$300 pet fee, $35 monthly pet rent.",
        "parking_policy": "Open parking included; covered spots $40/month.",
        "application_fee": Decimal("60.00"),
        "application_fee_policy": "$60 per applicant plus a $150 administrative fee at approval.",
        "amenities": "Resort-style pool\nDog park\nCoworking lounge\nGated community",
        "knowledge": "Self-guided tours are available on weekends with photo ID.",
        "hours": [*WEEKDAY_HOURS, (5, time(10, 0), time(16, 0)), (6, time(12, 0), time(16, 0))],
        "units": [
            ("A101", "Live Oak (1 bed)", 1, "1.0", 720, "1395.00", 0, "available"),
            ("A204", "Bluebonnet (2 bed)", 2, "2.0", 1010, "1795.00", 10, "available"),
            ("B110", "Bluebonnet (2 bed)", 2, "2.0", 1010, "1825.00", 21, "on_notice"),
            ("B305", "Pecan (3 bed)", 3, "2.5", 1325, "2295.00", 5, "available"),
        ],
    },
]

LEADS = [
    # property name, phone, first, last, email, source, status, beds, budget, consent
    (
        "Harbor View Apartments",
        "+14155550123",
        "Maya",
        "Chen",
        "maya.chen@example.com",
        "website",
        "new",
        2,
        "4400",
        True,
    ),
    (
        "Harbor View Apartments",
        "+14155550177",
        "Jordan",
        "Reyes",
        "jordan.reyes@example.com",
        "ils",
        "contacted",
        1,
        "3300",
        True,
    ),
    (
        "Harbor View Apartments",
        "+14155550188",
        "Sam",
        "Okafor",
        "",
        "referral",
        "new",
        0,
        "2500",
        False,
    ),
    (
        "Cedar Park Residences",
        "+15125550166",
        "Priya",
        "Natarajan",
        "priya.n@example.com",
        "website",
        "new",
        2,
        "1900",
        True,
    ),
]

# Leads that show each answer of the compliance gate in the admin's "Call with AI assistant"
# preview (Leads -> select -> action), README "Calling compliance". The last name says what the
# lead shows. Some show only at certain times: `when` in the README's table; the test
# (tests/leads/test_demo_compliance.py) runs the preview on Sunday 13 June 2027 at 20:30 in
# Chicago, when every one of them shows.
# (key, phone, first, last, state, time zone, consent) where consent is None (none on file),
# "own" (written consent for this number from the web form), "other" (consent for another
# number), "purchased" (a number from a bought list), "reassigned" (consent voided: the number
# was found reassigned), "old" (consent older than COMPLIANCE_CONSENT_RECHECK_DAYS, never checked
# against the reassigned-numbers database).
COMPLIANCE_PROPERTY = "Cedar Park Residences"
CONSENT_OTHER_NUMBER = "+15125550198"  # Riley gave consent for this number, not the one on file
DNC_STALE_AREA_CODE = "617"  # registry copy 40 days old: every 617 number waits for a fresh one
DNC_FRESH_AREA_CODE = "303"  # registry copy 1 day old, listing Casey's number
DNC_STALE_DAYS = 40
DNC_FRESH_MAX_AGE_DAYS = 20  # a re-run after this imports a fresh demo copy again
DAILY_CAP_ATTEMPTS = 3
CONSENTED = ("own", "purchased", "reassigned", "old")
# Relative to now, so the demo shows the same answer whatever day it is loaded (§7 rule 17).
OLD_CONSENT_DAYS = 200
COMPLIANCE_LEADS = [
    ("no_consent", "+15125550191", "Dana", "No-Consent", "TX", "", None),
    ("consent_other_number", "+15125550192", "Riley", "Other-Number", "TX", "", "other"),
    ("opted_out", "+15125550193", "Omar", "Opted-Out", "TX", "", "own"),
    ("dnc_stale", "+16175550194", "Stella", "Stale-Registry", "MA", "", "own"),
    ("dnc_registry", "+13035550195", "Casey", "Registry-Listed", "CO", "", None),
    ("quiet_hours_fl", "+18505550196", "Frank", "Panhandle-Quiet-Hours", "FL", "", "own"),
    ("allowed_il", "+13125550197", "Ivy", "Allowed-Illinois", "IL", "", "own"),
    ("daily_cap", "+15125550189", "Cap", "Three-Calls-Today", "TX", "", "own"),
    ("sunday_ri", "+14015550190", "Rhoda", "Rhode-Island-Sunday", "RI", "", "own"),
    ("purchased_wa", "+12065550187", "Walt", "Washington-Bought-List", "WA", "", "purchased"),
    ("allowed_tx", "+15125550186", "Alma", "Allowed-Texas", "TX", "", "own"),
    ("reassigned", "+15125550185", "Rey", "Reassigned-Number", "TX", "", "reassigned"),
    ("recheck_due", "+15125550184", "Olga", "Old-Consent", "TX", "", "old"),
]


@dataclass
class DemoDataResult:
    created: dict[str, int] = field(default_factory=dict)

    def bump(self, what: str, created: bool) -> None:
        self.created[what] = self.created.get(what, 0) + int(created)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


@transaction.atomic
def demo_data_load(*, today: date | None = None) -> DemoDataResult:
    """Create the demo admin user, properties, units, office hours and leads if missing.

    Unit availability counts from `today` if given, else from today at each property (its own
    zone: at 22:00 in San Francisco the server's UTC date is already tomorrow).
    """
    result = DemoDataResult()
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={"email": DEMO_EMAIL, "is_staff": True, "is_superuser": True},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    result.bump("users", created)
    organization, created = Organization.objects.get_or_create(
        name=DEMO_ORGANIZATION["name"], defaults=DEMO_ORGANIZATION
    )
    result.bump("organizations", created)

    properties: dict[str, Property] = {}
    for spec in PROPERTIES:
        spec = dict(spec)
        hours = spec.pop("hours")
        units = spec.pop("units")
        prop, created = Property.objects.get_or_create(
            organization=organization, name=spec.pop("name"), defaults=spec
        )
        result.bump("properties", created)
        properties[prop.name] = prop
        prop_today = today or timezone.localdate(timezone=prop.tz)
        for weekday, opens_at, closes_at in hours:
            _, created = OfficeHours.objects.get_or_create(
                property=prop,
                weekday=weekday,
                defaults={"opens_at": opens_at, "closes_at": closes_at},
            )
            result.bump("office_hours", created)
        for number, plan, beds, baths, sqft, rent, days, status in units:
            _, created = Unit.objects.get_or_create(
                property=prop,
                unit_number=number,
                defaults={
                    "floor_plan": plan,
                    "bedrooms": beds,
                    "bathrooms": Decimal(baths),
                    "square_feet": sqft,
                    "monthly_rent": Decimal(rent),
                    "available_from": None if days is None else prop_today + timedelta(days=days),
                    "status": status,
                },
            )
            result.bump("units", created)

    # The demo superuser is also the company's organization admin, so the README's API session
    # (which signs in as `admin`) reaches the demo properties: the API has no superuser exemption.
    _, created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Membership.Role.ADMIN}
    )
    result.bump("memberships", created)

    for username, first, last, role, assigned in DEMO_STAFF:
        staff, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": True,  # logs in to the admin; what it shows is the membership's
            },
        )
        if created:
            staff.set_password(DEMO_PASSWORD)
            staff.save(update_fields=["password"])
        result.bump("users", created)
        membership, created = Membership.objects.get_or_create(
            user=staff, organization=organization, defaults={"role": role}
        )
        if created and assigned:
            membership.properties.set([properties[assigned]])
        result.bump("memberships", created)

    _, created = StaffPhone.objects.get_or_create(
        organization=organization,
        number=DEMO_STAFF_PHONE[0],
        defaults={"label": DEMO_STAFF_PHONE[1]},
    )
    result.bump("staff_phones", created)

    for prop_name, phone, first, last, email, source, status, beds, budget, consent in LEADS:
        lead, created = Lead.objects.get_or_create(
            property=properties[prop_name],
            phone=phone,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": email,
                "source": source,
                "status": status,
                "desired_bedrooms": beds,
                "budget": Decimal(budget),
                "move_in_date": (today or timezone.localdate(timezone=properties[prop_name].tz))
                + timedelta(days=30),
                "consent_to_call": consent,
                "consent_recorded_at": timezone.now() if consent else None,
            },
        )
        result.bump("leads", created)
        if consent:
            # The compliance gate reads the consent ledger, not the lead's checkbox.
            _, created = Consent.objects.get_or_create(
                organization=organization,
                number=phone,
                kind=Consent.Kind.PEWC_AI_VOICE,
                defaults={
                    "lead": lead,
                    "disclosure": DEMO_CONSENT_DISCLOSURE.format(seller=organization.legal_name),
                    "source": Consent.Source.WEB_FORM,
                    "signature_method": "E-SIGN checkbox (unticked by default) and submit",
                    "evidence_url": DEMO_CONSENT_FORM,
                    "given_at": timezone.now() - timedelta(days=1),
                },
            )
            result.bump("consents", created)
    _compliance_demo_load(
        organization=organization, prop=properties[COMPLIANCE_PROPERTY], result=result, today=today
    )
    return result


def _compliance_demo_load(
    *, organization: Organization, prop: Property, result: DemoDataResult, today: date | None
) -> None:
    """The leads of COMPLIANCE_LEADS with what makes each one show its answer."""
    now = timezone.now()
    leads: dict[str, Lead] = {}
    for key, phone, first, last, state, zone, consent in COMPLIANCE_LEADS:
        lead, created = Lead.objects.get_or_create(
            property=prop,
            phone=phone,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "source": Lead.Source.OTHER if consent == "purchased" else Lead.Source.WEBSITE,
                "state": state,
                "time_zone": zone,
                "desired_bedrooms": 1,
                "budget": Decimal("1500"),
                "move_in_date": (today or timezone.localdate(timezone=prop.tz))
                + timedelta(days=30),
                # The box says what the person once agreed to; the gate reads the ledger, where
                # Rey's consent is revoked (a reassigned number).
                "consent_to_call": consent in CONSENTED,
                "consent_recorded_at": now if consent in CONSENTED else None,
            },
        )
        result.bump("leads", created)
        leads[key] = lead
        if consent is None:
            continue
        source = {"purchased": Consent.Source.PURCHASED_LIST}.get(consent, Consent.Source.WEB_FORM)
        number = CONSENT_OTHER_NUMBER if consent == "other" else phone
        given_days = OLD_CONSENT_DAYS if consent == "old" else 2
        revoked = {}
        if consent == "reassigned":  # as a reassigned-numbers check answering "yes" leaves it
            revoked = {
                "revoked_at": now - timedelta(days=1),
                "revoked_how": CONSENT_REVOKED_NUMBER_REASSIGNED,
            }
        _, created = Consent.objects.get_or_create(
            organization=organization,
            number=number,
            kind=Consent.Kind.PEWC_AI_VOICE,
            defaults={
                "lead": lead,
                "disclosure": DEMO_CONSENT_DISCLOSURE.format(seller=organization.legal_name),
                "source": source,
                "signature_method": "E-SIGN checkbox (unticked by default) and submit",
                "evidence_url": DEMO_CONSENT_FORM,
                "given_at": now - timedelta(days=given_days),
                **revoked,
            },
        )
        result.bump("consents", created)

    opted_out = leads["opted_out"]
    _, created = Suppression.objects.get_or_create(
        organization=organization,
        number=opted_out.phone,
        defaults={
            "source": Suppression.Source.SPOKEN,
            "note": 'Demo: said "please stop calling me" on a call.',
            "lead": opted_out,
        },
    )
    result.bump("suppressions", created)

    # Registry copies (the deployment's, as `manage.py import_dnc` loads them).
    if not DncSnapshot.objects.filter(area_code=DNC_STALE_AREA_CODE).exists():
        dnc_import(
            lines=[],
            area_code=DNC_STALE_AREA_CODE,
            downloaded_at=now - timedelta(days=DNC_STALE_DAYS),
        )
        result.bump("dnc_snapshots", True)
    fresh = DncSnapshot.objects.filter(
        area_code=DNC_FRESH_AREA_CODE,
        downloaded_at__gte=now - timedelta(days=DNC_FRESH_MAX_AGE_DAYS),
    )
    if not fresh.exists():
        dnc_import(
            lines=[leads["dnc_registry"].phone[2:]],
            area_code=DNC_FRESH_AREA_CODE,
            downloaded_at=now - timedelta(days=1),
        )
        result.bump("dnc_snapshots", True)

    # Three AI call attempts in the past 24 hours (the daily cap): demo audit rows, topped up
    # on a re-run once they age out.
    capped = leads["daily_cap"]
    recent = CallDecision.objects.filter(
        organization=organization,
        number=capped.phone,
        decision=CallDecision.Decision.ALLOWED,
        created_at__gt=now - timedelta(hours=20),
    ).count()
    for minutes in range(recent, DAILY_CAP_ATTEMPTS):
        CallDecision.objects.create(
            organization=organization,
            path=CallDecision.Path.COMMAND,
            purpose=CallDecision.Purpose.MARKETING,
            number=capped.phone,
            lead=capped,
            lead_ref=capped.pk,
            decision=CallDecision.Decision.ALLOWED,
            message="Demo attempt (load_demo_data).",
            created_at=now - timedelta(hours=2, minutes=30 * minutes),
        )
        result.bump("call_decisions", True)
