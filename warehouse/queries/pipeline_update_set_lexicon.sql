-- Records that a snapshot's passages now carry the given lexicon version.
-- $1: lexicon hash, $2: snapshot_id
UPDATE passage_sets SET lexicon_hash = $1 WHERE snapshot_id = $2;
