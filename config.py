"""Casework defaults. Every setting can be overridden by a CASEWORK_* environment variable."""

import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"CASEWORK_{name}", default)


def _env_flag(name: str) -> bool:
    """An on/off setting: CASEWORK_<name>=1 (or true, yes, on) turns it on; unset or anything else is off."""
    return (_env(name) or "").strip().lower() in ("1", "true", "yes", "on")


def _env_json(name: str, default):
    """A structured setting (rules, lists) given as JSON in CASEWORK_<name>."""
    value = os.environ.get(f"CASEWORK_{name}")
    return json.loads(value) if value else default


class Config:
    """Read once at app creation; create_app(config) overrides any key."""

    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'casework.db'}")
    SECRET_KEY = _env("SECRET_KEY")  # generated into instance/ when unset
    TIMEZONE = _env("TIMEZONE", "Asia/Shanghai")
    TOWNSHIP_NAME = _env("TOWNSHIP_NAME", "示范镇")
    INBOX_DIR = _env("INBOX_DIR", str(INSTANCE_DIR / "inbox"))
    INBOX_MAX_BYTES = int(_env("INBOX_MAX_BYTES", str(50 * 1024 * 1024)))  # a bigger file is refused unread
    INBOX_MAX_ROWS = int(_env("INBOX_MAX_ROWS", "200000"))  # rows below a file's header; more: refused whole
    EXPORT_DIR = _env("EXPORT_DIR", str(INSTANCE_DIR / "exports"))  # last month's statistics, saved monthly
    MONTHLY_EXPORT_DAY = int(_env("MONTHLY_EXPORT_DAY", "2"))  # day of the month the files are saved
    MONTHLY_EXPORT_TIME = _env("MONTHLY_EXPORT_TIME", "06:00")  # local time that day
    FEED_URL = _env("FEED_URL")
    FEED_TOKEN = _env("FEED_TOKEN")
    FEED_TIMEOUT = float(_env("FEED_TIMEOUT", "10"))  # seconds per request to the platform
    FEED_PAGE_SIZE = int(_env("FEED_PAGE_SIZE", "100"))  # tickets asked for per page
    POLL_TIMES = _env("POLL_TIMES", "08:30,11:30,14:30,17:30")
    SCHEDULER = _env("SCHEDULER", "off")  # "embedded" | "off"; `make run` sets embedded

    BABEL_DEFAULT_LOCALE = _env("LOCALE", "zh_CN")
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("zh_CN", "en")
    PAGE_SIZE = int(_env("PAGE_SIZE", "50"))
    INTAKE_RUN_LIMIT_MINUTES = float(_env("INTAKE_RUN_LIMIT_MINUTES", "15"))  # a run still running then has died
    MAX_CONTENT_LENGTH = int(_env("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024)))  # bytes a request may carry
    MY_CASES_LIMIT = int(_env("MY_CASES_LIMIT", "200"))  # a cadre's list: the most urgent this many
    WTF_CSRF_TIME_LIMIT = None  # a form left open all morning on a village phone still posts
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Roles that must log in with a second factor (TOTP), from their next login; comma-separated, "" for none.
    # The demo township's accounts are exempt (README: turning on two-factor).
    TWO_FACTOR_REQUIRED_ROLES = _env("2FA_REQUIRED_ROLES", "admin")
    # Sessions held on the server (casework.sessions): ended after this long unused, and this long after the login
    # at most; cadres, who work from phones in the villages, may be given longer.
    SESSION_IDLE_MINUTES = float(_env("SESSION_IDLE_MINUTES", "120"))
    SESSION_MAX_HOURS = float(_env("SESSION_MAX_HOURS", "12"))
    CADRE_SESSION_IDLE_MINUTES = float(_env("CADRE_SESSION_IDLE_MINUTES", str(SESSION_IDLE_MINUTES)))
    CADRE_SESSION_MAX_HOURS = float(_env("CADRE_SESSION_MAX_HOURS", str(SESSION_MAX_HOURS)))
    # Behind TLS (docs/deployment.md): cookies only over HTTPS. web.init_app sets SESSION_COOKIE_SECURE and
    # REMEMBER_COOKIE_SECURE from it, so create_app({"SECURE_COOKIES": True}) works as the variable does.
    SECURE_COOKIES = _env_flag("SECURE_COOKIES")
    # Proxies in front that set X-Forwarded-For/-Proto/-Host (nginx: 1); 0 believes none of these headers.
    PROXY_HOPS = int(_env("PROXY_HOPS", "0"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Logins (casework.throttle): this many failures for one username within the window lock it for the lock's
    # minutes (the right password refused too); this many from one address lock the address.
    LOGIN_MAX_FAILURES = int(_env("LOGIN_MAX_FAILURES", "5"))
    LOGIN_WINDOW_MINUTES = float(_env("LOGIN_WINDOW_MINUTES", "15"))
    LOGIN_LOCK_MINUTES = float(_env("LOGIN_LOCK_MINUTES", "15"))
    LOGIN_MAX_IP_FAILURES = int(_env("LOGIN_MAX_IP_FAILURES", "30"))
    PASSWORD_MIN_LENGTH = int(_env("PASSWORD_MIN_LENGTH", "10"))  # casework.passwords: also no common one
    AUDIT_PAGE_SIZE = int(_env("AUDIT_PAGE_SIZE", "100"))  # login audit rows per page
    # Seconds a write waits for a lock someone else holds (SQLite busy_timeout, PostgreSQL lock_timeout);
    # past it the page says the system is busy (503) and shows back what was typed.
    DATABASE_BUSY_TIMEOUT = float(_env("DATABASE_BUSY_TIMEOUT", "5"))
    # Domain vocabularies (domain.md); defaults, configurable per city.
    REQUEST_TYPES = ("咨询", "求助", "投诉", "举报", "建议", "感谢", "其他")
    URGENCIES = ("一般", "紧急", "特急")
    ORDER_CATEGORIES = (
        "供暖",
        "供水",
        "供电",
        "燃气",
        "道路",
        "环境卫生",
        "劳资",
        "房屋",
        "农业",
        "交通",
        "噪音",
        "其他",
    )
    DISPUTE_TYPES = (
        "婚姻家庭",
        "邻里纠纷",
        "房屋宅基地",
        "土地承包",
        "山林权属",
        "合同债务",
        "损害赔偿",
        "劳动争议",
        "征地拆迁",
        "环境污染",
        "其他",
    )
    DISPUTE_SOURCES = ("排查", "来访", "移交", "12345工单", "其他")
    # Statistics (docs/statistics.md): an order without an acknowledgement deadline counts as
    # acknowledged on time when first assigned within this many hours of its receipt.
    STATS_ACK_WINDOW_HOURS = float(_env("STATS_ACK_WINDOW_HOURS", "24"))

    # Deadlines (domain.md §1). A rule is "<n>h" (elapsed hours) or "<n>wd" (working days: the end of
    # the n-th working day after the day of receipt). A platform-supplied 办理时限 wins over the rules.
    DEADLINE_ACK_BY_URGENCY = _env_json("DEADLINE_ACK_BY_URGENCY", {"特急": "2h", "紧急": "2h"})
    DEADLINE_ACK_DEFAULT = _env("DEADLINE_ACK_DEFAULT", "1wd")
    DEADLINE_DUE_BY_CATEGORY = _env_json(
        "DEADLINE_DUE_BY_CATEGORY", {"供水": "24h", "供电": "24h", "燃气": "24h", "供暖": "24h"}
    )
    DEADLINE_DUE_BY_TYPE = _env_json(
        "DEADLINE_DUE_BY_TYPE", {"咨询": "3wd", "求助": "5wd", "投诉": "5wd", "举报": "5wd"}
    )
    DEADLINE_DUE_DEFAULT = _env("DEADLINE_DUE_DEFAULT", "5wd")
    DUE_SOON_WORKING_DAYS = int(_env("DUE_SOON_WORKING_DAYS", "1"))  # the "yellow card"
    # An order not yet dispatched is shown "acknowledge soon" this many minutes before its 签收 deadline.
    ACK_DUE_SOON_MINUTES = float(_env("ACK_DUE_SOON_MINUTES", "30"))
    # An order reopened (重办) this many times or more is a problem order (问题工单) for supervision (督办).
    PROBLEM_REOPENS = int(_env("PROBLEM_REOPENS", "3"))
    EXTENSION_MAX = int(_env("EXTENSION_MAX", "3"))  # 延期: times per case
    EXTENSION_MAX_DAYS = int(_env("EXTENSION_MAX_DAYS", "3"))  # working days per extension
    # For years chinesecalendar does not know yet (weekends only otherwise); ISO dates, also JSON lists.
    CALENDAR_EXTRA_HOLIDAYS = _env_json("CALENDAR_EXTRA_HOLIDAYS", [])
    CALENDAR_EXTRA_WORKDAYS = _env_json("CALENDAR_EXTRA_WORKDAYS", [])

    # Notifications (docs/notify.md). In the app always; beyond it by each channel set up here, which each user
    # may turn off (or on) for themselves. The sender job sends the channels' outbox every NOTIFY_SEND_SECONDS.
    NOTIFY_SEND_SECONDS = float(_env("NOTIFY_SEND_SECONDS", "60"))
    NOTIFY_MAX_ATTEMPTS = int(_env("NOTIFY_MAX_ATTEMPTS", "5"))  # then the delivery is failed, shown to admins
    NOTIFY_TIMEOUT = float(_env("NOTIFY_TIMEOUT", "10"))  # seconds per request to a channel
    # Where people open Casework (https://casework.example.gov.cn): robot posts and texts end with the case's link.
    SITE_URL = _env("SITE_URL")
    # Web Push: VAPID keys are generated once into instance/ when unset; the subject is a contact for push services.
    WEBPUSH_ENABLED = _env("WEBPUSH_ENABLED", "1") not in ("0", "false", "no", "off")
    WEBPUSH_VAPID_PRIVATE_KEY_FILE = _env("WEBPUSH_VAPID_PRIVATE_KEY_FILE", str(INSTANCE_DIR / "vapid_private.pem"))
    WEBPUSH_SUBJECT = _env("WEBPUSH_SUBJECT", "mailto:casework@localhost")
    # The push services' hosts the sender posts to ("*." any host under): a browser's subscription elsewhere is
    # refused. Chrome/Edge-on-Android (FCM), Firefox, Safari, Edge on Windows; add a vendor's host when needed.
    WEBPUSH_ALLOWED_HOSTS = tuple(
        h.strip()
        for h in _env(
            "WEBPUSH_ALLOWED_HOSTS",
            "fcm.googleapis.com,*.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com",
        ).split(",")
        if h.strip()
    )
    # Group robots (群机器人): the webhook address of the township's WeChat Work or DingTalk group; a DingTalk robot
    # with 加签 also has its secret. The cadre is mentioned by mobile number.
    WECOM_WEBHOOK_URL = _env("WECOM_WEBHOOK_URL")
    DINGTALK_WEBHOOK_URL = _env("DINGTALK_WEBHOOK_URL")
    DINGTALK_SECRET = _env("DINGTALK_SECRET")
    # An SMS gateway behind one HTTP contract (docs/notify.md), with its bearer token.
    SMS_GATEWAY_URL = _env("SMS_GATEWAY_URL")
    SMS_GATEWAY_TOKEN = _env("SMS_GATEWAY_TOKEN")
    # A user who has made no choice for a channel gets it when it is listed here (SMS costs money: off unless listed).
    NOTIFY_DEFAULT_CHANNELS = tuple(
        c.strip() for c in _env("NOTIFY_DEFAULT_CHANNELS", "webpush,wecom,dingtalk").split(",") if c.strip()
    )
    # Reminders (黄牌 before a deadline, 红牌 once it has passed), checked every REMINDER_MINUTES; the leads are
    # DUE_SOON_WORKING_DAYS and ACK_DUE_SOON_MINUTES above. The cadre is warned; the dispatchers too when set.
    REMINDER_MINUTES = int(_env("REMINDER_MINUTES", "15"))
    REMINDERS_TO_DISPATCHERS = _env_flag("REMINDERS_TO_DISPATCHERS")
    # A 红牌 is news only for a deadline that passed within this many hours when a run first sees it (longer than
    # a scheduler is ever down); one that passed earlier (after an upgrade, say) is left to the queue's 逾期 filter.
    REMINDER_LOOKBACK_HOURS = float(_env("REMINDER_LOOKBACK_HOURS", "24"))

    # Attachments: photos of the work (现场照片) and agreements' PDFs, content-addressed under UPLOAD_DIR.
    UPLOAD_DIR = _env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    UPLOAD_MAX_BYTES = int(_env("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))  # per file
    UPLOAD_MAX_FILES = int(_env("UPLOAD_MAX_FILES", "9"))  # per action
    UPLOAD_MAX_PIXELS = int(_env("UPLOAD_MAX_PIXELS", str(40_000_000)))  # a bigger image is refused undecoded
    # Categories whose orders need at least one photo to be resolved (e.g. ["道路", "环境卫生"]).
    PHOTO_REQUIRED_CATEGORIES = tuple(_env_json("PHOTO_REQUIRED_CATEGORIES", []))
