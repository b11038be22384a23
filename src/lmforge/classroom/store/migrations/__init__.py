"""Alembic migrations of the classroom database, shipped with the package.

Users never run alembic: `open_database()` calls `Database.upgrade()`, which builds the Alembic
config in code. Developers who change `models.py` add a revision with

    from alembic import command
    db = open_database("sqlite:///dev.db")   # at head
    command.revision(db.alembic_config(), message="...", autogenerate=True, rev_id="0004")

and keep `test_store_migrates_from_empty_and_matches_models` green (models == migrations).
"""
