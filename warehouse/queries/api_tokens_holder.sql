-- The account a live token acts for: not revoked, and its user exists and is not disabled.
SELECT t.token_id, t.user_name, u.is_admin
FROM api_tokens t
JOIN users u ON u.name = t.user_name
LEFT JOIN api_token_revocations r USING (token_id)
WHERE t.token_hash = $token_hash
  AND r.token_id IS NULL
  AND NOT u.disabled;
