-- 0006: idempotency of review decisions. Every decision form carries a random key; the first
-- POST with a key stores it here next to the decision it made. A retry of the same form (a
-- double click, a reload after a lost answer, a proxy resending) finds the key and gets the
-- first answer again instead of writing a second decision. Append-only, like the decisions.
CREATE TABLE review_requests (
    request_key     VARCHAR PRIMARY KEY,
    decision_id     VARCHAR NOT NULL,
    reviewer        VARCHAR NOT NULL,
    received_at     TIMESTAMP NOT NULL
);
