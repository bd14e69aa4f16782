"""Job queue: procrastinate's schema, plus our failure log, schedules and probe tables.

Revision ID: 0002_jobs
Revises: 0001_core

procrastinate's schema is applied from the installed package (``procrastinate/sql/schema.sql``)
as one script on the migration's own connection. Upgrading procrastinate to a version with a new
schema needs a later revision applying its ``sql/migrations`` files.

Our tables:

* ``job_failures``: every failed attempt with our structured error context (``SyncError.context()``),
  so ``jobs failed`` shows why a job is in the dead-letter state (``failed``).
* ``job_schedules``: next due time of each interval schedule (``jobs.schedule``); one row per
  schedule, claimed with an atomic UPDATE so two workers never defer the same run twice.
* ``job_probes`` / ``job_probe_results``: written by the diagnostic tasks of ``jobs.builtin``
  (benchmark, kill-a-worker acceptance test); ``job_probe_results.key`` is unique, so a probe
  that ran to completion twice would show as a failure.
"""

from __future__ import annotations

from importlib import resources

from alembic import op

revision = "0002_jobs"
down_revision = "0001_core"
branch_labels = None
depends_on = None

OUR_TABLES = """
CREATE TABLE job_failures (
    id bigserial PRIMARY KEY,
    job_id bigint NOT NULL REFERENCES procrastinate_jobs(id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    final boolean NOT NULL,
    error_type text NOT NULL,
    message text NOT NULL,
    context jsonb NOT NULL DEFAULT '{}'::jsonb,
    traceback text,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_job_failures_job_id ON job_failures (job_id, id DESC);

CREATE TABLE job_schedules (
    name text PRIMARY KEY,
    task_name text NOT NULL,
    interval_seconds double precision NOT NULL CHECK (interval_seconds > 0),
    next_run_at timestamptz NOT NULL,
    last_job_id bigint,
    last_run_at timestamptz
);

CREATE TABLE job_probes (
    id bigserial PRIMARY KEY,
    key text NOT NULL,
    event text NOT NULL,
    job_id bigint,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_job_probes_key ON job_probes (key);

CREATE TABLE job_probe_results (
    key text PRIMARY KEY,
    job_id bigint,
    at timestamptz NOT NULL DEFAULT now()
);
"""

DROP_PROCRASTINATE = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || f.sig || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def _run_script(script: str) -> None:
    # The raw psycopg connection runs a parameterless multi-statement script as it is: no
    # SQLAlchemy bind-parameter parsing of ':' and no psycopg '%' placeholders.
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    driver.execute(script)


def upgrade() -> None:
    schema = (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    _run_script(schema)
    _run_script(OUR_TABLES)


def downgrade() -> None:
    _run_script("DROP TABLE IF EXISTS job_probe_results, job_probes, job_schedules, job_failures;")
    _run_script(DROP_PROCRASTINATE)
