-- 0009: the technology lexicon's hits (models/axes.py) stored with each passage, matched by the
-- passages step on the tokens it already has, so classify need not run spaCy over every
-- passage a second time (issue 17). Derived data, versioned like the SVI lexicon's columns:
-- passage_sets.technology_hash says which technology lexicon file produced a snapshot's terms.
-- Rows from before 0009 stay NULL (not matched); the pipeline's lexicon step fills them.
ALTER TABLE passages ADD COLUMN technology_terms VARCHAR[];   -- distinct technology lexicon terms, in order; NULL: not matched
ALTER TABLE passage_sets ADD COLUMN technology_hash VARCHAR;  -- content hash of the technology lexicon; NULL: not matched
