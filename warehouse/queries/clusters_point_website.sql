-- Point a cluster at another website ($website for $cluster_id). Used only by the offline demo
-- and tests, whose loopback sample web cannot serve the paper clusters' real hosts.
UPDATE clusters SET website = $website WHERE cluster_id = $cluster_id;
