"""The dispute screens in the reader's language: WTForms' own messages in a party row, and the fixed
lists (source, a party's role) shown through labels while the stored values stay the Chinese words."""

from casework.disputes.labels import PARTY_ROLE_LABELS, SOURCE_LABELS
from tests.helpers import dispute_form, login_through_form


def test_a_party_row_is_refused_in_chinese_in_the_chinese_ui(chinese_client, world):
    login_through_form(chinese_client, "dispatcher")
    data = dispute_form(world.v1, **{"parties-0-name": "张" * 41, "parties-1-role": "老板"})
    r = chinese_client.post("/disputes/new", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "不是有效的选择" in page and "字段长度不能超过 40 个字符" in page
    assert "Not a valid choice" not in page and "cannot be longer" not in page


def test_in_chinese_each_label_is_the_stored_word_itself(zh_app, app):
    with zh_app.test_request_context():
        for labels in (SOURCE_LABELS, PARTY_ROLE_LABELS):
            assert {value: str(text) for value, text in labels.items()} == {value: value for value in labels}
    assert set(app.config["DISPUTE_SOURCES"]) <= set(SOURCE_LABELS)


def test_the_english_form_offers_the_lists_in_english_and_sends_the_stored_words(world, auth, client, english):
    auth.login(world.dispatcher)
    page = client.get("/disputes/new").get_data(as_text=True)
    assert '<option value="排查">Screening</option>' in page and '<option value="移交">Referral</option>' in page
    assert '<option selected value="申请人">Applicant</option>' in page
    assert '<option value="第三人">Third party</option>' in page
    assert ">排查<" not in page and ">申请人<" not in page


def test_the_chinese_form_reads_as_before(chinese_client, world):
    login_through_form(chinese_client, "dispatcher")
    page = chinese_client.get("/disputes/new").get_data(as_text=True)
    assert '<option value="排查">排查</option>' in page and '<option selected value="申请人">申请人</option>' in page


def test_the_english_convert_page_names_its_source_in_english(world, auth, client, make, english):
    order = make.order(world.v1)
    auth.login(world.dispatcher)
    page = client.get(f"/disputes/from-order/{order.id}").get_data(as_text=True)
    assert "Source: 12345 hotline order" in page and "12345工单" not in page
