"""What the public and signing blueprints share: the statement page and its form.

A layer of its own between the blueprints and the services, so that no
blueprint imports another (checked by import-linter, see pyproject.toml).
"""
