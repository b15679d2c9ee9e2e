-- 0003: the review web app's accounts, sessions, and the conclusions of review.
-- Decisions themselves are rows of review_decisions (0001, append-only).

-- Reviewer accounts. Passwords are stored as argon2id hashes only.
CREATE TABLE users (
    name            VARCHAR PRIMARY KEY,
    password_hash   VARCHAR NOT NULL,
    is_admin        BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMP NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT false
);

-- Server-side sessions: the cookie carries a random token, the table only its sha256,
-- so a leaked database file does not hand out live sessions. Logout deletes the row.
CREATE TABLE review_sessions (
    session_hash    VARCHAR PRIMARY KEY,
    user_name       VARCHAR NOT NULL,
    csrf_token      VARCHAR NOT NULL,                -- per-session token, checked on every POST
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL
);

-- When review of a suggestion is finished: at once (one reviewer) or, in four-eyes mode, when a
-- second, different reviewer agreed. Inserted once per suggestion (the primary key makes two
-- concurrent conclusions impossible); version_id is the classification version it created
-- (NULL for an agreed reject).
CREATE TABLE review_conclusions (
    suggestion_id   VARCHAR PRIMARY KEY,
    decision_id     VARCHAR NOT NULL,                -- the decision that concluded it
    action          VARCHAR NOT NULL,                -- 'accept' | 'reject' | 'override'
    version_id      VARCHAR,
    concluded_at    TIMESTAMP NOT NULL
);
