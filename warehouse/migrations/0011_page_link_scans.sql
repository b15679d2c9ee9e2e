-- 0011: what the crawl read from a page body, stored once per (body, base URL, link cap) so a
-- recrawl's unchanged page (a 304, or one carried on the sitemap's <lastmod>) offers its links
-- without reading, decoding and scanning the body again (issue 17, docs/crawler.md). Derived
-- data: written with the site's snapshots in the same transaction; a body scanned before 0011
-- has no row here and is scanned from page_bodies as before (and its scan stored then).
-- The key includes the URL relative links were resolved against (the same body under two URLs
-- links to different pages) and the per-page link cap the links were read with (another cap,
-- another row). links_dropped counts the link elements beyond the cap, as the crawl's
-- 'page link cap' counter does; has_text is the crawl's verdict of enough visible letters.
CREATE TABLE page_link_scans (
    content_hash   VARCHAR NOT NULL,        -- sha256 hex of the body (page_bodies.content_hash)
    base_url       VARCHAR NOT NULL,        -- the page URL the body was scanned as (before <base href>)
    link_limit     INTEGER NOT NULL,        -- crawl.max_links_per_page of the scan; 0: no cap
    title          VARCHAR,                 -- the body's <title> (the page kind is judged from it)
    has_text       BOOLEAN NOT NULL,        -- at least MIN_VISIBLE_LETTERS visible letters
    links_dropped  INTEGER NOT NULL,        -- link elements beyond the cap
    links          VARCHAR[] NOT NULL,      -- absolute URLs, in document order, after the cap
    anchors        VARCHAR[] NOT NULL,      -- their anchor texts (same length as links)
    scanned_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (content_hash, base_url, link_limit)
);
