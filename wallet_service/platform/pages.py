"""The home page and static assets that must come from this service, never a CDN."""
from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, current_app, render_template, send_from_directory

bp = Blueprint("pages", __name__)

@bp.get("/")
def home():
    return render_template("home.html")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; the SVG icon answers it (every current
    browser reads an SVG icon by its media type), so there is no binary icon to keep."""
    response = send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)
    return response


@bp.get("/api/docs/assets/<path:filename>")
def swagger_assets(filename: str):
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)
