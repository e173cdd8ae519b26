"""The statistics pages speak the reader's language; in Chinese their words are the exports' words."""

import pytest
from test_i18n import _forget_loaded_catalogs, compiled_catalogs  # noqa: F401 - a fixture used below

from casework import create_app
from casework.extensions import db
from casework.stats import labels as lb
from casework.stats.periods import Month


@pytest.fixture
def zh_app(app, compiled_catalogs):  # noqa: F811 - the fixture imported above
    """The app as shipped, in Chinese, over catalogs compiled afresh from the .po files."""
    config = {**app.config, "BABEL_DEFAULT_LOCALE": "zh_CN", "BABEL_TRANSLATION_DIRECTORIES": str(compiled_catalogs)}
    chinese = create_app(config)
    _forget_loaded_catalogs()
    yield chinese
    _forget_loaded_catalogs()
    with chinese.app_context():
        db.engine.dispose()


def test_in_chinese_every_page_label_is_the_exports_word(zh_app):
    with zh_app.test_request_context():
        for ui, export in lb.SAME_WORDS:
            assert {k: str(v) for k, v in ui.items()} == export


def test_the_figures_own_group_names_are_translated_in_english(app):
    with app.test_request_context():
        assert {str(v) for v in lb.GROUP_LABELS.values()} & {"（未定村）", "合计", "村级调解"} == set()
        assert lb.group_label("东风村") == "东风村"
        assert str(lb.group_label("投诉")) == "Complaint"  # the platform's request types, as the case page


def test_months_read_naturally_in_each_language(app, zh_app):
    with app.test_request_context():
        assert (lb.month_label(Month(2026, 3)), lb.short_month_label(Month(2026, 3))) == ("2026-03", "Mar")
    with zh_app.test_request_context():
        assert (lb.month_label(Month(2026, 3)), lb.short_month_label(Month(2026, 3))) == ("2026年3月", "3月")
