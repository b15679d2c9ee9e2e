-- Passages of each cluster's CURRENT pages: the snapshots of its latest site crawl run that
-- yielded passages. When the latest crawl yielded none (site down: no or only error snapshots;
-- site empty), the passages of the latest earlier crawl that did are used, and the row says so
-- (latest_crawl_at / latest_outcome are set only then), so an unreachable website does not
-- silently turn a cluster into "no text". A snapshot marked unchanged_of (304 / identical
-- body) contributes the passages of the snapshot it points at (followed through chains),
-- under its own URL and id.
-- technology_terms only where the snapshot's terms were matched with the technology lexicon of
-- $3 (else NULL: the reader matches them itself).
-- Follows pipeline_current_pages.sql. $1: VARCHAR[] of cluster ids, or NULL for all;
-- $2: embedding model_id, or NULL for none; $3: current technology lexicon hash, or NULL (no
-- stored technology terms wanted)
SELECT
    cp.cluster_id,
    cp.snapshot_id,
    cp.url,
    coalesce(cp.page_kind, p.page_kind) AS page_kind,
    p.seq,
    p.passage_hash,
    p.text,
    p.lemmas,
    p.lexicon_terms,
    p.lexicon_score,
    CASE WHEN ps.technology_hash = $3 THEN p.technology_terms END AS technology_terms,
    p.language,
    e.vector,
    cp.crawl_run_id,
    cp.started_at AS crawled_at,
    cp.latest_crawl_at,
    cp.latest_outcome
FROM current_pages cp
JOIN resolved r ON r.snapshot_id = cp.snapshot_id
JOIN passages p ON p.snapshot_id = r.source_id
LEFT JOIN passage_sets ps ON ps.snapshot_id = p.snapshot_id
LEFT JOIN embeddings e ON e.model_id = $2 AND e.passage_hash = p.passage_hash
ORDER BY cp.cluster_id, cp.url, cp.snapshot_id, p.seq;
