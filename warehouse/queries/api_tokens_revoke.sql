-- Revoke a token (append-only; a second revocation of the same token is refused by the key).
INSERT INTO api_token_revocations (token_id, revoked_at) VALUES ($token_id, $revoked_at);
