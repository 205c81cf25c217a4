"""Clarion's persistence: SQLAlchemy 2.0 models, sessions, queries and Alembic migrations.

Every query function takes the session and the environment id as keyword arguments, so no
query can forget the tenant it runs for.
"""
