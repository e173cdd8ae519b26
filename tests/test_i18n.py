"""The Chinese catalog: every msgid the code uses is translated, and the app speaks Chinese by default.

The other test files render English on purpose (conftest sets BABEL_DEFAULT_LOCALE='en'); here an app
is built with the shipped default, zh_CN, over catalogs compiled afresh from the .po files.
"""

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from werkzeug.exceptions import default_exceptions

from tests.helpers import TRANSLATIONS, login_through_form

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}  # as `make i18n` extracts
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
CJK = re.compile(r"[\u4e00-\u9fff]")
TODO = "run `make i18n` and translate them in the zh_CN catalog"


def catalog_path(locale: str) -> Path:
    """Where Babel looks for a locale: zh_CN is parsed as zh_Hans_CN, and that is the directory it reads."""
    return TRANSLATIONS / str(Locale.parse(locale)) / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str):
    with catalog_path(locale).open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def used_msgids() -> dict[str, str]:
    """Every msgid in the code and templates, extracted over babel.cfg like `make i18n`: msgid -> where."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_extraction_finds_the_code_and_the_templates(used_msgids):
    where = {place.split(":")[0].split("/")[0] for place in used_msgids.values()}
    assert where == {"casework", "templates"}
    assert "Log in" in used_msgids and "Received" in used_msgids


def test_every_msgid_the_code_uses_has_a_chinese_translation(used_msgids):
    catalog = read_catalog("zh_CN")
    missing = [f"{where}: {msgid!r}" for msgid, where in used_msgids.items() if msgid not in catalog]
    empty = [
        f"{used_msgids[m.id if isinstance(m.id, str) else m.id[0]]}: {m.id!r}"
        for m in catalog
        if m.id and _ids(m)[0] in used_msgids and not all(_strings(m))
    ]
    fuzzy = [repr(m.id) for m in catalog if m.id and m.fuzzy]
    assert not missing, f"not in the catalog ({TODO}):\n" + "\n".join(missing)
    assert not empty, f"untranslated ({TODO}):\n" + "\n".join(empty)
    assert not fuzzy, "fuzzy (check the translation, then drop the flag):\n" + "\n".join(fuzzy)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_translations_keep_the_placeholders_of_their_msgid(locale):
    wrong = []
    for m in read_catalog(locale):
        wanted = set().union(*(_placeholders(i) for i in _ids(m))) if m.id else set()
        for text in _strings(m):
            if m.id and text and _placeholders(text) != wanted:
                wrong.append(f"{m.id!r} -> {text!r}")
    assert not wrong, "placeholders differ from the msgid's:\n" + "\n".join(wrong)


def test_chinese_translations_are_chinese_and_have_one_plural_form():
    catalog = read_catalog("zh_CN")
    assert catalog.num_plurals == 1
    not_chinese = [f"{m.id!r} -> {s!r}" for m in catalog if m.id for s in _strings(m) if s and not CJK.search(s)]
    assert not not_chinese, "translations with no Chinese in them:\n" + "\n".join(not_chinese)


def test_the_login_page_is_in_chinese_by_default(chinese_client):
    page = chinese_client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "登录" in page and "用户名" in page and "密码" in page
    assert "Log in" not in page and "Username" not in page


def test_the_dispatchers_queue_is_in_chinese(chinese_client, world, make):
    make.order(village=world.v1)
    login_through_form(chinese_client, "dispatcher")
    page = chinese_client.get("/queue").get_data(as_text=True)
    assert "工单列表" in page and "待派单" in page and "批量派单" in page and "派单员" in page
    assert "Queue" not in page and "Assign the ticked cases" not in page and "Dispatcher" not in page


def test_lang_en_switches_to_english(chinese_client, world, make):
    make.order(village=world.v1)
    login_through_form(chinese_client, "dispatcher")
    chinese_client.get("/lang/en")
    page = chinese_client.get("/queue").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Queue" in page and "Assign the ticked cases" in page and "Dispatcher" in page
    assert "工单列表" not in page and "批量派单" not in page


@pytest.mark.parametrize(
    ("method", "path", "status", "chinese"),
    [
        ("get", "/cases/999999", 404, "页面不存在"),
        ("get", "/admin/users", 403, "您无权执行此操作"),
        ("get", "/logout", 405, "此地址不能这样使用"),
        ("post", "/disputes/new", 413, "提交的内容过大：最多 500 KB"),
    ],
)
def test_error_pages_are_in_chinese(chinese_client, world, method, path, status, chinese):
    login_through_form(chinese_client, "cadre1")
    big = {"data": {"content": "纠" * 200_000}, "content_type": "multipart/form-data"} if status == 413 else {}
    r = getattr(chinese_client, method)(path, **big)
    page = r.get_data(as_text=True)
    assert r.status_code == status
    assert chinese in page
    assert default_exceptions[status].description not in page.replace("&#39;", "'")


def test_typing_kept_after_the_session_ended_is_labelled_in_chinese(chinese_client, world, make):
    case = make.order(world.v1)
    data = {"resolve-result": "已更换路灯", "resolve-version": case.version}
    page = chinese_client.post(f"/cases/{case.id}/resolve", data=data).get_data(as_text=True)
    assert "重新登录" in page and "办理结果" in page and "已更换路灯" in page
    assert "resolve-result" not in page


def test_sentences_with_names_read_in_chinese_order(chinese_client, world, make):
    order = make.order(world.v1)
    login_through_form(chinese_client, "admin")
    district = chinese_client.get(f"/admin/districts/{world.north.id}").get_data(as_text=True)
    assert "本片区的村：东风村、红旗村" in district
    chinese_client.post("/logout")
    login_through_form(chinese_client, "dispatcher")
    convert = chinese_client.get(f"/disputes/from-order/{order.id}").get_data(as_text=True)
    assert "来源：12345工单" in convert and "来源: " not in convert


def test_admin_and_dispute_screens_use_the_domains_words(chinese_client, world):
    login_through_form(chinese_client, "admin")
    users = chinese_client.get("/admin/users").get_data(as_text=True)
    assert "<th>包联村</th>" in users
    village = chinese_client.get(f"/admin/villages/{world.v1.id}").get_data(as_text=True)
    district = chinese_client.get(f"/admin/districts/{world.north.id}").get_data(as_text=True)
    assert "账号已启用" in village and "账号已启用" in district
    assert "在用" not in village + district  # accounts are 启用/停用 on these screens, never "in use"
    chinese_client.post("/logout")
    login_through_form(chinese_client, "dispatcher")
    parties = chinese_client.get("/disputes/new").get_data(as_text=True).split('id="parties"')[1]
    assert "身份" in parties and "角色" not in parties  # a party's standing, not a user's role
