"""This year's home visit (入户调研): a basic-status and a needs record for most residents."""

from __future__ import annotations

from datetime import date, timedelta

from portal.demo.context import DemoContext
from portal.models import BasicStatusRecord, NeedsAnswer, NeedsRecord, Resident

#: Needs a resident of each category typically raises (catalogue items of kind need/both).
NEEDS_BY_CATEGORY: dict[int, tuple[str, ...]] = {
    1: (
        "REHAB.VIS.OM",
        "REHAB.VIS.LOWVISION",
        "REHAB.VIS.CATARACT",
        "CULT.BRAILLE_AUDIO",
        "ACC.TACTILE",
        "AT.FURNITURE_COMM",
        "ACC.INFO.SCREEN_READER",
    ),
    2: (
        "AT.MEDICAL",
        "REHAB.HEAR.AVT",
        "ACC.FLASH_DOORBELL",
        "REHAB.SPEECH.SIGN",
        "ACC.INFO.DEAF_CALL",
    ),
    3: ("REHAB.SPEECH.THERAPY", "REHAB.SPEECH.SIGN"),
    4: (
        "ACC.WHEELCHAIR",
        "AT.MOBILITY",
        "ACC.RAMP",
        "ACC.TOILET_RAIL",
        "REHAB.PHYS.THERAPY",
        "AT.PROSTHETIC_ORTHOTIC",
    ),
    5: ("REHAB.INT.COG", "CARE.DAY", "REHAB.GUIDE.FAMILY"),
    6: ("REHAB.MENT.MED", "REHAB.MENT.PSY"),
    7: ("CARE.HOME", "REHAB.MED.HOMEBED", "AT.MOBILITY", "REHAB.GUIDE.FAMILY"),
}
GENERAL_NEEDS = (
    "SOC.LIVING_SUBSIDY",
    "SOC.MED_INS_SUBSIDY",
    "SOC.DIBAO",
    "POV.RURAL_DANGEROUS_HOUSE",
    "POV.LIVING_COND",
    "LEGAL.AID",
    "CERT.RENEW",
)
SEVERE_NEEDS = ("SOC.CARE_SUBSIDY", "SOC.PENSION_SUBSIDY")
WORKING_AGE_NEEDS = (
    "EMP.HELP.VOC_TRAINING",
    "EMP.HELP.RURAL_TECH",
    "EMP.SVC.PLACEMENT",
    "EMP.HELP.CREDIT",
)
SCHOOL_AGE_NEEDS = ("EDU.AID", "EDU.HOME_TEACHING")

_LIVING = ("with_family", "with_spouse", "alone", "institution")
_EDUCATION = ("none", "primary", "junior_secondary", "senior_secondary", "college")
_HOUSING = ("own_safe", "own_safe", "own_safe", "own_unsafe", "rented")

_NOTES = ("本人和家属都提出", "村专职委员入户时了解到", "去年已提出，仍需要", None, None)


def age_on(resident: Resident, day: date) -> int | None:
    """Age in whole years on `day`, or None when the birth date is unknown."""
    born = resident.birth_date
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def wanted_needs(ctx: DemoContext, resident: Resident) -> list[str]:
    """The catalogue codes this resident asks for this year, most pressing first."""
    age = age_on(resident, ctx.today) or 40
    own = NEEDS_BY_CATEGORY[resident.disability_category]
    codes = ctx.rng.sample(own, k=min(len(own), ctx.rng.randint(1, 2)))
    if resident.disability_level in (1, 2):
        codes += [code for code in SEVERE_NEEDS if ctx.chance(0.7)]
    codes += ctx.rng.sample(GENERAL_NEEDS, k=ctx.rng.randint(0, 2))
    if 16 <= age < 60 and ctx.chance(0.6):
        codes.append(ctx.pick(WORKING_AGE_NEEDS))
    elif 6 <= age < 18:
        codes.append(ctx.pick(SCHOOL_AGE_NEEDS))
    return list(dict.fromkeys(codes))


def survey(ctx: DemoContext, resident: Resident, codes: list[str] | None = None) -> list[str]:
    """Record this year's basic status and needs for `resident`; returns the needed codes."""
    year = ctx.today.year
    # Home visits happen early in the year, before the plans are drafted.
    first = date(year, 1, 6)
    last = max(first, min(date(year, 2, 28), ctx.today - timedelta(days=1)))
    surveyed_on = first + timedelta(days=ctx.rng.randint(0, (last - first).days))
    surveyed_on = min(surveyed_on, ctx.today)
    worker = ctx.worker_for(resident)
    age = age_on(resident, ctx.today) or 40
    ctx.session.add(
        BasicStatusRecord(
            resident_id=resident.id,
            year=year,
            surveyed_on=surveyed_on,
            surveyed_by_id=worker.id,
            living_arrangement=ctx.pick(_LIVING, (60, 20, 15, 5)),
            income_support=ctx.chance(0.3),
            employed=16 <= age < 60 and ctx.chance(0.3),
            medical_insurance=ctx.chance(0.97),
            pension_insurance=age >= 16 and ctx.chance(0.85),
            answers={
                "HEALTH.FAMILY_DOCTOR": ctx.chance(0.8),
                "EDU.LITERACY": ctx.chance(0.7),
                "EDU.LEVEL": ctx.pick(_EDUCATION, (20, 40, 25, 10, 5)),
                "POV.HOUSING_STATUS": ctx.pick(_HOUSING),
                "CULT.PARTICIPATION": ctx.chance(0.35),
                "CARE.AGED_PARENTS": age < 50 and ctx.chance(0.15),
            },
        )
    )
    needed = codes if codes is not None else wanted_needs(ctx, resident)
    record = NeedsRecord(
        resident_id=resident.id, year=year, surveyed_on=surveyed_on, surveyed_by_id=worker.id
    )
    record.answers = [
        NeedsAnswer(need_item_id=ctx.item(code).id, needed=True, note=ctx.pick(_NOTES))
        for code in needed
    ]
    # Items asked about and answered "no" are part of the record too.
    declined = [c for c in GENERAL_NEEDS if c not in needed][: ctx.rng.randint(0, 2)]
    record.answers += [
        NeedsAnswer(need_item_id=ctx.item(code).id, needed=False) for code in declined
    ]
    ctx.session.add(record)
    return needed


def survey_most(
    ctx: DemoContext, residents: list[Resident], share: float = 0.88
) -> dict[int, list[str]]:
    """Survey about `share` of `residents`; returns the needed codes by resident id."""
    found: dict[int, list[str]] = {}
    for resident in residents:
        if ctx.chance(share):
            found[resident.id] = survey(ctx, resident)
    ctx.session.flush()
    return found
