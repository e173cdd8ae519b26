"""The demo township: its mediation districts, villages and the people who work them.

Every person gets a new password (printed once and kept in the logins file, see logins.py); the accounts
are marked demo, so the tour's logins are never forced to change their password or enrol a second factor.
"""

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import District, User, Village

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing to confuse on a phone keyboard

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
EVERYONE = (*STAFF, *((u, n, "cadre") for u, n, _ in CADRES), *((u, n, "cadre") for u, n in MEDIATORS))


@dataclass
class Township:
    districts: list[District]
    villages: dict[str, Village]
    cadres: dict[str, User]
    mediators: list[User]  # one per district, then the township centre's
    dispatchers: list[User]
    passwords: list[tuple[User, str]] = field(default_factory=list)


def create_township() -> Township:
    """Districts, villages, staff, cadres (each village's default cadre set) and mediators; the session
    flushed, so that they have their ids."""
    enrolment = _Enrolment()
    staff = {username: enrolment.person(username, name, role) for username, name, role in STAFF}
    districts = [District(name=name) for name in DISTRICTS]
    villages = {name: Village(name=name, aliases=aliases, district=districts[d]) for name, aliases, d in VILLAGES}
    cadres = {
        username: _serving(enrolment.person(username, name, "cadre"), served, villages)
        for username, name, served in CADRES
    }
    mediators = [enrolment.person(username, name, "cadre") for username, name in MEDIATORS]
    for district, mediator in zip(districts, mediators, strict=False):
        district.mediator = mediator
    db.session.add_all([*districts, *villages.values()])
    db.session.flush()
    dispatchers = [staff["dispatcher"], staff["dispatcher2"]]
    return Township(districts, villages, cadres, mediators, dispatchers, enrolment.passwords)


def _serving(cadre: User, served: tuple[str, ...], villages: dict[str, Village]) -> User:
    """The cadre serves these villages, and is the default cadre of those they do not only back up."""
    cadre.villages = [villages[v] for v in served]
    for v in served:
        if (cadre.username, v) not in BACKUPS:
            villages[v].default_cadre = cadre
    return cadre


class _Enrolment:
    """The township's people as they are added, each with a new password: the passwords are kept to print."""

    def __init__(self):
        self.credentials = _credentials([username for username, _, _ in EVERYONE])
        self.passwords: list[tuple[User, str]] = []

    def person(self, username: str, name: str, role: str) -> User:
        password, password_hash = self.credentials[username]
        # demo: the tour's logins are never forced to change password or enrol (issue 9)
        phone = f"1390000{len(self.passwords) + 1:04d}"  # what the group robots mention, where SMS go
        user = User(username=username, name=name, role=role, password_hash=password_hash, phone=phone, demo=True)
        self.passwords.append((user, password))
        db.session.add(user)
        return user


def _credentials(usernames: list[str]) -> dict[str, tuple[str, str]]:
    """A new password for each, hashed as any password is (scrypt), several at once: hashlib releases
    the GIL while it works, so this takes the time of a few hashes, not of seventeen."""
    passwords = [_password() for _ in usernames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = list(pool.map(generate_password_hash, passwords))
    return {u: (p, h) for u, p, h in zip(usernames, passwords, hashes, strict=True)}


def _password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(10))


def has_township() -> bool:
    """Whether the database holds villages with a default cadre and an active dispatcher: what bulk
    orders need to be assigned."""
    villages = db.session.scalar(select(func.count()).where(Village.default_cadre_id.is_not(None)))
    dispatchers = db.session.scalar(select(func.count()).where(User.role == "dispatcher", User.active))
    return bool(villages and dispatchers)
