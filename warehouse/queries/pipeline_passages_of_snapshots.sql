-- The stored passages of the given snapshots, for re-matching the lexicon.
-- $1: VARCHAR[] of snapshot ids
SELECT snapshot_id, seq, text
FROM passages
WHERE snapshot_id IN (SELECT unnest($1::VARCHAR[]))  -- a key lookup, not a scan of history
ORDER BY snapshot_id, seq;
