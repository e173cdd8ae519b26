"""The demo township: `flask --app wsgi demo-data [--orders N] [--if-empty] [--seed S]`.

Without --orders: ten villages in three mediation districts, the people who work them (passwords
generated, printed and kept in instance/demo-logins.txt, mode 600), and fourteen months of hotline
orders and dispute cases up to now, every step driven through the real workflow services with
timestamps in the past, so the history is the one the app would have written.

--orders N: N more generated orders, fast (Core bulk inserts in batches), with their history rows
(receive, and assign / resolve / callback for the orders that got that far), for benchmarks.
"""

import contextlib
import json
import os
import random
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from sqlalchemy import JSON, DateTime, func, insert, select, text
from werkzeug.security import check_password_hash, generate_password_hash

from . import workflow as wf
from .clock import local_zone
from .extensions import db
from .models import Case, CaseEvent, District, Reply, User, Village, utcnow

MONTHS = 14
ORDERS_PER_DAY = 2.5  # about 1,100 orders in fourteen months
DISPUTES_PER_DAY = 0.33
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing to confuse on a phone keyboard

# --- the township --------------------------------------------------------------------------------

DISTRICTS = ("河东调解片区", "河西调解片区", "山前调解片区")
# (name, aliases: former names and what callers say, district index)
VILLAGES = (
    ("柳河村", "柳河屯,柳河", 0),
    ("王家庄村", "王家庄", 0),
    ("李家湾村", "李家湾,李湾", 0),
    ("石桥村", "石桥子", 1),
    ("杏花村", "杏花峪", 1),
    ("青龙村", "青龙湾", 1),
    ("白马村", "白马庄", 2),
    ("新华村", "原三合村,三合", 2),
    ("东坡村", "东坡", 2),
    ("红星村", "红星大队", 2),
)
# (username, name, villages served: the first is the one they are the default cadre of, unless listed below)
CADRES = (
    ("liuzhiqiang", "刘志强", ("柳河村",)),
    ("wangjianjun", "王建军", ("王家庄村", "李家湾村")),  # serves two villages, default cadre of both
    ("zhaoxiuying", "赵秀英", ("石桥村",)),
    ("sunhaitao", "孙海涛", ("杏花村", "青龙村")),  # also backs up 青龙村
    ("zhouyan", "周艳", ("青龙村",)),
    ("wugang", "吴刚", ("白马村",)),
    ("zhengli", "郑丽", ("新华村",)),
    ("fengxuedong", "冯学东", ("东坡村", "红星村")),  # backs up 红星村
    ("hemei", "何梅", ("红星村",)),
)
BACKUPS = {("sunhaitao", "青龙村"), ("fengxuedong", "红星村")}  # served, but not the default cadre
MEDIATORS = (  # district mediators, then the township centre (综治中心); cadres serving no village
    ("yangguoqing", "杨国庆"),
    ("huangshufen", "黄淑芬"),
    ("xuwenbin", "徐文斌"),
    ("luodefu", "罗德福"),
)
STAFF = (
    ("admin", "系统管理员", "admin"),
    ("dispatcher", "陈静", "dispatcher"),
    ("dispatcher2", "周敏", "dispatcher"),
    ("leader", "刘建国", "leader"),
)

# --- what people call about ----------------------------------------------------------------------


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

# dispute type: (summary, agreement terms, failure route)
DISPUTES = {
    "婚姻家庭": (
        "{a}与{b}系夫妻，因家庭琐事及子女抚养问题多次争吵，{a}申请调解。",
        "双方同意和好，{b}承诺不再酗酒，家庭开支由双方共同商量。",
        "已告知双方可向县人民法院起诉离婚或申请诉前调解。",
    ),
    "邻里纠纷": (
        "{a}与{b}系邻居，因{b}在两家之间修建围墙、排水沟引发纠纷。",
        "{b}将围墙后移三十公分，排水沟改道，费用由{b}承担，于{due}前完成。",
        "已告知双方可向县人民法院提起诉讼。",
    ),
    "房屋宅基地": (
        "{a}与{b}因宅基地界址不清发生争执，双方各执一词。",
        "双方按照{year}年确权登记界址为准，共同出资立界桩。",
        "已告知双方可申请县自然资源局行政裁决，或向人民法院起诉。",
    ),
    "土地承包": (
        "{a}反映其承包地被{b}占种两年，要求返还土地并赔偿损失。",
        "{b}于秋收后返还承包地，并补偿{a}损失{money}元，于{due}前付清。",
        "已告知当事人可向县农村土地承包仲裁委员会申请仲裁。",
    ),
    "山林权属": (
        "{a}与{b}两户因山林边界及林木采伐收益发生争议。",
        "双方以林权证四至为界，已采伐林木收益平分。",
        "已告知双方可申请县人民政府确权处理。",
    ),
    "合同债务": (
        "{a}称{b}借款{money}元逾期未还，多次催要未果。",
        "{b}分三期归还借款{money}元，最后一期于{due}前付清。",
        "已告知{a}可向县人民法院提起诉讼。",
    ),
    "损害赔偿": (
        "{b}家的狗咬伤{a}，双方就医疗费赔偿发生争议。",
        "{b}一次性赔偿{a}医疗费、误工费共计{money}元，当场付清。",
        "已告知{a}可向县人民法院提起诉讼。",
    ),
    "劳动争议": (
        "{a}等{k}人在{company}务工，被拖欠工资共计{money}元。",
        "{company}于{due}前分两次付清拖欠工资{money}元。",
        "已告知当事人可向县劳动人事争议仲裁委员会申请仲裁。",
    ),
    "征地拆迁": (
        "{a}对村道拓宽工程占用其承包地的补偿标准有异议。",
        "按照县里公布标准补偿，另对地上附着物补偿{money}元。",
        "已告知{a}可申请行政复议或提起行政诉讼。",
    ),
    "环境污染": (
        "{a}等村民反映{company}排放污水，造成农田减产，要求赔偿。",
        "{company}完成污水处理设施整改，并补偿受损农户共计{money}元。",
        "已告知村民可向县生态环境局投诉，或向人民法院提起诉讼。",
    ),
    "其他": (
        "{a}与{b}因合伙养殖分红问题发生争执。",
        "双方按出资比例分配收益，{b}于{due}前支付{money}元。",
        "已告知双方可向县人民法院提起诉讼。",
    ),
}
DISPUTE_WEIGHTS = {
    "婚姻家庭": 10,
    "邻里纠纷": 22,
    "房屋宅基地": 14,
    "土地承包": 12,
    "山林权属": 4,
    "合同债务": 10,
    "损害赔偿": 9,
    "劳动争议": 8,
    "征地拆迁": 4,
    "环境污染": 3,
    "其他": 4,
}
MEDIATION_NOTES = (
    "第一次调解：双方分歧在于赔偿金额，约定三日后再次调解。",
    "已到现场查看，听取双方意见，做通一方工作。",
    "邀请村里老党员参与调解，双方情绪平稳。",
)
WITHDRAWN = "当事人表示已自行协商解决，申请撤回调解。"
ESCALATION_NOTES = {"district": "村级调解未成，提交片区调解。", "centre": "片区调解未成，提交镇综治中心。"}


# --- the command ---------------------------------------------------------------------------------


@click.command("demo-data")
@click.option("--orders", type=click.IntRange(min=1), default=None, help="Add N generated orders fast (benchmarks).")
@click.option("--if-empty", is_flag=True, help="Load only into an empty database; otherwise show the logins again.")
@click.option("--months", type=click.IntRange(1, 36), default=MONTHS, show_default=True, help="Months of history.")
@click.option("--seed", type=int, default=20261130, show_default=True, help="Random seed (same seed, same data).")
@click.option("--logins-file", type=click.Path(dir_okay=False), default=None, help="Default: instance/demo-logins.txt")
def demo_data_command(orders: int | None, if_empty: bool, months: int, seed: int, logins_file: str | None) -> None:
    """Load the demo township with fourteen months of history, or add N orders for benchmarks."""
    logins = Path(logins_file) if logins_file else default_logins_file()
    now = utcnow().replace(second=0, microsecond=0)
    if not database_is_empty():
        if if_empty:
            click.echo("The database already holds data; the demo township is not loaded again.")
            if marked := mark_demo_accounts(logins):
                click.echo("Marked as demo accounts (loaded before they were marked): " + ", ".join(marked))
            click.echo(logins.read_text() if logins.exists() else "(no demo logins file: " + str(logins) + ")")
            return
        if orders is None:
            raise click.ClickException("The database is not empty. demo-data loads into an empty database only.")
        if not has_township():
            raise click.ClickException("--orders needs villages with default cadres and a dispatcher.")
    else:
        started = time.perf_counter()
        passwords = load_township(seed=seed, now=now, months=months)
        db.session.commit()
        write_logins(logins, passwords)
        click.echo(logins.read_text())
        click.echo(f"Demo township loaded in {time.perf_counter() - started:.1f} s: {summary()}")
    if orders:
        add_orders(orders, seed=seed, now=now, echo=click.echo)


def database_is_empty() -> bool:
    return not any(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Village, Case))


def has_township() -> bool:
    villages = db.session.scalar(select(func.count()).where(Village.default_cadre_id.is_not(None)))
    dispatchers = db.session.scalar(select(func.count()).where(User.role == "dispatcher", User.active))
    return bool(villages and dispatchers)


def summary() -> str:
    rows = db.session.execute(select(Case.kind, Case.state, func.count()).group_by(Case.kind, Case.state)).all()
    return ", ".join(f"{kind} {state} {n}" for kind, state, n in sorted(rows))


def default_logins_file() -> Path:
    """instance/demo-logins.txt for the instance's own database (what `make run` shows); a database
    elsewhere keeps its logins beside it, so that loading it never overwrites the instance's logins."""
    from config import Config

    url = db.engine.url
    if url.render_as_string() == Config.SQLALCHEMY_DATABASE_URI or not (url.drivername == "sqlite" and url.database):
        return Path(current_app.instance_path) / "demo-logins.txt"
    return Path(f"{url.database}.demo-logins.txt")


def listed_logins(path: Path) -> dict[str, str]:
    """The usernames and passwords a logins file written by write_logins lists (none if there is no file)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[2:]
    except (OSError, UnicodeDecodeError):
        return {}
    listed = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2:
            listed[parts[0]] = parts[1]
    return listed


def mark_demo_accounts(logins: Path) -> list[str]:
    """Demo accounts loaded before migration 0012 have demo=False: the tour's admin would be forced into
    the second-factor setup. Mark as demo the users the logins file lists whose stored hash still matches
    the listed password (an account whose password was changed since is left as it is). Commits; the
    usernames marked."""
    listed = listed_logins(logins)
    if not listed:
        return []
    users = db.session.scalars(select(User).where(User.username.in_(listed), User.demo.is_(False)))
    marked = [user for user in users if _matches(user.password_hash, listed[user.username])]
    for user in marked:
        user.demo = True
    db.session.commit()
    return sorted(user.username for user in marked)


def _matches(password_hash: str | None, password: str) -> bool:
    try:
        return bool(password_hash) and check_password_hash(password_hash, password)
    except ValueError:  # a hash in a form werkzeug does not know: not the listed password
        return False


def write_logins(path: Path, passwords: list[tuple[User, str]]) -> None:
    """The demo logins, readable by the owner only (mode 600), created so from the start."""
    lines = ["Demo logins (also in " + str(path) + "):", f"  {'username':<14} {'password':<12} role        name"]
    mediated = {d.mediator_id: d.name for d in db.session.scalars(select(District))}
    for user, password in passwords:
        works = _works(user, mediated)
        lines.append(f"  {user.username:<14} {password:<12} {user.role:<11} {user.name} {works}".rstrip())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def _works(user: User, mediated: dict[int, str]) -> str:
    """Where a cadre works: the villages served, or the mediation district, or the township centre."""
    if user.villages:
        return "、".join(v.name for v in user.villages)
    if user.id in mediated:
        return mediated[user.id] + "调解员"
    return "镇综治中心调解员" if user.role == "cadre" else ""


# --- the township and its people -----------------------------------------------------------------


def _password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(10))


@dataclass
class Township:
    districts: list[District]
    villages: dict[str, Village]
    cadres: dict[str, User]
    mediators: list[User]  # one per district, then the township centre's
    dispatchers: list[User]
    passwords: list[tuple[User, str]] = field(default_factory=list)


def create_township() -> Township:
    """Districts, villages, staff, cadres (each village's default cadre set) and mediators."""
    everyone = [*STAFF, *((u, n, "cadre") for u, n, _ in CADRES), *((u, n, "cadre") for u, n in MEDIATORS)]
    credentials = _credentials([username for username, _, _ in everyone])
    passwords: list[tuple[User, str]] = []

    def person(username: str, name: str, role: str) -> User:
        password, password_hash = credentials[username]
        # demo: the tour's logins are never forced to change password or enrol (issue 9)
        user = User(username=username, name=name, role=role, password_hash=password_hash, demo=True)
        passwords.append((user, password))
        db.session.add(user)
        return user

    staff = {username: person(username, name, role) for username, name, role in STAFF}
    districts = [District(name=name) for name in DISTRICTS]
    villages = {name: Village(name=name, aliases=aliases, district=districts[d]) for name, aliases, d in VILLAGES}
    cadres = {}
    for username, name, served in CADRES:
        cadres[username] = cadre = person(username, name, "cadre")
        cadre.villages = [villages[v] for v in served]
        for v in served:
            if (username, v) not in BACKUPS:
                villages[v].default_cadre = cadre
    mediators = [person(username, name, "cadre") for username, name in MEDIATORS]
    for district, mediator in zip(districts, mediators, strict=False):
        district.mediator = mediator
    db.session.add_all([*districts, *villages.values()])
    db.session.flush()
    dispatchers = [staff["dispatcher"], staff["dispatcher2"]]
    return Township(districts, villages, cadres, mediators, dispatchers, passwords)


def _credentials(usernames: list[str]) -> dict[str, tuple[str, str]]:
    """A new password for each, hashed as any password is (scrypt), several at once: hashlib releases
    the GIL while it works, so this takes the time of a few hashes, not of seventeen."""
    passwords = [_password() for _ in usernames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = list(pool.map(generate_password_hash, passwords))
    return {u: (p, h) for u, p, h in zip(usernames, passwords, hashes, strict=True)}


# --- fourteen months of history ------------------------------------------------------------------


class _Later(Exception):
    """The next step of a case's life would happen after now: the case stays where it is."""


class Story:
    """Drives cases through the real workflow services, each step at a time in the past."""

    def __init__(self, town: Township, rng: random.Random, now: datetime, zone: ZoneInfo):
        self.town, self.rng, self.now, self.zone = town, rng, now, zone
        self.polls = [tuple(int(x) for x in t.split(":")) for t in current_app.config["POLL_TIMES"].split(",")]
        self.village_list = list(town.villages.values())
        self.order_seq: dict[date, int] = {}
        self.problem_orders = 0

    # time ---------------------------------------------------------------------------------------

    def at(self, when: datetime) -> datetime:
        if when > self.now:
            raise _Later
        return when

    def local(self, day: date, hour: int, minute: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone).astimezone(UTC)

    def next_poll(self, after: datetime) -> datetime:
        """When a dispatcher next looks at the platform (four times a day), plus the minutes it takes."""
        local = after.astimezone(self.zone)
        for offset in range(3):
            day = local.date() + timedelta(days=offset)
            for hour, minute in self.polls:
                slot = self.local(day, hour, minute)
                if slot >= after:
                    return slot + timedelta(minutes=self.rng.randint(2, 40))
        raise AssertionError("no poll slot within three days")

    def working_time(self, after: datetime, hours: float) -> datetime:
        """`hours` later, moved into the next working hours (08:00-18:00) when it falls outside them."""
        when = (after + timedelta(hours=hours)).astimezone(self.zone)
        if when.hour < 8:
            when = when.replace(hour=8, minute=self.rng.randint(0, 59))
        elif when.hour >= 18:
            when = (when + timedelta(days=1)).replace(hour=8, minute=self.rng.randint(0, 59))
        return when.astimezone(UTC)

    # people -------------------------------------------------------------------------------------

    def dispatcher(self) -> User:
        return self.rng.choice(self.town.dispatchers)

    def person_name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"

    def other_cadre(self, village: Village, than: User | None) -> User | None:
        others = [c for c in village.cadres if c.id != (than.id if than else None)]
        return self.rng.choice(others) if others else None

    # text ---------------------------------------------------------------------------------------

    def fill(self, template: str, village: Village, **extra) -> str:
        return fill(self.rng, template, village.name, [v.name for v in self.village_list], **extra)

    # hotline orders -----------------------------------------------------------------------------

    def order_number(self, received: datetime) -> str:
        day = received.astimezone(self.zone).date()
        self.order_seq[day] = self.order_seq.get(day, 0) + 1
        return f"GD{day:%Y%m%d}{self.order_seq[day]:04d}"

    def receive(self, received: datetime, village: Village) -> Case:
        r = self.rng
        category = r.choices(list(CATEGORY_WEIGHTS), weights=_category_weights(received, self.zone))[0]
        request_type, urgency = _request_type(r, category), _urgency(r, category)
        content = self.fill(r.choice(CONTENT[category]), village)
        if content.startswith("来电人感谢"):
            request_type = "感谢"
        ack_due, due = deadlines(request_type, urgency, received, category)
        return wf.receive_order(
            None,
            number=self.order_number(received),
            received_at=received,
            village=village if r.random() > 0.03 else None,  # a few come without a known village
            category=category,
            content=content,
            address=f"{current_app.config['TOWNSHIP_NAME']}{village.name}{r.choice('一二三四五六七八')}组",
            urgency=urgency,
            request_type=request_type,
            caller_name=self.person_name() if r.random() > 0.08 else "匿名",
            caller_phone=self.phone(),
            ack_due_at=ack_due,
            due_at=due,
        )

    def order_life(self, received: datetime, village: Village, stuck: bool = False) -> Case:
        """One order from the platform to its callback, as far as it got by now."""
        case = self.receive(received, village)
        with contextlib.suppress(_Later):
            self._handle(case, village, stuck)
        return case

    def _handle(self, case: Case, village: Village, stuck: bool) -> None:
        r = self.rng
        when = self.next_poll(case.received_at)
        self._assign(case, village, when)
        when = self.working_time(when, r.uniform(1, 8))
        if r.random() < 0.06:
            when, village = self._return(case, village, when)
        elif r.random() < 0.12 and len(village.cadres) > 1:
            when = self.next_poll(when)
            wf.reassign(case, self.dispatcher(), assignee=self.other_cadre(village, case.assignee), at=self.at(when))
        if r.random() < 0.1:
            when = self.working_time(when, r.uniform(0.5, 6))
            wf.add_note(case, case.assignee, note=r.choice(NOTES), at=self.at(when))
        if case.category in ("劳资", "房屋") and r.random() < 0.15:
            when = self._convert(case, village, when)
        when = self._maybe_extend(case, when)
        if stuck:
            return
        self._resolve_and_call_back(case, village, when, reopen_times=0)

    def _maybe_extend(self, case: Case, when: datetime) -> datetime:
        """延期: now and then the cadre asks for more time before the deadline; a dispatcher decides at the
        next check. Only for deadlines still ahead: the workflow checks them against the present time."""
        r, request = self.rng, getattr(wf, "request_extension", None)
        if request is None or case.due_at is None or case.due_at <= self.now or r.random() > 0.35:
            return when
        asked = min(self.working_time(when, r.uniform(1, 12)), self.now)
        days = r.randint(1, current_app.config.get("EXTENSION_MAX_DAYS", 3))
        request(case, case.assignee, reason=r.choice(EXTENSION_REASONS), working_days=days, at=self.at(asked))
        decided = self.next_poll(asked)
        if r.random() < 0.75:
            wf.grant_extension(case, self.dispatcher(), note="同意延期。", at=self.at(decided))
        else:
            wf.refuse_extension(case, self.dispatcher(), reason="时限内可以办结，请抓紧办理。", at=self.at(decided))
        return decided

    def _assign(self, case: Case, village: Village, when: datetime) -> None:
        """派单 to the village's default cadre, mostly; an order without a village gets it from its address."""
        assignee = village.default_cadre if self.rng.random() < 0.92 else self.other_cadre(village, None)
        wf.assign(
            case,
            self.dispatcher(),
            assignee=assignee or village.default_cadre,
            village=village if case.village_id is None else None,
            at=self.at(when),
        )

    def _return(self, case: Case, village: Village, when: datetime) -> tuple[datetime, Village]:
        """退单: wrong village (then assigned there) or a matter for a department (then reassigned here)."""
        r = self.rng
        elsewhere = r.random() < 0.6
        target = r.choice([v for v in self.village_list if v is not village]) if elsewhere else village
        reason = self.fill(RETURN_ELSEWHERE if elsewhere else RETURN_NOT_OURS, village, v2=target.name)
        wf.return_to_dispatcher(case, case.assignee, reason=reason, at=self.at(when))
        when = self.next_poll(when)
        wf.assign(
            case,
            self.dispatcher(),
            assignee=target.default_cadre,
            village=target if elsewhere else None,
            note="" if elsewhere else "已协调相关部门配合办理。",
            at=self.at(when),
        )
        return self.working_time(when, r.uniform(1, 6)), target

    def _resolve_and_call_back(self, case: Case, village: Village, when: datetime, reopen_times: int) -> None:
        r = self.rng
        when = self._resolve_order(case, village, when)
        when = self.working_time(when, r.uniform(18, 60))
        problem = reopen_times > 0  # a problem order (问题工单): the caller stays unsatisfied
        satisfaction = "unsatisfied" if problem else r.choices(("satisfied", "basic", "unsatisfied"), (72, 19, 9))[0]
        if r.random() > 0.88 and not problem:
            return  # not every caller is reached
        solved = satisfaction != "unsatisfied" or r.random() < 0.25
        note = CALLBACK_NOTES[satisfaction]
        wf.record_callback(
            case, self.dispatcher(), solved=solved, satisfaction=satisfaction, note=note, at=self.at(when)
        )
        if satisfaction == "unsatisfied" and (problem or r.random() < 0.7):
            when = self.next_poll(when)
            wf.reopen(case, self.dispatcher(), reason=r.choice(REOPEN_REASONS), at=self.at(when))
            self._resolve_and_call_back(case, village, self.working_time(when, r.uniform(2, 20)), reopen_times - 1)

    def _resolve_order(self, case: Case, village: Village, when: datetime) -> datetime:
        r = self.rng
        hours = r.uniform(2, 20) if case.urgency != "一般" or case.category in ("供暖", "供水", "供电", "燃气") else 0
        hours = hours or r.choice(
            (r.uniform(4, 48), r.uniform(24, 120), r.uniform(48, 240) if r.random() < 0.2 else 30)
        )
        when = self.working_time(when, hours)
        actor = case.assignee if r.random() < 0.9 else self.dispatcher()
        result = self.fill(r.choice(RESULTS[case.category]), village)
        wf.resolve(case, actor, result=result, at=self.at(when))
        self._reply_entered(case, when)
        return when

    def _reply_entered(self, case: Case, resolved: datetime) -> None:
        """The outbox's reply (if the workflow wrote one) dates from the resolution; staff entered it
        on the platform within hours, except for the latest ones, which still wait for them."""
        reply = db.session.scalar(
            select(Reply).where(Reply.case_id == case.id, Reply.sent_at.is_(None)).order_by(Reply.id.desc())
        )
        if reply is None:
            return
        reply.created_at = resolved
        entered = self.working_time(resolved, self.rng.uniform(1, 20))
        if entered < self.now - timedelta(days=1):
            reply.sent_at, reply.sent_via = entered, "manual"

    def _convert(self, case: Case, village: Village, when: datetime) -> datetime:
        """A wage or housing order that turns out to be a dispute: registered from the order."""
        r = self.rng
        when = self.working_time(when, r.uniform(2, 24))
        category = "劳动争议" if case.category == "劳资" else r.choice(("房屋宅基地", "邻里纠纷"))
        dispute = wf.convert_to_dispute(
            case,
            self.dispatcher(),
            village=case.village,
            category=category,
            content=f"由12345工单{case.number}转入：{case.content}",
            parties=self.parties(category),
            received_at=self.at(when),
            at=when,
        )
        with contextlib.suppress(_Later):
            self._mediate(dispute, case.village, when)
        return when

    def problem_order(self, received: datetime, village: Village, reopen_times: int) -> Case:
        """An order reopened `reopen_times` times (三次以上重办: a problem order for supervision)."""
        case = self.receive(received, village)
        try:
            when = self.next_poll(received)
            self._assign(case, village, when)
            self._resolve_and_call_back(case, village, self.working_time(when, 3), reopen_times)
        except _Later:
            pass
        return case

    # disputes -----------------------------------------------------------------------------------

    def parties(self, category: str) -> list[dict]:
        """申请人 and 被申请人; a party the other side (a company) is named after the category's template."""
        return [{"name": self.person_name(), "contact": self.phone(), "role": role} for role in ("申请人", "被申请人")]

    def dispute_life(self, registered: datetime, village: Village, unassigned: bool = False) -> Case:
        """One dispute from registration (screening, a visit or a referral) to its outcome, as far as by now."""
        r = self.rng
        category = r.choices(list(DISPUTE_WEIGHTS), weights=list(DISPUTE_WEIGHTS.values()))[0]
        source = r.choices(("排查", "来访", "移交", "其他"), (45, 35, 15, 5))[0]
        actor = village.default_cadre if source == "排查" else self.dispatcher()
        parties = self.parties(category)
        a, b = parties[0]["name"], parties[1]["name"]
        case = wf.register_dispute(
            actor,
            village=village,
            category=category,
            source=source,
            content=self.fill(DISPUTES[category][0], village, a=a, b=b),
            parties=parties,
            address=f"{current_app.config['TOWNSHIP_NAME']}{village.name}",
            received_at=registered,
            at=registered,
        )
        if not unassigned:
            with contextlib.suppress(_Later):
                self._mediate(case, village, registered)
        return case

    def _mediate(self, case: Case, village: Village, when: datetime) -> None:
        r = self.rng
        when = self.next_poll(when)
        wf.assign(case, self.dispatcher(), assignee=village.default_cadre, at=self.at(when))
        when = self.working_time(when, r.uniform(4, 72))
        if r.random() < 0.5:
            wf.add_note(case, case.assignee, note=r.choice(MEDIATION_NOTES), at=self.at(when))
            when = self.working_time(when, r.uniform(24, 96))
        if r.random() < 0.28:
            when = self._escalate(case, village, when, "district")
            if r.random() < 0.35:
                when = self._escalate(case, village, when, "centre")
        self._settle(case, village, when)

    def _escalate(self, case: Case, village: Village, when: datetime, tier: str) -> datetime:
        mediator = self.town.mediators[self.town.districts.index(village.district) if tier == "district" else -1]
        wf.escalate(case, case.assignee, assignee=mediator, note=ESCALATION_NOTES[tier], at=self.at(when))
        return self.working_time(when, self.rng.uniform(48, 240))

    def _settle(self, case: Case, village: Village, when: datetime) -> None:
        r = self.rng
        outcome = r.choices(("settled", "failed", "withdrawn"), (66, 20, 14))[0]
        a, b = case.parties[0].name, case.parties[-1].name
        due = (when + timedelta(days=r.randint(10, 60))).astimezone(self.zone).date()
        terms = self.fill(DISPUTES[case.category][1], village, a=a, b=b, due=f"{due:%Y年%m月%d日}", year=due.year - 8)
        route = self.fill(DISPUTES[case.category][2], village, a=a, b=b)
        result = {"settled": "经调解，双方达成协议：" + terms, "failed": "调解不成。" + route, "withdrawn": WITHDRAWN}
        wf.resolve(
            case,
            case.assignee,
            result=result[outcome],
            outcome=outcome,
            agreement_terms=terms if outcome == "settled" else "",
            performance_deadline=due if outcome == "settled" else None,
            failure_route=route if outcome == "failed" else "",
            at=self.at(when),
        )
        if outcome == "settled" and r.random() < 0.05:  # the agreement was not performed: mediate again
            when = self.next_poll(when + timedelta(days=r.randint(10, 40)))
            wf.reopen(case, self.dispatcher(), reason="协议未履行，当事人申请再次调解。", at=self.at(when))
            self._settle(case, village, self.working_time(when, r.uniform(24, 120)))


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
    if category in ("燃气", "供电", "供暖", "供水"):
        return r.choices(("一般", "紧急", "特急"), (60, 30, 10))[0]
    return r.choices(("一般", "紧急"), (94, 6))[0]


def deadlines(request_type: str, urgency: str, received: datetime, category: str) -> tuple[datetime, datetime]:
    """(ack_due_at, due_at) by the intake's rules (casework.deadlines) when present; else a rule of thumb:
    acknowledge within 2 hours when urgent, else a day; due in 24 hours for utilities and urgent calls,
    else 3 calendar days for a question and 7 (about five working days) for the rest."""
    try:
        from .deadlines import deadlines_for
    except ImportError:
        ack = received + timedelta(hours=2 if urgency != "一般" else 24)
        urgent = urgency != "一般" or category in ("供暖", "供水", "供电", "燃气")
        return ack, received + timedelta(days=1 if urgent else 3 if request_type == "咨询" else 7)
    return deadlines_for(request_type, urgency, received, category=category)


def load_township(seed: int, now: datetime, months: int = MONTHS) -> list[tuple[User, str]]:
    """The township and `months` months of cases up to `now`; returns the logins. The caller commits."""
    town = create_township()
    rng = random.Random(seed)
    story = Story(town, rng, now, local_zone())
    start = _months_before(now, months)
    for received, kind in _arrivals(rng, start, now, story.zone):
        village = rng.choice(story.village_list)
        stuck = kind == "order" and now - received > timedelta(days=10) and rng.random() < 0.012
        if kind == "order":
            story.order_life(received, village, stuck=stuck)
        else:
            story.dispute_life(received, village)
    _the_rare_cases(story, start, now)
    return town.passwords


def _the_rare_cases(story: Story, start: datetime, now: datetime) -> None:
    """What chance alone might leave out: problem orders, fresh arrivals, an unassigned dispute."""
    rng, window = story.rng, now - start
    for share, times in ((0.5, 3), (0.3, 4), (0.18, 3), (0.1, 3)):
        received = now - window * share + timedelta(minutes=rng.randint(0, 600))
        story.problem_order(received, rng.choice(story.village_list), times)
    for minutes in (25, 70, 140):
        story.order_life(now - timedelta(minutes=minutes), rng.choice(story.village_list), stuck=True)
    story.receive(now - timedelta(minutes=8), rng.choice(story.village_list))  # not yet seen by a dispatcher
    story.dispute_life(now - timedelta(minutes=50), rng.choice(story.village_list), unassigned=True)


def _arrivals(rng: random.Random, start: datetime, now: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, str]]:
    """Orders and disputes as they came in, in time order: more on weekdays, mostly in the daytime."""
    day = start.astimezone(zone).date()
    while True:
        weekday = day.weekday() < 5
        arrivals = [
            (_daytime(rng, day, zone), "order")
            for _ in range(_poisson(rng, ORDERS_PER_DAY * (1.15 if weekday else 0.6)))
        ]
        if weekday:
            arrivals += [(_daytime(rng, day, zone), "dispute") for _ in range(_poisson(rng, DISPUTES_PER_DAY * 1.4))]
        for when, kind in sorted(arrivals):
            if when > now:
                return
            if when >= start:
                yield when, kind
        day += timedelta(days=1)


def _daytime(rng: random.Random, day: date, zone: ZoneInfo) -> datetime:
    hour = rng.choices(range(24), weights=[1, 1, 0, 0, 0, 1, 2, 5, 9, 10, 10, 9, 6, 7, 9, 10, 9, 8, 7, 6, 5, 4, 3, 2])[
        0
    ]
    return datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=zone).astimezone(UTC)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; fine for the small means here."""
    limit, k, p = pow(2.718281828459045, -mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _months_before(now: datetime, months: int) -> datetime:
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    return now.replace(year=year, month=month + 1, day=min(now.day, 28))


# --- many orders, fast ---------------------------------------------------------------------------

BATCH = 20_000
CASE_COLUMNS = (
    "id",
    "kind",
    "number",
    "state",
    "version",
    "received_at",
    "village_id",
    "assignee_id",
    "category",
    "content",
    "address",
    "urgency",
    "due_at",
    "ack_due_at",
    "acknowledged_at",
    "result",
    "resolved_at",
    "reopen_count",
    "extension_count",
    "created_at",
    "updated_at",
    "caller_name",
    "caller_phone",
    "request_type",
    "callback_solved",
    "callback_satisfaction",
    "callback_at",
    "source",
)
EVENT_COLUMNS = ("id", "case_id", "at", "actor_id", "action", "from_state", "to_state", "note", "data")


def add_orders(n: int, seed: int, now: datetime, echo=print) -> None:
    """Add `n` orders over the last fourteen months with bulk inserts, committing each batch.

    States as an office's books look: nearly all resolved (about half of them called back), some
    assigned (a few of those overdue), a few still received; the newest the least advanced. Each
    order gets its history rows: receive, and assign / resolve / callback as far as it went.
    Rows are built as tuples already in the database's form and sent with the driver's executemany
    through SQLAlchemy (exec_driver_sql): the ORM or per-row parameter processing would triple the time.
    """
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB: the indexes stay in memory while growing
    gen = BulkOrders(seed, now, conn.dialect)
    cases_sql, events_sql = _insert_sql(conn, Case, CASE_COLUMNS), _insert_sql(conn, CaseEvent, EVENT_COLUMNS)
    started, done = time.perf_counter(), 0
    while done < n:
        size = min(BATCH, n - done)
        cases, events = gen.batch(done, size, n)
        conn.exec_driver_sql(cases_sql, cases)
        conn.exec_driver_sql(events_sql, events)
        db.session.commit()
        conn = db.session.connection()
        done += size
        rate = done / (time.perf_counter() - started)
        echo(f"  {done:>9,} / {n:,} orders ({gen.events_written:,} events), {rate:,.0f} orders/s")
    _advance_sequences()
    db.session.commit()
    _refresh_planner_statistics(echo)
    echo(f"Added {n:,} orders in {time.perf_counter() - started:.1f} s.")


def _refresh_planner_statistics(echo=print) -> None:
    """After a bulk load PostgreSQL plans with no statistics of the new rows until autovacuum gets to
    them (minutes later, or never on a busy server): a bad plan for every statistics query meanwhile."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        echo("  ANALYZE (the planner's statistics of the loaded tables)")
        conn.exec_driver_sql("ANALYZE cases")
        conn.exec_driver_sql("ANALYZE case_events")
        db.session.commit()


def _insert_sql(conn, model, columns: tuple[str, ...]) -> str:
    """The dialect's own INSERT for these columns (placeholders, casts), taking positional rows."""
    compiled = insert(model.__table__).compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        assert tuple(compiled.positiontup) == columns, compiled.positiontup
        return compiled.string
    return compiled.string % {c: "%s" for c in columns}  # pyformat -> format: rows stay tuples


class BulkOrders:
    """Rows for the cases and case_events tables, generated in time order with explicit ids."""

    def __init__(self, seed: int, now: datetime, dialect):
        self.rng = random.Random(seed ^ 0x5EED)
        self.now = now.astimezone(UTC).replace(tzinfo=None)  # naive UTC, as stored
        self.start = _months_before(now, MONTHS).astimezone(UTC).replace(tzinfo=None)
        self.zone = local_zone()
        self.to_db = _datetime_to_db(dialect)
        self.json = JSON().dialect_impl(dialect).bind_processor(dialect) or json.dumps
        self.next_case_id = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
        self.next_event_id = (db.session.scalar(select(func.max(CaseEvent.id))) or 0) + 1
        self.events_written = 0
        self.villages = [
            (v.id, v.name, v.default_cadre_id, [c.id for c in v.cadres] or [v.default_cadre_id])
            for v in db.session.scalars(
                select(Village).where(Village.default_cadre_id.is_not(None)).order_by(Village.id)
            )
        ]
        names = {u.id: u.name for u in db.session.scalars(select(User))}
        self.assign_data = {
            c: self.json({"assignee": names.get(c), "assignee_id": c}) for _, _, _, cs in self.villages for c in cs
        }
        self.dispatchers = list(db.session.scalars(select(User.id).where(User.role == "dispatcher", User.active)))
        self.pool = self._text_pool()
        self.callers = [r + g for r in SURNAMES for g in GIVEN[:12]] + ["匿名"] * 40
        self.callback_data = {
            (solved, s): self.json({"solved": solved, "satisfaction": s})
            for solved in (True, False)
            for s in ("satisfied", "basic", "unsatisfied")
        }
        self.empty = self.json({})

    def _text_pool(self) -> dict[str, list[tuple[str, str]]]:
        """Some hundreds of (content, result) pairs per category, rendered once, reused by every row."""
        names = [name for _, name, _, _ in self.villages]
        r = self.rng
        return {
            category: [
                (fill(r, r.choice(CONTENT[category]), v, names), fill(r, r.choice(RESULTS[category]), v, names))
                for v in names
                for _ in range(30)
            ]
            for category in CATEGORY_WEIGHTS
        }

    def batch(self, offset: int, size: int, total: int) -> tuple[list[tuple], list[tuple]]:
        """Orders `offset` to `offset + size` of `total`, spread evenly (with jitter) from start to now."""
        span = (self.now - self.start).total_seconds()
        cases, events = [], []
        for i in range(offset, offset + size):
            received = self.start + timedelta(seconds=span * (i + self.rng.random()) / total)
            cases.append(self._order(received, events))
        self.events_written += len(events)
        return cases, events

    def _order(self, received: datetime, events: list[tuple]) -> tuple:
        r, db_time = self.rng, self.to_db
        case_id = self.next_case_id
        self.next_case_id += 1
        village_id, village_name, default_cadre, cadres = r.choice(self.villages)
        aware = received.replace(tzinfo=UTC)
        category = r.choices(list(CATEGORY_WEIGHTS), weights=_category_weights(aware, self.zone))[0]
        request_type, urgency = _request_type(r, category), _urgency(r, category)
        content, result = r.choice(self.pool[category])
        ack_due, due = (
            d.astimezone(UTC).replace(tzinfo=None) for d in deadlines(request_type, urgency, aware, category)
        )
        state = self._state(received)
        self._event(events, case_id, received, None, "receive", None, "received")
        assignee = acknowledged = resolved = callback = None
        if state != "received":
            assignee = default_cadre if r.random() < 0.9 else r.choice(cadres)
            acknowledged = min(received + timedelta(minutes=r.randint(20, 360)), self.now)
            self._event(
                events,
                case_id,
                acknowledged,
                r.choice(self.dispatchers),
                "assign",
                "received",
                "assigned",
                data=self.assign_data[assignee],
            )
        if state == "resolved":
            resolved, callback = self._resolved(case_id, acknowledged, assignee, result, events)
        version = 1 + (state != "received") + (state == "resolved") + (callback is not None)
        solved, satisfaction, callback_at = callback or (None, None, None)
        number = f"GD{aware.astimezone(self.zone):%Y%m%d}{case_id:08d}"
        phone = r.choice(PHONE_PREFIXES) + f"{r.randrange(100_000_000):08d}"
        address = f"{village_name}{r.choice('一二三四五六七八')}组"
        return (
            case_id, "order", number, state, version, db_time(received), village_id, assignee, category, content,
            address, urgency, db_time(due), db_time(ack_due), db_time(acknowledged),
            result if resolved else None, db_time(resolved), 0, 0, db_time(received),
            db_time(callback_at or resolved or acknowledged or received),
            r.choice(self.callers), phone, request_type, solved, satisfaction, db_time(callback_at), "",
        )  # fmt: skip

    def _state(self, received: datetime) -> str:
        age, x = (self.now - received).total_seconds() / 86400, self.rng.random()
        if age < 1:
            return "received" if x < 0.4 else "assigned" if x < 0.9 else "resolved"
        if age < 7:
            return "received" if x < 0.05 else "assigned" if x < 0.5 else "resolved"
        return "received" if x < 0.005 else "assigned" if x < 0.04 else "resolved"

    def _resolved(self, case_id, acknowledged, assignee, result, events) -> tuple[datetime, tuple | None]:
        """The resolve event, and about half the time a callback: (resolved_at, (solved, satisfaction, at))."""
        r = self.rng
        resolved = acknowledged + timedelta(hours=r.choice((r.uniform(2, 48), r.uniform(24, 150))))
        resolved = min(resolved, self.now)
        self._event(events, case_id, resolved, assignee, "resolve", "assigned", "resolved", note=result)
        callback_at = resolved + timedelta(hours=r.uniform(20, 72))
        if callback_at >= self.now or r.random() >= 0.5:
            return resolved, None
        satisfaction = r.choices(("satisfied", "basic", "unsatisfied"), (75, 18, 7))[0]
        solved = satisfaction != "unsatisfied"
        data = self.callback_data[solved, satisfaction]
        self._event(
            events, case_id, callback_at, r.choice(self.dispatchers), "callback", "resolved", "resolved", data=data
        )
        return resolved, (solved, satisfaction, callback_at)

    def _event(self, events, case_id, at, actor_id, action, from_state, to_state, note="", data=None) -> None:
        events.append(
            (
                self.next_event_id,
                case_id,
                self.to_db(at),
                actor_id,
                action,
                from_state,
                to_state,
                note,
                data or self.empty,
            )
        )
        self.next_event_id += 1


def _datetime_to_db(dialect):
    """What the dialect makes of a naive UTC datetime; on SQLite its text, by the faster isoformat when equal."""
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda value: value
    sample = datetime(2026, 1, 2, 3, 4, 5, 6789)
    if process(sample) == sample.isoformat(" ", "microseconds"):
        return lambda value: None if value is None else value.isoformat(" ", "microseconds")
    return process


def _advance_sequences() -> None:
    """PostgreSQL: ids were given explicitly, so move the id sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("cases", "case_events"):
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )
