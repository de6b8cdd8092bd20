"""Generated residents: names, valid ID and certificate numbers, phones and preferences.

Every resident goes through `services.residents.register_resident`, so identifiers are
validated, encrypted and masked exactly as for real data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.demo.context import DemoContext
from portal.models import Area, Channel, Resident
from portal.services.people.identifiers import check_character
from portal.services.people.residents import register_resident

AREA_CODE = "511321"

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱何郭罗梁谢唐冯邓曾彭苏蒋蔡魏杜任姚谭廖邹熊母敬蒲向侯岳伏"
_GIVEN = {
    # (sex, generation): born before 1970, 1970–1995, after 1995
    ("M", 0): ("德明", "国华", "建国", "志强", "永福", "光荣", "文华", "长贵", "树林", "正清"),
    ("F", 0): ("秀英", "桂英", "玉兰", "淑珍", "秀兰", "凤英", "素芳", "桂芳", "翠华", "春梅"),
    ("M", 1): ("伟", "强", "勇", "军", "涛", "斌", "建军", "小兵", "海波", "志刚"),
    ("F", 1): ("丽", "芳", "静", "敏", "燕", "霞", "红梅", "小琴", "晓燕", "雪梅"),
    ("M", 2): ("浩然", "子轩", "宇航", "俊杰", "梓豪", "浩宇", "一鸣", "思源", "嘉豪", "锦程"),
    ("F", 2): ("欣怡", "梓涵", "思雨", "雨欣", "可馨", "语桐", "诗涵", "子涵", "佳怡", "若曦"),
}

# Physical disability is the largest group in China's surveys, speech the smallest.
_CATEGORY_WEIGHTS = {1: 13, 2: 16, 3: 2, 4: 38, 5: 10, 6: 12, 7: 9}
_LEVEL_WEIGHTS = {1: 18, 2: 27, 3: 28, 4: 27}
# Birth-year bands: most disabled residents are elderly.
_BIRTH_BANDS = ((1940, 1959, 38), (1960, 1982, 32), (1983, 2000, 20), (2001, 2018, 10))


def new_id_number(ctx: DemoContext, born: date, sex: str) -> str:
    """A valid, unused Nanbu County ID number for someone born on `born` of `sex` (M/F)."""
    while True:
        sequence = ctx.rng.randint(0, 99) * 10 + ctx.rng.choice(
            (1, 3, 5, 7, 9) if sex == "M" else (0, 2, 4, 6, 8)
        )
        first17 = f"{AREA_CODE}{born:%Y%m%d}{sequence:03d}"
        number = first17 + check_character(first17)
        if number not in ctx.used_ids:
            ctx.used_ids.add(number)
            return number


def new_phone(ctx: DemoContext) -> str:
    """An unused mobile number in the +86 139 range."""
    while True:
        phone = f"+86139{ctx.rng.randint(0, 99_999_999):08d}"
        if phone not in ctx.used_phones:
            ctx.used_phones.add(phone)
            return phone


def new_name(ctx: DemoContext, born: date, sex: str) -> str:
    generation = 0 if born.year < 1970 else 1 if born.year <= 1995 else 2
    return ctx.rng.choice(_SURNAMES) + ctx.rng.choice(_GIVEN[(sex, generation)])


def address_in(ctx: DemoContext, village: Area) -> str:
    """A plausible home address: a group and house number, or a street in a community."""
    township = ctx.township_of(village)
    if int(village.code[9:]) < 200:
        return (
            f"{township.name_zh}{village.name_zh}{ctx.pick(('滨江路', '西河路', '正街', '新华街'))}"
            f"{ctx.rng.randint(1, 280)}号{ctx.rng.randint(1, 12)}栋{ctx.rng.randint(1, 4)}单元"
        )
    return f"{township.name_zh}{village.name_zh}{ctx.rng.randint(1, 9)}组{ctx.rng.randint(1, 60)}号"


def create_residents(ctx: DemoContext, count: int) -> None:
    """Register `count` residents across the villages, covering every category and level."""
    combinations = [(c, lv) for lv in range(1, 5) for c in range(1, 8)]
    villages = ctx.villages
    for index in range(count):
        if index < len(combinations):
            category, level = combinations[index]
            village = villages[index % len(villages)]
        else:
            category = ctx.pick(list(_CATEGORY_WEIGHTS), list(_CATEGORY_WEIGHTS.values()))
            level = ctx.pick(list(_LEVEL_WEIGHTS), list(_LEVEL_WEIGHTS.values()))
            village = ctx.pick(villages)
        ctx.residents.append(_create_one(ctx, index, category, level, village))


def _create_one(ctx: DemoContext, index: int, category: int, level: int, village: Area) -> Resident:
    # Every 16th record is ungraded (a suspected case or a young child): no certificate, no
    # level; every 37th has been assessed but the card is not issued yet.
    ungraded = index % 16 == 15
    card_pending = index % 37 == 20
    born = _birth_date(ctx, young=ungraded)
    sex = ctx.pick(("M", "F"), (53, 47))
    id_number = new_id_number(ctx, born, sex)
    certificate = None
    if not (ungraded or card_pending):
        certificate = f"{id_number}{category}{level}" + ("B1" if index % 45 == 30 else "")
    channel = _channel(ctx, category, level, born)
    options: dict[str, Any] = {}
    if category == 1 and level <= 2:
        options["read_aloud"] = True
    elif category == 1 or born.year < 1950:
        options["large_text"] = ctx.chance(0.6)
        options["high_contrast"] = ctx.chance(0.4)
    return register_resident(
        ctx.session,
        name=new_name(ctx, born, sex),
        area=village,
        disability_category=category,
        disability_level=None if ungraded else level,
        id_number=id_number if certificate is None else None,
        certificate_number=certificate,
        phone=None if ctx.chance(0.08 if born.year > 1950 else 0.2) else new_phone(ctx),
        channel=channel,
        language="en" if 1975 <= born.year <= 2000 and ctx.chance(0.07) else "zh_CN",
        today=ctx.today,
        address=address_in(ctx, village),
        institution_id=_institution_for(ctx, category, level, born),
        **options,
    )


def _birth_date(ctx: DemoContext, *, young: bool) -> date:
    if young:
        first, last = 2012, 2018
    else:
        bands = [(a, b) for a, b, _ in _BIRTH_BANDS]
        first, last = ctx.pick(bands, [w for *_, w in _BIRTH_BANDS])
    start = date(first, 1, 1)
    return start + timedelta(days=ctx.rng.randint(0, (date(last, 12, 31) - start).days))


def _channel(ctx: DemoContext, category: int, level: int, born: date) -> Channel:
    """Blind residents mostly hear their messages, deaf residents read them; a few opt out."""
    if ctx.chance(0.04):
        return Channel.NONE
    if category == 1:
        weights = (5, 80, 15) if level <= 2 else (30, 50, 20)
    elif category in (2, 3):
        return Channel.SMS
    elif born.year < 1955:
        weights = (30, 50, 20)
    else:
        weights = (70, 15, 15)
    return ctx.pick((Channel.SMS, Channel.VOICE, Channel.BOTH), weights)


def _institution_for(ctx: DemoContext, category: int, level: int, born: date) -> int | None:
    """Some residents are served by an institution under government purchase."""
    child = born.year >= 2008
    if (category in (4, 5, 7) and (child or level <= 2)) and ctx.chance(0.45):
        return ctx.institutions["rehab"].id
    if category in (1, 2, 4) and ctx.chance(0.15):
        return ctx.institutions["devices"].id
    return None
