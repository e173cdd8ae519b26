"""The bell draws everywhere: an SVG of its own, not the 🔔 emoji, which shows as an empty box where no emoji font is
installed (Debian's Chromium, office PCs on older Windows). Still said in words to screen readers."""

import io

from PIL import Image

from tests.browser import PHONE
from tests.helpers import login_as, page


def test_the_bell_is_an_svg_hidden_from_screen_readers_and_no_emoji(world, client, english):
    login_as(client, world.cadre1)
    html = page(client.get("/my"))
    bell = html[html.index('<a class="bell"') : html.index("</a>", html.index('<a class="bell"'))]
    assert "🔔" not in html
    assert '<svg class="bell-icon"' in bell and 'aria-hidden="true"' in bell
    assert 'aria-label="Notifications: none unread"' in bell


def test_the_bell_draws_a_bell_not_a_box_in_chromium(world, open_window):
    window = open_window(PHONE, user=world.cadre1)
    icon = window.page.locator("header .bell .bell-icon")
    box = icon.bounding_box()
    assert box is not None and 14 <= box["width"] <= 28 and box["width"] == box["height"], box
    shot = Image.open(io.BytesIO(icon.screenshot())).convert("L")
    w, h = shot.size
    header = shot.getpixel((0, 0))  # the bell is drawn in the header's text colour, on its background
    ink = [[abs(shot.getpixel((x, y)) - header) > 60 for x in range(w)] for y in range(h)]
    corners = [ink[1][w - 2], ink[h - 2][1], ink[h - 2][w - 2]]
    assert ink[h // 2][w // 2] and corners == [False] * 3  # a filled body and empty corners: a bell, no tofu box
    assert w * h // 5 < sum(map(sum, ink)) < w * h * 3 // 4
    assert window.errors == [] and window.violations() == []
