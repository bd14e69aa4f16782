"""Dashboard users, their sessions, and failed logins.

* ``users``: one row per person who may open the dashboard, with a role (``viewer`` reads;
  ``operator`` also resolves quarantine items and replays jobs; ``admin`` also manages users)
  and an scrypt password hash (salt and cost parameters inside the hash string).
* ``web_sessions``: a signed-in browser. Only the SHA-256 of the session token is stored: the
  database alone cannot be used to sign in. Removing a user removes their sessions.
* ``login_failures``: one row per failed login, per user name and client address, read within
  a window to throttle guessing across every ``serve`` process.

Revision ID: 0012_users
Revises: 0011_personal_data
"""

from __future__ import annotations

from alembic import op

revision = "0012_users"
down_revision = "0011_personal_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE users (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        role text NOT NULL CONSTRAINT ck_users_role CHECK (role IN ('viewer', 'operator', 'admin')),
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz
    );
    CREATE TABLE web_sessions (
        token_hash bytea PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        client text NOT NULL DEFAULT ''
    );
    CREATE INDEX ix_web_sessions_user ON web_sessions (user_id);
    CREATE INDEX ix_web_sessions_expires ON web_sessions (expires_at);
    CREATE TABLE login_failures (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        client text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ix_login_failures_key ON login_failures (name, client, at);
    CREATE INDEX ix_login_failures_at ON login_failures (at);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE login_failures; DROP TABLE web_sessions; DROP TABLE users;")
