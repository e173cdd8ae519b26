"""An order's request type and urgency, a dispute's source and its parties' roles: the platform's and
the records' words stay stored as they are; the English screens show them in English."""

import pytest

from casework import display


@pytest.mark.parametrize("labels", [display.REQUEST_TYPE_LABELS, display.URGENCY_LABELS])
def test_in_chinese_each_label_is_the_stored_word(zh_app, labels):
    with zh_app.test_request_context():
        assert {value: str(label) for value, label in labels.items()} == {value: value for value in labels}


def test_the_english_case_page_shows_the_words_in_english(client, auth, world, make):
    case = make.order(world.v1, request_type="投诉", urgency="紧急")
    auth.login(world.dispatcher)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<dd>Complaint</dd>" in page and "<dd>Urgent</dd>" in page


def test_a_value_not_in_the_list_is_shown_as_stored(client, auth, world, make):
    case = make.order(world.v1, request_type="表扬")
    auth.login(world.dispatcher)
    assert "表扬" in client.get(f"/cases/{case.id}").get_data(as_text=True)
