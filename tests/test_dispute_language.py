"""The dispute screens in the reader's language: WTForms' own messages in a party row too."""

from tests.test_disputes import dispute_form
from tests.test_i18n import _login, chinese_client, compiled_catalogs  # noqa: F401 - fixtures


def test_a_party_row_is_refused_in_chinese_in_the_chinese_ui(chinese_client, world):  # noqa: F811
    _login(chinese_client, "dispatcher")
    data = dispute_form(world.v1, **{"parties-0-name": "张" * 41, "parties-1-role": "老板"})
    r = chinese_client.post("/disputes/new", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "不是有效的选择" in page and "字段长度不能超过 40 个字符" in page
    assert "Not a valid choice" not in page and "cannot be longer" not in page
