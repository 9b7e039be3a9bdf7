"""Entry point for gunicorn: `gunicorn wsgi:app`."""
from wallet_service import create_app

app = create_app()
