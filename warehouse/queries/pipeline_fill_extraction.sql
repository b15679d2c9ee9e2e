-- Fill-once derived columns of snapshots, in bulk: the only UPDATE the pipeline makes on
-- snapshots. A title the crawler already stored is kept. extracted_text '' marks "extracted,
-- no text".
-- $1..$5: equally long lists of snapshot ids, texts, titles, languages and dates (the unnests
-- of one SELECT are zipped row by row); lists, not an Arrow relation, so that the extraction
-- step never loads pyarrow (its first array imports pandas: up to a second, issue 17)
UPDATE page_snapshots
SET extracted_text = n.text,
    title = coalesce(page_snapshots.title, n.title),
    language = n.language,
    published = n.published
FROM (
    SELECT unnest($1::VARCHAR[]) AS snapshot_id,
           unnest($2::VARCHAR[]) AS text,
           unnest($3::VARCHAR[]) AS title,
           unnest($4::VARCHAR[]) AS language,
           unnest($5::DATE[]) AS published
) n
WHERE page_snapshots.snapshot_id = n.snapshot_id
  AND page_snapshots.extracted_text IS NULL;
