-- A new API token (only the sha256 of its secret).
INSERT INTO api_tokens (token_id, token_hash, user_name, label, created_at)
VALUES ($token_id, $token_hash, $user_name, $label, $created_at);
