-- Records that snapshots' passages now carry the given lexicon versions.
-- $1: lexicon hash, $2: VARCHAR[] of snapshot ids, $3: technology lexicon hash
UPDATE passage_sets SET lexicon_hash = $1, technology_hash = $3
WHERE snapshot_id IN (SELECT unnest($2::VARCHAR[]));
