"""wallet-service: signs results of administrative procedures and delivers them into citizens' wallets."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from .platform.config import Settings, load_settings
from .results.events import ResultEvents
from .services import EXTENSION, Services, services


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """The application. `config` overrides environment variables (keys: a `Settings` field's name such
    as `database_url`, or an environment variable's name such as `DELIVERY_POLL_SECONDS`); other keys
    go to Flask's config as they are (e.g. TESTING)."""
    from .models import db
    from .platform import database
    from .platform.errors import Api
    from .platform import logs
    from .platform.access_log import scrub_werkzeug_log
    from .platform.json_body import JSONProvider
    from .platform.proxies import TrustedProxyFix
    from .platform.storage import FileDocumentStore

    settings = load_settings(config)
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=False)
    app.config.update(_flask_config(settings))
    app.config.update(settings.extra)
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, settings.forwarded_allow_ips)  # the client's address for rate limits
    app.json = JSONProvider(app)  # request bodies nested too deeply are a 400, not a RecursionError
    app.json.ensure_ascii = False  # Vietnamese stays readable in API answers
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    scrub_werkzeug_log()  # `wallet-service run` logs each request line; codes and tokens stay out
    logs.init_app(app, settings.is_production, _caller_kind)  # request ids; JSON lines in production

    db.init_app(app)
    with app.app_context():
        database.ping_idle_connections(db.engine)
        database.multi_row_inserts(db.engine)
    api = Api(app)
    app.extensions[EXTENSION] = Services(
        settings=settings,
        documents=FileDocumentStore(settings.documents_dir),
        api=api,  # feature packages register their flask-smorest blueprints here
        events=ResultEvents(app),
    )
    _register_parts(app)
    return app


def _flask_config(settings: Settings) -> dict[str, object]:
    """Flask's and flask-smorest's options, from the settings."""
    return dict(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.sqlalchemy_url,
        # The whole request may carry the document plus its metadata and multipart framing.
        MAX_CONTENT_LENGTH=settings.max_document_bytes + 256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        API_TITLE="wallet-service",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearerAssertion": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT (RFC 7523 assertion signed by the client's registered key)",
                    }
                }
            }
        },
    )


def _register_parts(app: Flask) -> None:
    """Blueprints, request hooks and feature packages, in an order that matters: jobs after every
    feature (they add periodic work), rate limits last (they wrap the endpoints registered by then)."""
    from . import client_auth
    from .api import batches, results
    from .batches import runner as batch_runner
    from .batches import preparation as batch_preparation
    from .keys import directory as keys
    from .platform import database, health, jobs, limits, pages, ui
    from .platform.errors import register_error_handlers
    from .platform.security import init_csrf, init_headers, init_url_checks
    from .results import audit_anchor

    api = services(app).api
    api.register_blueprint(results.blp)
    api.register_blueprint(batches.blp)
    register_error_handlers(app)
    init_csrf(app)
    init_headers(app)
    init_url_checks(app)
    ui.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    from . import metrics; metrics.init_app(app)  # noqa: E702  (first: its request timer sees every request)
    # Feature packages register themselves here, one line each.
    from . import auth; auth.init_app(app)  # noqa: E702  (one line per feature package)
    from . import issuer; issuer.init_app(app)  # noqa: E702  (one line per feature package)
    from . import verify; verify.init_app(app)  # noqa: E702  (one line per feature package)
    from . import presentations; presentations.init_app(app)  # noqa: E702  (one line per feature package)
    from . import offline; offline.init_app(app)  # noqa: E702  (one line per feature package)
    from . import official; official.init_app(app)  # noqa: E702  (one line per feature package)
    from . import delivery; delivery.init_app(app)  # noqa: E702  (one line per feature package)
    from . import wallet; wallet.init_app(app)  # noqa: E702  (one line per feature package)
    from . import archive; archive.init_app(app)  # noqa: E702  (one line per feature package)
    from . import stats; stats.init_app(app)  # noqa: E702  (one line per feature package)
    from . import admin; admin.init_app(app)  # noqa: E702  (one line per feature package)
    from . import copies; copies.init_app(app)  # noqa: E702  (one line per feature package)
    database.register_commands(app)
    keys.init_app(app)
    client_auth.init_app(app)
    audit_anchor.init_app(app)
    batch_runner.init_app(app)
    jobs.init_app(app, {
        batch_runner.TASK: batch_runner.run_batch,
        batch_preparation.TASK: batch_preparation.prepare_batch,
        delivery.TASK: delivery.deliver_due,
        archive.TASK: archive.renew_task,
    }, signing=(batch_runner.TASK, batch_preparation.TASK))
    limits.init_app(app)  # last: it limits the endpoints registered above


def _caller_kind() -> str | None:
    """The kind of caller this request authenticated already, for its log line."""
    from .access import known_principal

    principal = known_principal()
    return principal.kind.value if principal else None
