"""The installable app (issue 11, part 4): the web app manifest, the service worker and the offline page.

The worker is served from the site's root so that its scope is the whole site. Its cache is named by a hash of
the static files, computed here, so that a deploy that changes any of them changes the worker's bytes: the
browser installs it, it caches the new files and drops the old cache. None of these answers needs a login.
"""

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _

bp = Blueprint("shell", __name__)

THEME_COLOUR = "#8c1c13"  # the header's red (casework.css)
BACKGROUND = "#f4f5f7"
WORKER = "sw.js"
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/maskable-512.png", "512x512", "maskable"),
)


@bp.get("/manifest.webmanifest")
def manifest():
    name = f"{current_app.config['TOWNSHIP_NAME']} · {_('Casework')}"
    body = {
        "name": name,
        "short_name": current_app.config["TOWNSHIP_NAME"],
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND,
        "icons": [
            {"src": url_for("static", filename=src), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for src, sizes, purpose in ICONS
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get("/sw.js")
def service_worker():
    """The worker, headed by the files it keeps (the app shell) and the name of its cache."""
    hashed = static_files if current_app.debug else _static_files_of_this_deploy  # make run: edits show at once
    version, files = hashed(current_app.static_folder)
    offline_page = url_for("shell.offline")
    shell = [url_for("static", filename=name) for name in files] + [offline_page]
    names = {"CACHE": "casework-" + version, "SHELL": shell, "OFFLINE": offline_page}
    head = "".join(f"const {name} = {json.dumps(value)};\n" for name, value in names.items())
    worker = (Path(current_app.static_folder) / WORKER).read_text(encoding="utf-8")
    response = Response(head + worker, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return response  # web.guard adds no-store: the browser asks for the worker afresh each time


def static_files(folder: str) -> tuple[str, tuple[str, ...]]:
    """A hash of every static file but the worker, and their names: what a deploy changes."""
    root = Path(folder)
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != WORKER)
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes())
    return digest.hexdigest()[:16], tuple(names)


_static_files_of_this_deploy = cache(static_files)  # read once per process: a deploy restarts it


@bp.get("/offline")
def offline():
    """What the worker shows in place of a page the network could not bring; it names nobody."""
    return render_template("shell/offline.html")
