"""Database migrations: `python manage.py migrate` applies migrations/*.sql in order, once each.

infracc runs it once per deploy, before new API replicas start (`migrate:` in stack.yaml).
"""
import os
import pathlib
import sys

import psycopg

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")


def migrate() -> None:
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")
        conn.execute("SELECT pg_advisory_xact_lock(4242)")  # one migrator at a time
        done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        for file in sorted(MIGRATIONS.glob("*.sql")):
            if file.name in done:
                continue
            print(f"applying {file.name}", flush=True)
            conn.execute(file.read_text())
            conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (file.name,))


if __name__ == "__main__":
    if sys.argv[1:] != ["migrate"]:
        sys.exit("usage: python manage.py migrate")
    migrate()
