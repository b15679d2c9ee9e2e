-- Fill-once derived columns of a snapshot: the only UPDATE the pipeline makes on snapshots.
-- A title the crawler already stored is kept. extracted_text '' marks "extracted, no text".
-- $1: extracted_text, $2: title, $3: language, $4: published, $5: snapshot_id
UPDATE page_snapshots
SET extracted_text = $1,
    title = coalesce(title, $2),
    language = $3,
    published = $4
WHERE snapshot_id = $5
  AND extracted_text IS NULL;
