"""Jobs: a retry that meets a waiting twin (same queueing lock) is superseded, not lost.

procrastinate's retry puts the job back to ``todo``; when an identical job (same queueing lock)
already waits, that violates the lock's unique index, the retry fails, and the job stays
``doing`` forever. Our queueing-locked tasks are drains: the waiting twin does the same work, so
the retried job ends ``aborted`` (as stalled jobs with a waiting twin do, see ``jobs.stalled``).
The functions keep procrastinate's signatures; their bodies are procrastinate 3.x's plus the
exception handler.

Revision ID: 0008_jobs_retry_twin
Revises: 0007_shipments
"""

from __future__ import annotations

from alembic import op

revision = "0008_jobs_retry_twin"
down_revision = "0007_shipments"
branch_labels = None
depends_on = None

#: procrastinate's own retry: back to ``todo``.
_PLAIN_RETRY = """
        UPDATE procrastinate_jobs
        SET status = 'todo'::procrastinate_job_status,
            attempts = attempts + 1,
            scheduled_at = retry_at,
            priority = COALESCE(new_priority, priority),
            queue_name = COALESCE(new_queue_name, queue_name),
            lock = COALESCE(new_lock, lock)
        WHERE id = job_id AND status IN ({statuses})
        RETURNING id INTO _job_id;
"""

#: The same, superseded by a waiting twin instead of failing on the queueing lock's index.
_RETRY_TO_TODO = """
        BEGIN
""" + _PLAIN_RETRY + """
        EXCEPTION WHEN unique_violation THEN
            -- an identical job already waits (queueing lock): it does this job's work
            UPDATE procrastinate_jobs
            SET status = 'aborted'::procrastinate_job_status
            WHERE id = job_id AND status IN ({statuses})
            RETURNING id INTO _job_id;
        END;
"""

V1 = """
CREATE OR REPLACE FUNCTION procrastinate_retry_job_v1(
    job_id bigint, retry_at timestamp with time zone, new_priority integer,
    new_queue_name character varying, new_lock character varying
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    _job_id bigint;
    _abort_requested boolean;
BEGIN
    SELECT abort_requested FROM procrastinate_jobs
    WHERE id = job_id AND status = 'doing'
    FOR UPDATE
    INTO _abort_requested;
    IF _abort_requested THEN
        UPDATE procrastinate_jobs
        SET status = 'failed'::procrastinate_job_status
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    ELSE
{retry_doing}
    END IF;
    IF _job_id IS NULL THEN
        RAISE 'Job was not found or not in "doing" status (job id: %)', job_id;
    END IF;
END;
$$;
"""

V2 = """
CREATE OR REPLACE FUNCTION procrastinate_retry_job_v2(
    job_id bigint, retry_at timestamp with time zone, new_priority integer,
    new_queue_name character varying, new_lock character varying
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    _job_id bigint;
    _abort_requested boolean;
    _current_status procrastinate_job_status;
BEGIN
    SELECT status, abort_requested FROM procrastinate_jobs
    WHERE id = job_id AND status IN ('doing', 'failed')
    FOR UPDATE
    INTO _current_status, _abort_requested;
    IF _current_status = 'doing' AND _abort_requested THEN
        UPDATE procrastinate_jobs
        SET status = 'failed'::procrastinate_job_status
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    ELSE
{retry_doing_failed}
    END IF;
    IF _job_id IS NULL THEN
        RAISE 'Job was not found or has an invalid status to retry (job id: %)', job_id;
    END IF;
END;
$$;
"""


def _functions(body: str) -> list[str]:
    return [V1.replace("{retry_doing}", body.format(statuses="'doing'")),
            V2.replace("{retry_doing_failed}", body.format(statuses="'doing', 'failed'"))]


def upgrade() -> None:
    for sql in _functions(_RETRY_TO_TODO):
        op.execute(sql)


def downgrade() -> None:
    for sql in _functions(_PLAIN_RETRY):  # procrastinate's own bodies
        op.execute(sql)
