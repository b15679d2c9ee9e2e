SELECT body FROM page_bodies WHERE content_hash = ?;
