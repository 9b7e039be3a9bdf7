"""Entry point for gunicorn: `gunicorn wsgi:app`."""
from wallet_service import create_app
from wallet_service.platform.startup import or_exit

app = or_exit(create_app)
