"""Registering dispute cases, and converting a hotline order into one. (Being built.)"""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("disputes", __name__, url_prefix="/disputes")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    abort(404)


@bp.route("/from-order/<int:case_id>", methods=["GET", "POST"])
@login_required
def convert(case_id: int):
    abort(404)
