"""Plausible Chinese text for plan items and their deliveries (the six elements, 六要素).

Data only. `{year}` in a project name is the plan's year.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ServiceText:
    """How one catalogue service is planned and delivered in the demo county."""

    plan: str  # the plan item's description
    responsible: str  # 责任主体/部门
    project: str  # 项目名称
    measures: str  # 具体措施
    effect: str  # 服务效果
    funds: Decimal | None = None  # 投入资金 (yuan)
    equipment: str | None = None  # 器材
    quantity: int | None = None  # 器材数量
    institution: str | None = None  # "rehab" or "devices": delivered by that institution


_FEDERATION = "南部县残疾人联合会"
_CIVIL = "南部县民政局"
_TOWNSHIP = "乡镇人民政府（街道办事处）社会事务办"

SERVICES: dict[str, ServiceText] = {
    "REHAB.VIS.OM": ServiceText(
        "参加定向行走训练，学会独立出行",
        "南部县残疾人康复中心",
        "{year}年视力残疾人定向行走训练项目",
        "康复师入户6次，训练盲杖使用和居家周边路线",
        "能独立往返村卫生室和集市",
        Decimal("1200.00"),
        "盲杖",
        1,
        "rehab",
    ),
    "REHAB.VIS.LOWVISION": ServiceText(
        "低视力评估与视功能训练",
        "南部县残疾人康复中心",
        "{year}年低视力康复项目",
        "视功能评估，配发助视器并指导使用",
        "能借助助视器阅读大字材料",
        Decimal("600.00"),
        "手持式助视器",
        1,
        "rehab",
    ),
    "REHAB.VIS.CATARACT": ServiceText(
        "转介县人民医院做白内障复明手术",
        "南部县人民医院眼科",
        "{year}年贫困白内障患者复明工程",
        "免费术前检查、手术及术后复查",
        "术后视力由0.05恢复到0.4",
        Decimal("2800.00"),
    ),
    "CULT.BRAILLE_AUDIO": ServiceText(
        "送听书机，开通盲人有声读物",
        "南部县图书馆",
        "{year}年盲人阅读推广项目",
        "送听书机上门并教会操作，每季度更新书目",
        "每周收听评书和新闻",
        None,
        "智能听书机",
        1,
    ),
    "ACC.TACTILE": ServiceText(
        "院坝至院门铺设盲道",
        _FEDERATION,
        "{year}年困难残疾人家庭无障碍改造项目",
        "铺设盲道12米，门口加装提示地砖",
        "夜间出入院门不再磕碰",
        Decimal("1500.00"),
    ),
    "AT.FURNITURE_COMM": ServiceText(
        "配发读屏手机或闪光提示设备",
        "南部县残疾人辅助器具服务站",
        "{year}年辅助器具适配项目",
        "评估后适配并上门教学，留下操作卡片",
        "能自己接听电话、收听短信",
        Decimal("980.00"),
        "读屏老人手机",
        1,
        "devices",
    ),
    "REHAB.HEAR.AVT": ServiceText(
        "听觉言语功能训练",
        "南部县残疾人康复中心",
        "{year}年听力残疾儿童康复救助项目",
        "每周2次一对一听觉言语训练，家长同步学习",
        "能听懂简单指令并说出短句",
        Decimal("6000.00"),
        None,
        None,
        "rehab",
    ),
    "AT.MEDICAL": ServiceText(
        "适配助听器",
        "南部县残疾人辅助器具服务站",
        "{year}年残疾人辅助器具适配项目",
        "听力测试后验配助听器，1个月后回访调试",
        "面对面交谈基本无障碍",
        Decimal("3200.00"),
        "耳背式助听器",
        2,
        "devices",
    ),
    "ACC.FLASH_DOORBELL": ServiceText(
        "安装闪光门铃",
        _FEDERATION,
        "{year}年困难残疾人家庭无障碍改造项目",
        "安装闪光门铃和振动闹钟各1个",
        "有人来访时能及时开门",
        Decimal("260.00"),
        "闪光门铃",
        1,
    ),
    "REHAB.SPEECH.SIGN": ServiceText(
        "手语培训",
        "南部县聋人协会",
        "{year}年手语推广培训班",
        "参加县聋协手语班8次课",
        "能与家人用手语进行日常交流",
        None,
    ),
    "REHAB.SPEECH.THERAPY": ServiceText(
        "言语矫治训练",
        "南部县残疾人康复中心",
        "{year}年言语康复训练项目",
        "康复师每周1次言语训练，布置家庭练习",
        "发音清晰度明显提高",
        Decimal("1800.00"),
        None,
        None,
        "rehab",
    ),
    "ACC.WHEELCHAIR": ServiceText(
        "配发轮椅",
        "南部县残疾人辅助器具服务站",
        "{year}年残疾人辅助器具适配项目",
        "上门测量后配发手动轮椅并教会使用和保养",
        "能坐轮椅在院坝和村道活动",
        Decimal("850.00"),
        "手动轮椅",
        1,
        "devices",
    ),
    "AT.MOBILITY": ServiceText(
        "配发助行器",
        "南部县残疾人辅助器具服务站",
        "{year}年残疾人辅助器具适配项目",
        "配发助行器和四脚拐杖，指导安全使用",
        "能在家中独立行走",
        Decimal("420.00"),
        "助行器",
        1,
        "devices",
    ),
    "ACC.RAMP": ServiceText(
        "入户门口修建坡道",
        _FEDERATION,
        "{year}年困难残疾人家庭无障碍改造项目",
        "修建水泥坡道一处并加装扶手",
        "轮椅可以自行进出家门",
        Decimal("2400.00"),
    ),
    "ACC.TOILET_RAIL": ServiceText(
        "卫生间加装扶手",
        _FEDERATION,
        "{year}年困难残疾人家庭无障碍改造项目",
        "卫生间安装L型扶手2副，地面防滑处理",
        "如厕可以自理，未再摔倒",
        Decimal("680.00"),
        "L型扶手",
        2,
    ),
    "REHAB.PHYS.THERAPY": ServiceText(
        "肢体康复训练",
        "南部县残疾人康复中心",
        "{year}年肢体残疾人社区康复项目",
        "康复师每两周入户一次，指导关节活动和站立训练",
        "下肢力量增强，能扶物站立10分钟",
        Decimal("1500.00"),
        None,
        None,
        "rehab",
    ),
    "AT.PROSTHETIC_ORTHOTIC": ServiceText(
        "装配小腿假肢",
        "南部县残疾人辅助器具服务站",
        "{year}年贫困肢体残疾人假肢装配项目",
        "取模、试穿、调整，装配小腿假肢",
        "能穿假肢下地干轻农活",
        Decimal("5600.00"),
        "小腿假肢",
        1,
        "devices",
    ),
    "REHAB.INT.COG": ServiceText(
        "认知及生活自理训练",
        "南部县残疾人康复中心",
        "{year}年智力残疾人康复训练项目",
        "每周3次认知和生活自理训练",
        "能自己穿衣、洗漱和认识钱币",
        Decimal("4800.00"),
        None,
        None,
        "rehab",
    ),
    "CARE.DAY": ServiceText(
        "就近参加日间照料",
        "建兴镇残疾人之家",
        "{year}年残疾人之家日间照料项目",
        "工作日在残疾人之家参加照料和手工活动",
        "家人白天可以外出务工",
        Decimal("2400.00"),
    ),
    "REHAB.GUIDE.FAMILY": ServiceText(
        "家属康复知识培训",
        "南部县残疾人康复中心",
        "{year}年残疾人家属康复培训",
        "家属参加2次康复护理培训",
        "家属掌握了基本的训练方法",
        None,
        None,
        None,
        "rehab",
    ),
    "REHAB.MENT.MED": ServiceText(
        "精神障碍患者免费服药",
        "南部县精神卫生中心",
        "{year}年贫困精神障碍患者服药救助项目",
        "每月免费发放基本药物，村医督促按时服药",
        "病情稳定，全年未住院",
        Decimal("1440.00"),
    ),
    "REHAB.MENT.PSY": ServiceText(
        "心理疏导",
        "南部县精神卫生中心",
        "{year}年精神障碍社区康复项目",
        "心理咨询师入户疏导4次",
        "情绪明显好转，愿意参加村里活动",
        None,
    ),
    "CARE.HOME": ServiceText(
        "居家托养服务",
        "南部县民政局",
        "{year}年重度残疾人居家托养项目",
        "护理员每周上门3次，协助洗浴和打扫",
        "居家环境整洁，家人照护压力减轻",
        Decimal("3600.00"),
    ),
    "REHAB.MED.HOMEBED": ServiceText(
        "家庭病床",
        "建兴镇卫生院",
        "{year}年家庭医生签约服务",
        "家庭医生每月上门2次，测血压、换药",
        "压疮愈合，慢病控制平稳",
        None,
    ),
    "SOC.LIVING_SUBSIDY": ServiceText(
        "按月发放困难残疾人生活补贴",
        _CIVIL,
        "{year}年困难残疾人生活补贴",
        "按季度打卡发放，每月100元",
        "补贴按时足额到账",
        Decimal("300.00"),
    ),
    "SOC.CARE_SUBSIDY": ServiceText(
        "按月发放重度残疾人护理补贴",
        _CIVIL,
        "{year}年重度残疾人护理补贴",
        "按季度打卡发放，每月100元",
        "补贴按时足额到账",
        Decimal("300.00"),
    ),
    "SOC.DIBAO": ServiceText(
        "纳入农村最低生活保障",
        _TOWNSHIP,
        "{year}年城乡最低生活保障",
        "单人户施保，按月发放保障金",
        "基本生活有保障",
        Decimal("1395.00"),
    ),
    "SOC.MED_INS_SUBSIDY": ServiceText(
        "代缴城乡居民医疗保险个人缴费",
        "南部县医疗保障局",
        "{year}年困难群众参保资助",
        "全额资助个人缴费部分",
        "已参保，住院可按规定报销",
        Decimal("400.00"),
    ),
    "SOC.PENSION_SUBSIDY": ServiceText(
        "代缴城乡居民养老保险最低档",
        "南部县人力资源和社会保障局",
        "{year}年重度残疾人养老保险代缴",
        "政府代缴最低档次养老保险费",
        "养老保险持续缴费不断档",
        Decimal("100.00"),
    ),
    "POV.RURAL_DANGEROUS_HOUSE": ServiceText(
        "农村危房改造",
        "南部县住房和城乡建设局",
        "{year}年农村危房改造项目",
        "加固承重墙、翻修屋面",
        "住房鉴定为安全，雨季不再漏雨",
        Decimal("20000.00"),
    ),
    "EMP.HELP.VOC_TRAINING": ServiceText(
        "参加职业技能培训",
        "南部县残疾人就业服务中心",
        "{year}年残疾人职业技能培训班",
        "参加15天电商客服培训并取得结业证",
        "已在网店做客服，月收入约1800元",
        Decimal("1500.00"),
    ),
    "EMP.HELP.RURAL_TECH": ServiceText(
        "农村实用技术培训",
        "南部县农业农村局",
        "{year}年残疾人农村实用技术培训",
        "参加柑橘种植技术培训，技术员上门指导",
        "自家柑橘增产约两成",
        Decimal("600.00"),
    ),
    "EMP.SVC.PLACEMENT": ServiceText(
        "推荐就业",
        "南部县残疾人就业服务中心",
        "{year}年残疾人就业援助月活动",
        "推荐到县城企业按比例就业岗位",
        "已签订劳动合同，缴纳社保",
        None,
    ),
    "EMP.HELP.CREDIT": ServiceText(
        "扶持发展家庭养殖",
        _FEDERATION,
        "{year}年残疾人产业扶持项目",
        "发放扶持资金购买鸡苗300只并贴息贷款",
        "年底预计增收6000元",
        Decimal("3000.00"),
    ),
    "EDU.AID": ServiceText(
        "申请残疾学生资助",
        "南部县教育和科学技术局",
        "{year}年残疾学生资助",
        "落实学前至高中阶段资助政策",
        "按时入学，不因贫辍学",
        Decimal("1000.00"),
    ),
}

GENERIC_SERVICE = ServiceText(
    "按需求落实服务",
    _FEDERATION,
    "{year}年残疾人基本服务项目",
    "工作人员上门了解情况并落实服务",
    "需求已解决",
    None,
)

NOT_DELIVERED_REASONS = (
    "本人外出务工，暂时无法入户开展服务，已电话告知，待返乡后落实",
    "经评估暂不符合该项目条件，已当面向本人和家属解释政策",
    "本人表示暂不需要，已记录，下次入户时再征求意见",
    "年度项目名额已满，已列入明年首批计划并告知本人",
    "住房为租住，房东不同意改造，已告知可申请其他辅具",
)

#: Why a need went to someone else, or will not be met this year (the resident sees it).
REFERRED_REASONS = (
    "已转介县人社局就业服务中心，由其联系本人",
    "已转介乡镇卫生院家庭医生签约团队",
    "已转介县民政局，按临时救助程序办理",
)
DECLINED_REASONS = (
    "经评估本年度不符合补贴条件，已当面解释政策和申请条件",
    "本人表示暂不需要，已记录，下次入户时再征求意见",
)

NO_DEVELOPMENT_REASONS = (
    "年事已高，无劳动能力，以基本保障为主",
    "重度残疾，需长期照护，暂不具备就业条件",
    "学龄前儿童，以康复训练为主",
    "在校学生，以完成学业为主",
    "病情尚未稳定，待稳定后再评估就业意愿",
)

AGREEMENT_METHODS = ("paper", "voice", "sms", "paper", "paper")
