-- One page of the review queue and the whole queue's counts, computed here so that only the
-- listed rows reach Python (issue 17: turning every candidate into a Python record cost more
-- than the page). The rules are clusterradar.review.queue's (its module docstring), which stays
-- the reference: tests compare this query's items, order and counts with pending_items on
-- randomised warehouses.
--
-- Parameters: $run_id, $quarter (which run counts as latest), $as_of (labels in force),
-- $viewer, $four_eyes, $low_confidence, $min_score, $multi_label (the multi-label dimensions),
-- $reasons and $dimension_order (queue order), $no_svi_relevance, the filters $bundesland,
-- $dimension, $label (NULL: no restriction) and $dropped, and what to list: $page (from 1,
-- clamped to the pages there are) of $page_size items, or, with $after (a suggestion id), the
-- one item after it (review.queue.next_after: when $after has left the queue, the first item
-- placed after where it sat with $after_reason; nothing at the end; the first item when its
-- place is unknown).
--
-- One row: the counts and `page`, the listed items in queue order.
WITH runs AS (
    SELECT run_id, quarter, finished_at
    FROM classification_runs
    WHERE status = 'finished'
      AND ($run_id IS NULL OR run_id = $run_id)
      AND ($quarter IS NULL OR quarter = $quarter)
),
latest AS (
    SELECT s.cluster_id, s.dimension, arg_max(s.run_id, r.finished_at) AS run_id
    FROM suggestions s
    JOIN runs r ON r.run_id = s.run_id
    GROUP BY s.cluster_id, s.dimension
),
decided AS (
    SELECT suggestion_id, bool_or(reviewer = $viewer) AS by_viewer
    FROM review_decisions
    WHERE suggestion_id IS NOT NULL
    GROUP BY suggestion_id
),
in_force AS (  -- as review_labels_in_force.sql
    SELECT cluster_id, dimension, arg_max(labels, (valid_from, seq)) AS labels
    FROM classification_versions
    WHERE valid_from <= $as_of
    GROUP BY cluster_id, dimension
),
verdicts AS (  -- per classified cluster: its intensity in force (NULL: none)
    SELECT cluster_id, any_value(labels) FILTER (WHERE dimension = 'intensity') AS intensity
    FROM in_force
    GROUP BY cluster_id
),
candidates AS (
    SELECT
        s.suggestion_id, s.run_id, s.cluster_id, s.dimension, s.label_key, s.score, s.rank,
        s.model_version,
        list_contains($multi_label, s.dimension) AS multi,
        k.suggestion_id IS NOT NULL AS concluded,
        d.suggestion_id IS NOT NULL AS awaiting_second,
        coalesce($four_eyes AND d.by_viewer, false) AS viewer_decided
    FROM suggestions s
    JOIN latest l ON l.cluster_id = s.cluster_id AND l.dimension = s.dimension AND l.run_id = s.run_id
    LEFT JOIN review_conclusions k ON k.suggestion_id = s.suggestion_id
    LEFT JOIN decided d ON d.suggestion_id = s.suggestion_id
),
groups AS (  -- per (cluster, dimension); `verdict`: the open top intensity suggestion
    SELECT cluster_id, dimension, bool_or(concluded) AS closed, min(rank) AS first_rank,
           CASE WHEN dimension = 'intensity' AND NOT bool_or(concluded)
                THEN [arg_min(label_key, rank)] END AS verdict
    FROM candidates
    GROUP BY cluster_id, dimension
),
irrelevant AS (  -- intensity verdict: the open top suggestion, else the intensity in force
    SELECT cluster_id,
           coalesce(max(verdict), max(intensity)) = [$no_svi_relevance] AS irrelevant
    FROM (
        SELECT cluster_id, verdict, NULL AS intensity FROM groups WHERE verdict IS NOT NULL
        UNION ALL
        SELECT cluster_id, NULL, intensity FROM verdicts
    )
    GROUP BY cluster_id
),
items AS (
    SELECT
        c.*, f.labels AS current_labels,
        coalesce(cl.name, c.cluster_id) AS cluster_name,
        coalesce(cl.bundeslaender, []) AS bundeslaender,
        cl.missing_since IS NOT NULL AS dropped,
        CASE
            WHEN f.labels IS NULL THEN CASE
                WHEN v.cluster_id IS NULL THEN 'new_cluster'
                WHEN c.score < $low_confidence THEN 'low_confidence'
                ELSE 'unclassified' END
            WHEN NOT CASE WHEN c.multi THEN list_contains(f.labels, c.label_key)
                          ELSE f.labels = [c.label_key] END THEN 'differs'
            WHEN c.score < $low_confidence THEN 'low_confidence'
            ELSE 'confirms'
        END AS reason
    FROM candidates c
    JOIN groups g ON g.cluster_id = c.cluster_id AND g.dimension = c.dimension
    LEFT JOIN irrelevant i ON i.cluster_id = c.cluster_id
    LEFT JOIN in_force f ON f.cluster_id = c.cluster_id AND f.dimension = c.dimension
    LEFT JOIN verdicts v ON v.cluster_id = c.cluster_id
    LEFT JOIN clusters cl ON cl.cluster_id = c.cluster_id
    WHERE NOT c.viewer_decided
      AND CASE
          WHEN c.multi THEN NOT c.concluded AND c.score >= $min_score
              AND NOT coalesce(i.irrelevant, false)
          ELSE NOT g.closed AND c.rank = g.first_rank
      END
    QUALIFY row_number() OVER (PARTITION BY c.cluster_id, c.dimension ORDER BY c.rank) = 1
),
flagged AS (  -- `visible`: in the queue the page describes; `shown`: left by the filters
    SELECT
        *,
        coalesce($dropped, false) OR NOT dropped AS visible,
        ($bundesland IS NULL OR list_contains(bundeslaender, $bundesland))
            AND ($dimension IS NULL OR dimension = $dimension)
            AND ($label IS NULL OR label_key = $label) AS filtered
    FROM items
),
ordered AS (  -- clusterradar.review.queue.position_key; str.casefold folds ß to ss
    SELECT
        *,
        struct_pack(
            r := list_position($reasons, reason), d := dimension <> 'intensity', s := -score,
            n := replace(lower(cluster_name), 'ß', 'ss'),
            o := coalesce(list_position($dimension_order, dimension) - 1, 99),
            id := suggestion_id
        ) AS place,
        row_number() OVER (ORDER BY place) AS position
    FROM flagged
    WHERE visible AND filtered
),
gone AS (  -- where $after sat with $after_reason once it has left the queue (decided, skipped)
    SELECT struct_pack(
        r := list_position($reasons, $after_reason), d := s.dimension <> 'intensity',
        s := -s.score, n := replace(lower(coalesce(c.name, s.cluster_id)), 'ß', 'ss'),
        o := coalesce(list_position($dimension_order, s.dimension) - 1, 99),
        id := s.suggestion_id
    ) AS place
    FROM suggestions s
    LEFT JOIN clusters c ON c.cluster_id = s.cluster_id
    WHERE s.suggestion_id = $after AND list_contains($reasons, $after_reason)
),
counts AS (
    SELECT
        count(*) FILTER (WHERE visible) AS total_pending,
        count(*) FILTER (WHERE NOT visible) AS dropped_hidden,
        count(*) FILTER (WHERE visible AND filtered) AS shown,
        histogram(dimension) FILTER (WHERE visible AND filtered) AS by_dimension,
        histogram(reason) FILTER (WHERE visible AND filtered) AS by_reason,
        (
            SELECT map_from_entries(list((land, n)))
            FROM (
                SELECT land, count(*) AS n
                FROM (SELECT unnest(bundeslaender) AS land FROM flagged WHERE visible AND filtered)
                GROUP BY land
            )
        ) AS by_bundesland,
        (
            SELECT list(DISTINCT land ORDER BY land)
            FROM (SELECT unnest(bundeslaender) AS land FROM flagged WHERE visible)
        ) AS bundeslaender
    FROM flagged
),
listed AS (  -- queue positions first .. first + size - 1
    SELECT
        CASE
            WHEN $after IS NULL THEN
                (least(greatest($page, 1), greatest(1, ceil(shown / $page_size)::INTEGER)) - 1)
                * $page_size + 1
            WHEN a.position IS NOT NULL THEN a.position + 1
            WHEN g.place IS NOT NULL THEN
                coalesce((SELECT min(o.position) FROM ordered o WHERE o.place > g.place), shown + 1)
            ELSE 1
        END AS first,
        CASE WHEN $after IS NULL THEN $page_size ELSE 1 END AS size
    FROM counts
    LEFT JOIN (SELECT position FROM ordered WHERE suggestion_id = $after) a ON true
    LEFT JOIN gone g ON true
),
page AS (  -- only the listed rows get their reviewers and the rest of their columns
    SELECT o.*, r.quarter
    FROM ordered o
    JOIN runs r ON r.run_id = o.run_id
    WHERE o.position >= (SELECT first FROM listed)
      AND o.position < (SELECT first + size FROM listed)
),
page_reviewers AS (
    SELECT suggestion_id, list(DISTINCT reviewer ORDER BY reviewer) AS reviewers
    FROM review_decisions
    WHERE suggestion_id IN (SELECT suggestion_id FROM page)
    GROUP BY suggestion_id
)
SELECT
    counts.*,
    listed.first,
    (
        SELECT list(struct_pack(
            p.suggestion_id, p.run_id, p.cluster_id, p.dimension, p.label_key, p.score, p.rank,
            p.model_version, p.quarter, p.cluster_name, p.bundeslaender, p.concluded,
            reviewers := coalesce(pr.reviewers, []), p.dropped, p.current_labels, p.reason,
            p.awaiting_second
        ) ORDER BY p.position)
        FROM page p
        LEFT JOIN page_reviewers pr ON pr.suggestion_id = p.suggestion_id
    ) AS page
FROM counts, listed;
