"""The hello-world baseline of ``bench/viral.py``: the least a request can cost.

A Flask app with one route and nothing else, served by the same gunicorn
settings as the real app (``gunicorn --chdir bench hello:app``). Whatever the
real app's pages cost beyond this is the app's own doing.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
