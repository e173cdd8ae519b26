"""The statistics pages speak the reader's language; in Chinese their words are the exports' words."""

from casework.stats import labels as lb
from casework.stats.periods import Month


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
