"""The home page and static assets that must come from this service, never a CDN."""
from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, render_template, send_from_directory

bp = Blueprint("pages", __name__)

@bp.get("/")
def home():
    return render_template("home.html")


@bp.get("/api/docs/assets/<path:filename>")
def swagger_assets(filename: str):
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)
