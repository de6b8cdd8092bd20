"""The services directory (菜单式服务): what each catalogue domain offers, who may get it, how.

The texts are general on purpose: amounts and exact rules differ by province and change each
year, so the directory says where to ask, never how much.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal.models import Area, AreaLevel
from portal.services.reference.catalogue import CatalogueItem


@dataclass(frozen=True)
class Domain:
    """One of the catalogue's 12 domains, in plain words."""

    code: str
    title: LazyString
    offers: LazyString
    who: LazyString
    how: LazyString


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "REHAB",
        _l("Rehabilitation and medical care"),
        _l(
            "Operations, therapy and training that help you see, hear, move, speak, learn or "
            "cope better. Training for your family, so they can help you at home."
        ),
        _l(
            "Residents with a disability certificate whom an assessment shows it will help. "
            "There is special help for children with disabilities."
        ),
        _l(
            "Tell us what you need here, or ask your village worker. A worker arranges an "
            "assessment first. Bring your disability certificate and any medical records."
        ),
    ),
    Domain(
        "HEALTH",
        _l("Basic health care"),
        _l("A family doctor you can sign up with, for check-ups and advice close to home."),
        _l("Every resident."),
        _l("Ask your village clinic, community health centre or village worker."),
    ),
    Domain(
        "AT",
        _l("Assistive devices"),
        _l(
            "Wheelchairs, walking aids, hearing aids, white canes, magnifiers, artificial "
            "limbs and other aids. Someone fits the device to you and checks it later."
        ),
        _l(
            "Residents with a disability certificate whom an assessment shows the device will help."
        ),
        _l(
            "Tell us what you need here, or ask your village worker. Bring your disability "
            "certificate to the assessment."
        ),
    ),
    Domain(
        "EDU",
        _l("School and study"),
        _l(
            "Help for children to go to school, teachers who come to your home when a child "
            "cannot get to school, and grants for students."
        ),
        _l(
            "Children and students with disabilities, and students from families where "
            "someone has a severe disability."
        ),
        _l(
            "Ask your village worker or the school. For a grant, bring your disability "
            "certificate and proof that you are studying."
        ),
    ),
    Domain(
        "EMP",
        _l("Work and job training"),
        _l(
            "Registering as looking for work, advice on jobs, skills training, help to find "
            "a job, and support to start your own business."
        ),
        _l("Residents of working age with a disability certificate who want to work."),
        _l(
            "Tell us what you need here, or ask your village worker or township officer. "
            "Bring your disability certificate."
        ),
    ),
    Domain(
        "SOC",
        _l("Social security and money help"),
        _l(
            "The minimum living allowance (dibao), the two disability allowances (one for "
            "living costs, one for care), help to pay for insurance, and help with medical "
            "bills or a sudden crisis."
        ),
        _l(
            "It depends on your household's income and on how severe your disability is. "
            "The living allowance is for residents in hardship. The care allowance is for "
            "residents with a severe disability."
        ),
        _l(
            "Ask your village worker. You usually apply at your village or community office, "
            "and the township checks the application. Bring your disability certificate, "
            "ID card and household register (hukou)."
        ),
    ),
    Domain(
        "POV",
        _l("Housing and living conditions"),
        _l(
            "Repairs to an unsafe house in the countryside, public rental housing in towns, "
            "small loans, and help to improve basic living conditions."
        ),
        _l("Households in hardship, under the rules of your area."),
        _l(
            "Ask your village worker or township officer. They will explain what your "
            "household can apply for."
        ),
    ),
    Domain(
        "CARE",
        _l("Care and support"),
        _l("Care at home, day care, living in a care home, and care for older residents."),
        _l(
            "Residents who need help with daily life, especially those with a severe "
            "disability or whose family carers are old."
        ),
        _l("Ask your village worker. They will look at your situation with you and your family."),
    ),
    Domain(
        "ACC",
        _l("Making your home easier to use"),
        _l(
            "Changes to your home such as ramps, grab bars, a sitting toilet, a shower seat "
            "or a flashing doorbell, and aids such as screen readers and braille displays."
        ),
        _l(
            "Residents with a disability certificate whose home makes daily life hard. "
            "Households in hardship and residents with a severe disability usually come first."
        ),
        _l(
            "Tell us what you need here. A worker visits your home to see which changes would help."
        ),
    ),
    Domain(
        "CULT",
        _l("Culture and sport"),
        _l(
            "Library books, braille and audio books, books brought to your home, arts "
            "classes and sports."
        ),
        _l("Every resident."),
        _l("Ask your village worker or community centre what is on near you."),
    ),
    Domain(
        "LEGAL",
        _l("Legal help and your rights"),
        _l(
            "Free legal advice, legal aid, and help when your rights are not respected, for "
            "example at work, at school or about allowances."
        ),
        _l("Every resident. Legal aid is for residents who cannot pay for a lawyer."),
        _l("Tell us what happened here, or call the 12385 hotline."),
    ),
    Domain(
        "CERT",
        _l("Your disability certificate"),
        _l(
            "Getting a certificate, renewing or replacing it, moving it when you move home, "
            "or changing the category or level."
        ),
        _l("Anyone with a long-term disability, and family members applying for them."),
        _l(
            "Ask your village worker or the county disabled persons' federation. Bring your "
            "ID card and household register (hukou). A new certificate, or a new category or "
            "level, needs an assessment by a doctor."
        ),
    ),
)
DOMAINS_BY_CODE = {domain.code: domain for domain in DOMAINS}


def group_by_domain(
    items: Iterable[CatalogueItem],
) -> list[tuple[Domain, list[CatalogueItem]]]:
    """Items grouped under their domain, in directory order; domains without items left out.

    An item whose domain the directory does not know yet is left out too (new catalogue data
    needs its plain-language text first).
    """
    groups: dict[str, list[CatalogueItem]] = {}
    for item in items:
        groups.setdefault(item.domain, []).append(item)
    return [(domain, groups[domain.code]) for domain in DOMAINS if domain.code in groups]


def contact_points(area: Area | None) -> list[Area]:
    """The resident's village or community and township, nearest first, plus the county
    when it has a phone or address on record: found by walking up the area tree."""
    points = []
    seen: set[int] = set()
    while area is not None and area.id not in seen:
        seen.add(area.id)
        if area.level in (AreaLevel.VILLAGE, AreaLevel.TOWNSHIP) or (
            area.level == AreaLevel.COUNTY and (area.service_phone or area.service_address)
        ):
            points.append(area)
        area = area.parent
    return points
