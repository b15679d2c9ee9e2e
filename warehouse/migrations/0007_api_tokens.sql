-- 0007: tokens of the read API (/api/v1), one or more per reviewer account, created with
-- `clusterradar api-token create`. The token is shown once; the table keeps only its sha256,
-- so a leaked database file hands out no working token. Append-only: revoking adds a row to
-- api_token_revocations, and a token with such a row is refused from then on.
CREATE TABLE api_tokens (
    token_id        VARCHAR PRIMARY KEY,                -- public id: 'api-token list', 'revoke'
    token_hash      VARCHAR NOT NULL UNIQUE,            -- sha256 hex of the whole token
    user_name       VARCHAR NOT NULL,                   -- the account it acts for (users.name)
    label           VARCHAR NOT NULL DEFAULT '',        -- what it is for ('registry sync')
    created_at      TIMESTAMP NOT NULL
);

CREATE TABLE api_token_revocations (
    token_id        VARCHAR PRIMARY KEY,
    revoked_at      TIMESTAMP NOT NULL
);
