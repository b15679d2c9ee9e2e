-- 0005: trained model artefacts (no pickle: arrays as an .npz BLOB read with allow_pickle=False,
-- everything else as JSON). One row per trained model version; suggestions and
-- classification_runs name the version and the training-data hash.
CREATE TABLE model_artifacts (
    model_version       VARCHAR PRIMARY KEY,             -- e.g. 'fusion-20261125T134500-3f2a9c1b'
    created_at          TIMESTAMP NOT NULL,
    training_data_hash  VARCHAR NOT NULL,                -- labels + passage hashes + embedder + parameters
    classifier          VARCHAR NOT NULL,                -- settings.models.classifier
    embedding_model     VARCHAR NOT NULL,                -- embedder model_id (with package version)
    n_examples          INTEGER NOT NULL,                -- labelled clusters trained on
    params              JSON NOT NULL,                   -- hyperparameters, calibration, thresholds
    arrays              BLOB NOT NULL,                   -- numpy .npz (numeric and string arrays only)
    code_version        VARCHAR NOT NULL
);
CREATE INDEX model_artifacts_hash ON model_artifacts (training_data_hash);
