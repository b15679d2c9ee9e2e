-- 0001: the whole lifecycle, append-only where history matters.
-- Conventions: ids are VARCHAR (uuid or stable slugs); times are UTC TIMESTAMP; JSON as JSON.

-- Initiatives: current facts (upserted by registry crawls, never deleted).
-- The append-only history of what each registry crawl saw is in cluster_sightings.
CREATE TABLE clusters (
    cluster_id            VARCHAR PRIMARY KEY,          -- stable slug, e.g. 'photonics-bw'
    name                  VARCHAR NOT NULL,
    alt_names             VARCHAR[] NOT NULL DEFAULT [],
    bundeslaender         VARCHAR[] NOT NULL DEFAULT [], -- registry slugs: 'bayern', 'nordrhein-westfalen'
    website               VARCHAR,                       -- NULL: no website known
    registry_profile_url  VARCHAR,
    go_cluster            BOOLEAN,
    technologiefelder     VARCHAR[] NOT NULL DEFAULT [],
    foerdermassnahmen     VARCHAR[] NOT NULL DEFAULT [],
    origin                VARCHAR NOT NULL,              -- 'paper' | 'registry' | 'manual'
    first_seen            TIMESTAMP NOT NULL,
    last_seen             TIMESTAMP NOT NULL,
    missing_since         TIMESTAMP,                     -- set when a later registry crawl lacks it
    created_at            TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Crawl runs: one row per `crawl registry` / `crawl sites` invocation (or per resumed attempt).
CREATE TABLE crawl_runs (
    crawl_run_id   VARCHAR PRIMARY KEY,
    kind           VARCHAR NOT NULL,                     -- 'registry' | 'sites'
    quarter        VARCHAR,                              -- '2026Q4' when part of a quarterly run
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP,
    status         VARCHAR NOT NULL,                     -- 'running' | 'interrupted' | 'finished' | 'failed'
    settings       JSON,
    stats          JSON
);

-- What a registry crawl saw of each initiative (append-only).
CREATE TABLE cluster_sightings (
    crawl_run_id          VARCHAR NOT NULL,
    cluster_id            VARCHAR NOT NULL,
    seen_at               TIMESTAMP NOT NULL,
    name                  VARCHAR NOT NULL,
    bundeslaender         VARCHAR[] NOT NULL DEFAULT [],
    website               VARCHAR,
    registry_profile_url  VARCHAR,
    technologiefelder     VARCHAR[] NOT NULL DEFAULT [],
    foerdermassnahmen     VARCHAR[] NOT NULL DEFAULT [],
    PRIMARY KEY (crawl_run_id, cluster_id)
);

-- One outcome per (site crawl run, cluster): nothing disappears silently.
CREATE TABLE site_outcomes (
    crawl_run_id   VARCHAR NOT NULL,
    cluster_id     VARCHAR NOT NULL,
    seed_url       VARCHAR,
    outcome        VARCHAR NOT NULL,  -- ok|dns_error|timeout|robots_denied|http_error|offsite_redirect|empty|refused_private|no_website
    pages          INTEGER NOT NULL DEFAULT 0,
    detail         VARCHAR,
    finished_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (crawl_run_id, cluster_id)
);

-- Raw bodies, stored once per content hash.
CREATE TABLE page_bodies (
    content_hash   VARCHAR PRIMARY KEY,                  -- sha256 hex of the raw body bytes
    body           BLOB NOT NULL,
    stored_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Every fetch becomes a snapshot row. An unchanged page (304 or identical hash) points at
-- the earlier snapshot through unchanged_of instead of storing a copy.
CREATE TABLE page_snapshots (
    snapshot_id     VARCHAR PRIMARY KEY,
    crawl_run_id    VARCHAR NOT NULL,
    cluster_id      VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,                    -- requested URL (normalised)
    final_url       VARCHAR,                             -- after redirects
    fetched_at      TIMESTAMP NOT NULL,
    http_status     INTEGER,
    content_type    VARCHAR,
    etag            VARCHAR,
    last_modified   VARCHAR,
    content_hash    VARCHAR,                             -- NULL when there was no body
    unchanged_of    VARCHAR,                             -- snapshot_id of the earlier identical snapshot
    page_kind       VARCHAR,                             -- 'about' | 'topics' | 'groups' | 'projects' | 'members' | 'news' | 'home' | 'other'
    title           VARCHAR,
    extracted_text  VARCHAR,
    language        VARCHAR,
    published       DATE,
    note            VARCHAR
);
CREATE INDEX page_snapshots_cluster ON page_snapshots (cluster_id, fetched_at);

-- Classification runs: what produced a batch of suggestions.
CREATE TABLE classification_runs (
    run_id              VARCHAR PRIMARY KEY,
    quarter             VARCHAR,
    started_at          TIMESTAMP NOT NULL,
    finished_at         TIMESTAMP,
    status              VARCHAR NOT NULL,                -- 'running' | 'finished' | 'failed' | 'interrupted'
    model_version       VARCHAR NOT NULL,
    code_version        VARCHAR NOT NULL,
    training_data_hash  VARCHAR NOT NULL,
    parameters          JSON
);

-- Suggestions (append-only). One row per (run, cluster, dimension, label).
CREATE TABLE suggestions (
    suggestion_id       VARCHAR PRIMARY KEY,
    run_id              VARCHAR NOT NULL,
    cluster_id          VARCHAR NOT NULL,
    dimension           VARCHAR NOT NULL,                -- intensity | function_logic | application_fields | svi_domains
    label_key           VARCHAR NOT NULL,
    score               DOUBLE NOT NULL,                 -- calibrated, in [0, 1]
    rank                INTEGER NOT NULL,                -- 1 = best within (run, cluster, dimension)
    model_version       VARCHAR NOT NULL,
    training_data_hash  VARCHAR NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    UNIQUE (run_id, cluster_id, dimension, label_key)
);

-- Why a suggestion was made: the passages a reviewer can read.
CREATE TABLE suggestion_evidence (
    suggestion_id   VARCHAR NOT NULL,
    rank            INTEGER NOT NULL,
    url             VARCHAR,
    snapshot_id     VARCHAR,
    passage         VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,                    -- e.g. 'similarity 0.71' or 'lexicon: Bundeswehr, Rüstung'
    score           DOUBLE,
    PRIMARY KEY (suggestion_id, rank)
);

-- Review decisions (append-only).
CREATE TABLE review_decisions (
    decision_id     VARCHAR PRIMARY KEY,
    suggestion_id   VARCHAR,
    cluster_id      VARCHAR NOT NULL,
    dimension       VARCHAR NOT NULL,
    action          VARCHAR NOT NULL,                    -- 'accept' | 'reject' | 'override'
    labels          VARCHAR[] NOT NULL DEFAULT [],       -- final labels (empty for reject)
    reviewer        VARCHAR NOT NULL,
    decided_at      TIMESTAMP NOT NULL,
    comment         VARCHAR
);

-- Effective classification as versions. Append-only: a version's valid_to is the next
-- version's valid_from (see the effective_classifications view), never an UPDATE.
CREATE TABLE classification_versions (
    version_id      VARCHAR PRIMARY KEY,
    cluster_id      VARCHAR NOT NULL,
    dimension       VARCHAR NOT NULL,
    labels          VARCHAR[] NOT NULL,                  -- empty list = explicitly no label
    valid_from      DATE NOT NULL,
    source          VARCHAR NOT NULL,                    -- 'paper' | 'review'
    source_ref      VARCHAR,                             -- label-file hash or decision_id
    decided_by      VARCHAR,
    decided_at      TIMESTAMP,
    model_version   VARCHAR,
    evidence_urls   VARCHAR[] NOT NULL DEFAULT [],
    recorded_at     TIMESTAMP NOT NULL,
    seq             BIGINT NOT NULL                      -- total order of recording (ties on valid_from)
);
CREATE SEQUENCE classification_versions_seq START 1;

CREATE VIEW effective_classifications AS
SELECT
    v.*,
    LEAD(v.valid_from) OVER (
        PARTITION BY v.cluster_id, v.dimension ORDER BY v.valid_from, v.seq
    ) AS valid_to
FROM classification_versions v;

-- Label-file loads: which content (by hash) was loaded when.
CREATE TABLE label_loads (
    load_id       VARCHAR PRIMARY KEY,
    files_hash    VARCHAR NOT NULL,
    loaded_at     TIMESTAMP NOT NULL,
    clusters      INTEGER NOT NULL,
    new_versions  INTEGER NOT NULL
);

-- Free-form key/value facts of this warehouse (e.g. the review app's secret key).
CREATE TABLE warehouse_meta (
    key     VARCHAR PRIMARY KEY,
    value   VARCHAR NOT NULL
);
