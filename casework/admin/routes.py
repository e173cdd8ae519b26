"""Admins manage users, villages, districts and default cadres. (Being built.)"""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@login_required
def users():
    abort(404)
