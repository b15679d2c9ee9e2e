-- Records that snapshots' passages now carry the given lexicon version.
-- $1: lexicon hash, $2: VARCHAR[] of snapshot ids
UPDATE passage_sets SET lexicon_hash = $1
WHERE snapshot_id IN (SELECT unnest($2::VARCHAR[]));
