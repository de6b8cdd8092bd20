"""The demo county: Sichuan → Nanchong → Nanbu County, 3 townships, 8 villages, 2 institutions.

Codes follow the 12-digit statistical scheme (domain.md, "Areas"): township 0xx is a street,
1xx a town, 2xx a township; village 001–199 a community, 200–399 a village. The province, city
and county codes are the real ones; the township and village names are plausible, not official.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.demo.context import DemoContext
from portal.models import Area, AreaLevel, Institution

COUNTY_CODE = "511321000000"

# (code, name_zh, name_en, level, valid_from)
_UPPER = (
    ("510000000000", "四川省", "Sichuan Province", AreaLevel.PROVINCE, date(1952, 9, 1)),
    ("511300000000", "南充市", "Nanchong City", AreaLevel.CITY, date(1993, 7, 1)),
    (COUNTY_CODE, "南部县", "Nanbu County", AreaLevel.COUNTY, date(1993, 7, 1)),
)

# (code, name_zh, name_en, service phone, service address)
_TOWNSHIPS = (
    (
        "511321001000",
        "南隆街道",
        "Nanlong Subdistrict",
        "0817-5521385",
        "南部县南隆街道滨江大道168号 街道便民服务中心3号窗口",
    ),
    (
        "511321101000",
        "建兴镇",
        "Jianxing Town",
        "0817-5612385",
        "南部县建兴镇正街42号 镇便民服务中心残疾人服务窗口",
    ),
    (
        "511321201000",
        "保城乡",
        "Baocheng Township",
        "0817-5733385",
        "南部县保城乡场镇新街8号 乡便民服务中心",
    ),
)

# (code, name_zh, name_en): communities 001–199, villages 200–399, under the township above.
_VILLAGES = (
    ("511321001001", "滨江社区", "Binjiang Community"),
    ("511321001002", "火峰社区", "Huofeng Community"),
    ("511321101001", "建兴社区", "Jianxing Community"),
    ("511321101201", "柳树村", "Liushu Village"),
    ("511321101202", "石河村", "Shihe Village"),
    ("511321201201", "保城村", "Baocheng Village"),
    ("511321201202", "青龙村", "Qinglong Village"),
    ("511321201203", "白鹤村", "Baihe Village"),
)

#: The village of the demo resident, their village worker and the guardian's dependents.
DEMO_VILLAGE_CODE = "511321101201"

# Township reform in Sichuan (2019–2020) re-drew the townships and merged villages.
_TOWNSHIP_VALID_FROM = date(2019, 12, 20)
_VILLAGE_VALID_FROM = date(2020, 6, 30)

# key: (name_zh, name_en, contact phone)
_INSTITUTIONS = {
    "rehab": ("南部县残疾人康复中心", "Nanbu County Rehabilitation Centre", "0817-5558120"),
    "devices": (
        "南部县残疾人辅助器具服务站",
        "Nanbu County Assistive Devices Service Station",
        "0817-5558136",
    ),
}


def county_exists(ctx: DemoContext) -> bool:
    """Whether a previous run already created the demo county."""
    return ctx.session.scalar(select(Area.id).where(Area.code == COUNTY_CODE)) is not None


def create_places(ctx: DemoContext) -> None:
    """Create (or reuse) the province and city, then the demo county and everything in it."""
    parent: Area | None = None
    for code, name_zh, name_en, level, valid_from in _UPPER:
        parent = _get_or_create(ctx, code, name_zh, name_en, level, parent, valid_from)
    ctx.county = parent
    for code, name_zh, name_en, phone, address in _TOWNSHIPS:
        township = _get_or_create(
            ctx, code, name_zh, name_en, AreaLevel.TOWNSHIP, ctx.county, _TOWNSHIP_VALID_FROM
        )
        township.service_phone = phone
        township.service_address = address
        ctx.townships.append(township)
    by_prefix = {t.code[:9]: t for t in ctx.townships}
    for code, name_zh, name_en in _VILLAGES:
        ctx.villages.append(
            _get_or_create(
                ctx,
                code,
                name_zh,
                name_en,
                AreaLevel.VILLAGE,
                by_prefix[code[:9]],
                _VILLAGE_VALID_FROM,
            )
        )
    assert ctx.county is not None
    for key, (name_zh, name_en, phone) in _INSTITUTIONS.items():
        institution = Institution(
            name_zh=name_zh, name_en=name_en, area_id=ctx.county.id, contact_phone=phone
        )
        ctx.session.add(institution)
        ctx.institutions[key] = institution
    ctx.session.flush()


def _get_or_create(
    ctx: DemoContext,
    code: str,
    name_zh: str,
    name_en: str,
    level: AreaLevel,
    parent: Area | None,
    valid_from: date,
) -> Area:
    area = ctx.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        area = Area(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            level=level,
            parent_id=parent.id if parent else None,
            valid_from=valid_from,
        )
        ctx.session.add(area)
        ctx.session.flush()
    return area


def demo_village(ctx: DemoContext) -> Area:
    return next(v for v in ctx.villages if v.code == DEMO_VILLAGE_CODE)
