"""Plausible case descriptions and staff replies, by case type. Data only.

Each description is (catalogue code or None, Chinese text, English text); residents whose
language is English write in English.
"""

from __future__ import annotations

from portal.models import CaseType

DESCRIPTIONS: dict[CaseType, tuple[tuple[str | None, str, str], ...]] = {
    CaseType.NEED: (
        (
            "ACC.WHEELCHAIR",
            "原来的轮椅坏了，想申请一台新的。",
            "My wheelchair is broken; I would like a new one.",
        ),
        (
            "AT.MEDICAL",
            "耳朵越来越背，想配一副助听器。",
            "My hearing is getting worse; I need hearing aids.",
        ),
        (
            "ACC.RAMP",
            "家门口有三级台阶，轮椅出不去，想修个坡道。",
            "Three steps at my door: I need a ramp.",
        ),
        (
            "EMP.HELP.VOC_TRAINING",
            "想学电脑，找个能在家做的工作。",
            "I want computer training to work from home.",
        ),
    ),
    CaseType.URGENT: (
        (
            "CARE.HOME",
            "老人摔倒后起不来，家里没有别人，请尽快派人来。",
            "My father fell and cannot get up; nobody else is home.",
        ),
        (
            "SOC.TEMP_ASSIST",
            "家里失火，衣物和口粮都烧了，没有地方住。",
            "Our house caught fire; we have nowhere to stay.",
        ),
    ),
    CaseType.CONSULTATION: (
        (
            "SOC.CARE_SUBSIDY",
            "护理补贴今年有没有调整？每个月能领多少？",
            "Has the care allowance changed this year?",
        ),
        (
            "CERT.RENEW",
            "残疾人证快到期了，换证要带什么材料？",
            "My disability card expires soon: what do I bring to renew it?",
        ),
        (
            "SOC.PENSION_SUBSIDY",
            "养老保险是不是可以由政府代缴？",
            "Can the government pay my pension contribution?",
        ),
        (
            "EDU.AID",
            "孩子上高中，残疾学生资助怎么申请？",
            "How do I apply for the disabled students' grant?",
        ),
    ),
    CaseType.HELP: (
        (
            "AT.FURNITURE_COMM",
            "读屏手机坏了，能不能帮忙修一下或换一台？",
            "My screen-reader phone is broken: can you help?",
        ),
        (
            "REHAB.MENT.MED",
            "这个月的药快吃完了，村医说还没到货。",
            "My medication is running out and the clinic has none.",
        ),
        (
            "SOC.MED_ASSIST",
            "住院花了一万多，想申请医疗救助。",
            "My hospital bill is over 10,000 yuan: can I get medical assistance?",
        ),
        (
            "CARE.DAY",
            "家里白天没人照看孩子，想送到残疾人之家。",
            "Nobody can look after my son in the daytime.",
        ),
    ),
    CaseType.SUGGESTION: (
        (
            None,
            "建议便民服务中心的电话加上语音提示，方便我们盲人。",
            "Please add voice prompts to the service centre's phone line.",
        ),
        (
            None,
            "建议在集市上设一个残疾人休息的地方。",
            "Please set up a rest area for disabled people at the market.",
        ),
        (
            None,
            "希望每季度在村里办一次辅具维修。",
            "Please hold an assistive-device repair day in the village each quarter.",
        ),
    ),
    CaseType.COMPLAINT: (
        (
            "ACC.TACTILE",
            "村口到集市的盲道被三轮车占了，上周差点摔倒。",
            "Tricycles block the tactile path to the market.",
        ),
        (
            "SOC.LIVING_SUBSIDY",
            "上个季度的生活补贴到现在还没到账。",
            "Last quarter's living allowance has not arrived.",
        ),
        (
            "ACC.WHEELCHAIR",
            "申请轮椅两个月了，一直没有消息。",
            "I applied for a wheelchair two months ago and heard nothing.",
        ),
        (
            None,
            "去镇上办事，窗口工作人员态度不好，让我跑了三趟。",
            "Staff at the township window made me come back three times.",
        ),
    ),
    CaseType.REPORT: (
        (
            "SOC.DIBAO",
            "反映本村有人不符合条件却在领低保。",
            "Someone in my village receives minimum income without being eligible.",
        ),
        (
            "SOC.CARE_SUBSIDY",
            "听说有人冒领已去世亲属的护理补贴。",
            "Someone is claiming the care allowance of a relative who died.",
        ),
    ),
    CaseType.PETITION: (
        (
            "POV.RURAL_DANGEROUS_HOUSE",
            "我家房屋鉴定为危房，申请改造两年未落实，请求依法处理。",
            "My house was judged unsafe two years ago and is still not repaired.",
        ),
        (
            "LEGAL.CASE.RELIEF",
            "对低保取消决定不服，请求复查。",
            "I ask for a review of the decision to stop my minimum income.",
        ),
    ),
    CaseType.CORRECTION: (
        (
            None,
            "我的残疾类别登记错了，应该是肢体不是多重。",
            "My disability category is recorded wrongly.",
        ),
        (None, "联系电话换了，新号码请更新。", "My phone number has changed; please update it."),
        (None, "家庭住址写错了组别，是5组不是3组。", "My address has the wrong village group."),
    ),
    CaseType.FOLLOW_UP: (
        (
            None,
            "回访：对上次轮椅维修的处理不满意，轮椅还是推不动。",
            "Follow-up: the wheelchair repair did not fix it.",
        ),
        (None, "回访：补贴问题答复后仍未到账。", "Follow-up: the allowance still has not arrived."),
    ),
}

FIRST_REPLIES = (
    "您好，您反映的情况已收到，已安排村专职委员核实，会尽快答复您。",
    "您好，已收到。我们已联系相关部门，三个工作日内给您回电。",
    "您好，我是镇残联专干，您的事情由我跟进，有问题可以随时打服务电话。",
)

PAUSE_REASONS = (
    "请您提供银行卡开户行信息，我们核对发放记录。",
    "请您把残疾人证复印件交给村专职委员，我们再办理。",
    "约好的上门时间您不在家，请告诉我们方便的时间。",
)

RESOLUTIONS: dict[CaseType, str] = {
    CaseType.NEED: "已列入今年服务计划，服务站会在本月内上门。",
    CaseType.URGENT: "已联系村医和家属赶到现场，老人已送镇卫生院检查，无大碍。",
    CaseType.CONSULTATION: "已电话答复：相关政策和所需材料已告知，并发短信留存。",
    CaseType.HELP: "已协调落实，相关人员已上门处理。",
    CaseType.SUGGESTION: "感谢建议，已转相关部门，下季度起实施。",
    CaseType.COMPLAINT: "经核实情况属实，已督促整改，并向您当面说明。",
    CaseType.REPORT: "已转县民政局核查，核查结果将按规定处理。",
    CaseType.PETITION: "已书面答复，房屋改造已列入今年项目，年底前完工。",
    CaseType.CORRECTION: "已更正您的信息，请核对。",
    CaseType.FOLLOW_UP: "已再次上门处理，并请您确认。",
}

WITHDRAW_REASONS = (
    "问题已经自己解决了，撤回。",
    "家里人已经帮我办好了，不用了。",
)

RATING_COMMENTS = {
    "satisfied": ("感谢残联，办得很快。", "工作人员很耐心。", None),
    "basic": ("事情办了，就是等得久了点。", "还可以，希望下次主动打电话告诉我。"),
    "dissatisfied": ("答复了但问题没解决。", "来了一次就没下文了。"),
}
