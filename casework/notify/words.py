"""What a delivery carries: the notice's message (notices.message, in the locale the sender forces), the address
of its case, and the Web Push payload the service worker shows (docs/notify.md)."""

from flask import current_app
from flask_babel import gettext

from ..models import Notification
from ..notices import message

ELLIPSIS = "…"
BODY_LIMIT = 1000  # characters of a push's body: push services take about 4 KB, encrypted


def path_of(notice: Notification) -> str:
    """The page a notice leads to: its case's, else the list of notices (built outside any request)."""
    urls = current_app.url_map.bind("localhost")
    if notice.case_id is None:
        return urls.build("notifications.index")
    return urls.build("cases.show", {"case_id": notice.case_id})


def with_link(text: str, notice: Notification) -> str:
    """A robot's or a text message's words, and the page's full address when SITE_URL says where the site is."""
    site = (current_app.config.get("SITE_URL") or "").rstrip("/")
    return f"{text}\n{site}{path_of(notice)}" if site else text


def fitted(notice: Notification, fits) -> str:
    """The notice's words with its link, as one robot post or text takes them whole (`fits`): a notice too long for
    any message alone (a long note) has its words shortened, marked with "…", its link kept (the page has it all);
    a notice that fits is never cut."""
    text = message(notice)
    whole = with_link(text, notice)
    if fits(whole):
        return whole
    low, high = 0, len(text)  # the longest beginning of the words that fits, by halving
    while low < high:
        middle = (low + high + 1) // 2
        if fits(with_link(text[:middle] + ELLIPSIS, notice)):
            low = middle
        else:
            high = middle - 1
    return with_link(text[:low] + ELLIPSIS, notice)


def push_payload(notice: Notification) -> dict:
    """{"title", "body", "url", "tag"}: the tag makes a newer notice about the same case replace the older one."""
    title = f"{current_app.config['TOWNSHIP_NAME']} · {gettext('Casework')}"
    tag = f"case-{notice.case_id}" if notice.case_id else f"notice-{notice.id}"
    return {"title": title, "body": message(notice)[:BODY_LIMIT], "url": path_of(notice), "tag": tag}
