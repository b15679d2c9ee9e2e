-- What the review queue depends on, summarised in a few numbers (review/queue_index.py): the
-- review app keeps the queue in memory and reads this once per request; where a number moved,
-- it reads again what changed. Counts for the append-only tables (suggestions, decisions,
-- conclusions, label versions), a hash over every row for the two tables that are updated in
-- place (classification runs: status and finish; clusters: the registry's names, Länder and
-- whether it still lists them).
--
-- One row per part: (part, value). UNION ALL of single-table aggregates, because scalar
-- subqueries cost several times as much to plan (6.9 against 1.9 ms on 450 clusters).
SELECT 'suggestions' AS part, count(*)::HUGEINT AS value FROM suggestions
UNION ALL
SELECT 'decisions', count(*)::HUGEINT FROM review_decisions
UNION ALL
SELECT 'conclusions', count(*)::HUGEINT FROM review_conclusions
UNION ALL
SELECT 'versions', count(*)::HUGEINT FROM classification_versions
UNION ALL
SELECT 'runs', coalesce(bit_xor(hash(run_id, quarter, status, finished_at)), 0)::HUGEINT
FROM classification_runs
UNION ALL
SELECT 'clusters',
       coalesce(bit_xor(hash(cluster_id, name, bundeslaender, missing_since)), 0)::HUGEINT
FROM clusters;
