"""Web glue: what every request gets before a view sees it.

Every form field and query parameter is cleaned once, here, exactly as intake cleans what the platform
sends (casework.text.clean): a NUL that PostgreSQL refuses, a control character, a carriage return.
Werkzeug builds `request.args` and `request.form` (and `request.files`' keys) through the request's
`parameter_storage_class`, so one class covers every view, form and query string, present and future,
and no view has to remember to clean.
"""

from collections.abc import Mapping

from flask import Flask, Request, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from .audit import Origin
from .text import clean_or_none


class CleanParameters(ImmutableMultiDict):
    """request.args / request.form with every name and text value cleaned; uploaded files pass unchanged."""

    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True) if isinstance(mapping, Mapping) else mapping or ()
        super().__init__([(clean_or_none(name), clean_or_none(value)) for name, value in pairs])


class CleanRequest(Request):
    parameter_storage_class = CleanParameters


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest


def origin() -> Origin:
    """Where this request comes from, for the login audit (request.remote_addr is the client's address once
    ProxyFix trusts the proxy in front, see docs/deployment.md)."""
    return Origin.of(request.remote_addr, request.user_agent.string)
