-- API tokens, optionally of one user ($user_name), with when each was revoked (NULL: live).
SELECT t.token_id, t.user_name, t.label, t.created_at, r.revoked_at
FROM api_tokens t
LEFT JOIN api_token_revocations r USING (token_id)
WHERE $user_name IS NULL OR t.user_name = $user_name
ORDER BY t.created_at, t.token_id;
