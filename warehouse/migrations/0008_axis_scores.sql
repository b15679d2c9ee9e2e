-- 0008: each cluster's two axis scores per classification run, with the top passages of each
-- axis, so the review app can show why a level was suggested (technology potential T, security
-- orientation S). Also the key under which an unchanged cluster's classification is reused
-- (model_version + passages_hash), and the note of a suggestion carried forward from an earlier
-- run instead of being computed again (unchanged input, or the website unreachable).
-- Written by classify through warehouse/axis_scores.py; append-only.
CREATE TABLE axis_scores (
    run_id                VARCHAR NOT NULL,
    cluster_id            VARCHAR NOT NULL,
    model_version         VARCHAR NOT NULL,              -- the model artefact that scored it
    passages_hash         VARCHAR,                       -- sha256 of the cluster's passage set (NULL: unknown, carried from a run before 0008)
    technology_potential  DOUBLE,                        -- T in [0, 1] (NULL: carried from a run before 0008)
    security_orientation  DOUBLE,                        -- S in [0, 1]
    relevance             DOUBLE,                        -- 1 - (1 - T)(1 - S), what the gate reads
    outcome               VARCHAR NOT NULL,              -- the rank-1 intensity label key
    evidence              JSON NOT NULL,                 -- {"technology": [evidence...], "security": [evidence...]}
    carried_from_run      VARCHAR,                       -- the run whose suggestions were copied, else NULL
    note                  VARCHAR,                       -- why they were carried forward (reviewers read it)
    created_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, cluster_id)
);
CREATE INDEX axis_scores_reuse ON axis_scores (cluster_id, model_version, passages_hash);
