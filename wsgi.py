"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`, and FLASK_APP for flask."""

from portal import create_app

app = create_app()
