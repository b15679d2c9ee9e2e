-- Fill-once derived columns of snapshots, in bulk: the only UPDATE the pipeline makes on
-- snapshots. A title the crawler already stored is kept. extracted_text '' marks "extracted,
-- no text".
-- new_extraction: a registered relation (snapshot_id, text, title, language, published)
UPDATE page_snapshots
SET extracted_text = n.text,
    title = coalesce(page_snapshots.title, n.title),
    language = n.language,
    published = n.published
FROM new_extraction n
WHERE page_snapshots.snapshot_id = n.snapshot_id
  AND page_snapshots.extracted_text IS NULL;
