-- 0010: the <lastmod> a site's sitemap gave for a page when it was crawled (issue 17). A recrawl
-- sends no request for a page whose sitemap date has not moved since its last real fetch and
-- records it like a 304 (docs/crawler.md). Normalised to UTC ISO 8601 ('2026-11-30T08:15:00Z',
-- or '2026-11-30' for a date without a time); NULL when the sitemap did not list the page, gave
-- no date or one that did not parse or lay in the future. Rows from before 0010 stay NULL.
ALTER TABLE page_snapshots ADD COLUMN sitemap_lastmod VARCHAR;
