"""What people call the hotline about: the words of the demo's orders (what callers say, what cadres
answer, why an order goes back or is reopened) and the draws that give an order its category, type and
urgency, as the township's calls come in over a year."""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

UTILITIES = ("供暖", "供水", "供电", "燃气")  # urgent more often, and resolved within hours


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = _words(
    "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 建国 玉兰 "
    "国强 春梅 海燕 文华 志刚 红梅 德明 淑珍 金凤 卫东 永福 凤兰 长青 树林 小红 建平 桂芳"
)
PHONE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "152", "158", "159", "186", "187", "188", "177")
PLACES = ("村委会", "村卫生室", "小学门口", "文化广场", "村口", "老桥", "菜市场", "养殖小区", "砖厂", "大棚区", "水塔")
COMPANIES = ("鑫源建材有限公司", "宏达物流", "绿野农业合作社", "顺发汽修厂", "金穗面粉厂", "恒通建筑公司", "兴旺养殖场")
CROPS = ("玉米", "小麦", "大豆", "蔬菜大棚", "果树")
# category: (request types with weights, urgencies with weights, contents, results)
CATEGORY_WEIGHTS = {
    "供暖": 0,  # seasonal, see _category_weights
    "供水": 7,
    "供电": 8,
    "燃气": 4,
    "道路": 16,
    "环境卫生": 15,
    "劳资": 9,
    "房屋": 7,
    "农业": 8,
    "交通": 6,
    "噪音": 6,
    "其他": 10,
}
CONTENT = {
    "供暖": (
        "来电人反映{v}{n}组家中暖气不热，室温只有{t}度左右，家中有老人，希望尽快处理。",
        "{v}集中供暖管道在{place}附近漏水，地面结冰，存在安全隐患，请尽快维修。",
        "来电人称已按时缴纳取暖费，{v}至今仍未开始供暖，询问何时能正常供暖。",
        "{v}煤改电用户反映电采暖设备故障，多次联系厂家未上门维修。",
    ),
    "供水": (
        "{v}{n}组自来水已停水{d}天，未接到任何停水通知，村民生活用水困难。",
        "来电人反映{v}自来水水质浑浊、有异味，怀疑管网老化，希望检测水质。",
        "{v}{place}附近供水管道破裂，大量漏水，请尽快派人维修。",
    ),
    "供电": (
        "{v}{n}组电压不稳，晚上经常跳闸，家用电器无法正常使用。",
        "{v}{place}附近电线杆倾斜，电线下垂较低，存在安全隐患。",
        "来电人反映{v}{n}组家中突然停电，询问停电原因及恢复时间。",
    ),
    "燃气": (
        "{v}天然气入户工程已完工{d}个月，至今未通气，村民询问通气时间。",
        "来电人在{v}{place}附近闻到明显燃气味，怀疑管道泄漏，请求尽快处理。",
    ),
    "道路": (
        "{v}{n}组通往{place}的水泥路出现多处坑洼，雨天积水严重，出行不便。",
        "{v}村内路灯已损坏{d}周，晚上出行不安全，希望尽快维修。",
        "{v}至{v2}的村道路面塌陷，过往车辆存在安全隐患。",
        "来电人反映{v}修路后剩余建筑材料堆放在路边，影响通行。",
    ),
    "环境卫生": (
        "{v}{place}旁垃圾堆积多日无人清运，气味难闻，蚊蝇滋生。",
        "{v}{n}组有村民在河道边焚烧秸秆和垃圾，烟雾很大。",
        "来电人反映{v}{company}粪污直排沟渠，污染周边环境。",
        "{v}公共厕所长期无人打扫，卫生状况差。",
    ),
    "劳资": (
        "来电人在{v}附近的{company}务工，被拖欠工资{money}元，多次讨要未果，请求帮助。",
        "来电人反映在{v}{place}附近工地干活，包工头拖欠{k}名工人工资共计{money}元。",
        "来电人称{company}未与其签订劳动合同，也未缴纳社会保险，咨询如何维权。",
    ),
    "房屋": (
        "{v}{n}组村民房屋墙体出现裂缝，担心是危房，申请鉴定。",
        "来电人反映邻居在{v}{n}组加盖房屋，影响其家采光和通行。",
        "来电人咨询{v}农村危房改造政策及申请条件。",
    ),
    "农业": (
        "来电人反映在{v}购买的{crop}种子出苗率低，怀疑是假种子，要求查处。",
        "{v}{n}组灌溉水渠堵塞，农田无法浇水，影响{crop}生长。",
        "来电人咨询今年耕地地力保护补贴何时发放、发放标准是多少。",
    ),
    "交通": (
        "{v}村口路段车辆超速严重，希望设置减速带和警示标志。",
        "来电人反映{v}至镇上的公交班次太少，村民出行不便，建议增加班次。",
        "{v}{place}路口有大货车长期占道停放，影响通行。",
    ),
    "噪音": (
        "{v}{place}附近的{company}夜间施工噪音很大，影响周边村民休息。",
        "来电人反映{v}文化广场广场舞音响声音过大，持续到晚上十点以后。",
    ),
    "其他": (
        "来电人咨询{v}城乡居民医疗保险缴费时间和标准。",
        "来电人反映{v}{n}组有流浪犬伤人，希望相关部门处理。",
        "来电人要求{v}公开上一年度村集体收支明细。",
        "来电人感谢{v}包村干部帮助解决了家中老人的低保申请问题。",
    ),
}
RESULTS = {
    "供暖": (
        "已联系供热站上门排查，系管道内有空气，已排气处理，室温恢复至{t}度，来电人认可。",
        "已协调供热公司对漏点抢修完毕，路面结冰已清理。",
        "经核实供暖已于当日恢复，已电话告知来电人。",
    ),
    "供水": (
        "已联系供水站抢修管道，当天恢复供水，并提醒今后停水提前通知。",
        "已请县水务局取样检测，水质合格；已冲洗管网，来电人表示理解。",
    ),
    "供电": (
        "已联系镇供电所上门检修，更换老化线路，电压恢复正常。",
        "供电所已对倾斜电线杆进行加固，隐患已排除。",
    ),
    "燃气": (
        "已联系燃气公司上门检测，确认为阀门松动，已紧固处理，无泄漏。",
        "已向燃气公司核实通气计划，预计下月底通气，已告知来电人。",
    ),
    "道路": (
        "已安排施工队对坑洼路段进行修补，现已恢复通行。",
        "已更换损坏路灯{d}盏，夜间照明恢复正常。",
        "已清理路边堆放的建筑材料，道路畅通。",
    ),
    "环境卫生": (
        "已安排保洁人员清运垃圾，并增加清运频次。",
        "已对焚烧行为进行劝阻教育，现场已清理，并加强巡查。",
        "已会同环保部门现场检查，责令养殖场限期整改。",
    ),
    "劳资": (
        "经协调，用工方已支付拖欠工资{money}元，来电人确认收到。",
        "已告知来电人可向县劳动保障监察大队投诉或申请劳动仲裁，并提供联系方式。",
    ),
    "房屋": (
        "已联系镇规划建设办公室上门查看，建议来电人申请危房鉴定，已告知流程。",
        "已到现场协调双方，加盖部分已按规划要求调整。",
    ),
    "农业": (
        "已联系县农业农村局执法大队调查，已对种子取样送检。",
        "已组织人员疏通水渠，灌溉恢复正常。",
        "已告知来电人补贴发放时间及标准，来电人表示清楚。",
    ),
    "交通": (
        "已向县交通运输局反映，村口路段已设置减速带和警示牌。",
        "已将增加班次的建议转交县公交公司，已答复来电人。",
    ),
    "噪音": (
        "已到现场要求施工方夜间22时后停止施工，来电人认可。",
        "已与广场舞队伍负责人沟通，降低音量并于21时前结束。",
    ),
    "其他": (
        "已电话答复来电人相关政策及办理流程，来电人表示清楚。",
        "已联系相关部门处理，并将处理情况告知来电人。",
    ),
}
RETURN_ELSEWHERE = "经核实，事发地点属于{v2}，不是本村辖区，请改派。"
RETURN_NOT_OURS = "该问题属于{dept}职责范围，村里无法处理，请镇里协调。"
DEPARTMENTS = ("县供电公司", "县水务局", "县交通运输局", "镇综合执法队", "县市场监管局")
REOPEN_REASONS = (
    "回访时来电人表示问题未解决，要求重新办理。",
    "来电人反映处理后问题再次出现，要求重办。",
    "回访不满意：来电人认为答复不具体，要求现场处理。",
)
NOTES = (
    "已电话联系来电人，约定明天上门查看。",
    "已现场查看，情况属实，正在协调处理。",
    "已上报镇里协调相关部门。",
    "来电人电话暂时无法接通，稍后再联系。",
)
EXTENSION_REASONS = (
    "需协调县供电公司现场施工，时限内无法完成。",
    "涉及多户村民，需召开村民代表会议商议。",
    "等待检测结果，预计三个工作日内出结果。",
)
CALLBACK_NOTES = {"satisfied": "来电人表示满意。", "basic": "来电人表示基本满意。", "unsatisfied": "来电人表示不满意。"}


def draw_call(rng: random.Random, received: datetime, zone: ZoneInfo) -> tuple[str, str, str]:
    """(category, request type, urgency) of a call received at `received`, as the township's calls go."""
    category = rng.choices(list(CATEGORY_WEIGHTS), weights=_category_weights(received, zone))[0]
    return category, _request_type(rng, category), _urgency(rng, category)


def fill(rng: random.Random, template: str, village: str, villages: list[str], **extra) -> str:
    """A template with its blanks filled: this village, another one, a group, a place, a sum of money..."""
    values = dict(
        v=village,
        v2=rng.choice([v for v in villages if v != village] or [village]),
        n=rng.choice("一二三四五六七八"),
        t=rng.randint(12, 16),
        d=rng.randint(2, 6),
        k=rng.randint(3, 12),
        place=rng.choice(PLACES),
        company=rng.choice(COMPANIES),
        crop=rng.choice(CROPS),
        money=f"{rng.randint(8, 260) * 100:,}",
        dept=rng.choice(DEPARTMENTS),
    )
    values.update(extra)
    return template.format(**values)


def _category_weights(received: datetime, zone: ZoneInfo) -> list[int]:
    """Heating calls only in the heating season (mid-November to mid-March), and many then."""
    local = received.astimezone(zone)
    heating = (
        local.month in (12, 1, 2) or (local.month == 11 and local.day >= 10) or (local.month == 3 and local.day < 20)
    )
    return [(22 if heating else 0) if c == "供暖" else w for c, w in CATEGORY_WEIGHTS.items()]


def _request_type(r: random.Random, category: str) -> str:
    if category in ("劳资", "环境卫生", "噪音"):
        return r.choices(("投诉", "举报", "求助"), (60, 20, 20))[0]
    return r.choices(("求助", "投诉", "咨询", "建议", "其他"), (40, 25, 22, 8, 5))[0]


def _urgency(r: random.Random, category: str) -> str:
    if category in UTILITIES:
        return r.choices(("一般", "紧急", "特急"), (60, 30, 10))[0]
    return r.choices(("一般", "紧急"), (94, 6))[0]
