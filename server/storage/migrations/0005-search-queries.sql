-- 0005: the Data Search Service (issue 14; shared/research/search-api.ts): the open keyword
-- queries of research members, kept until they expire so clinics that come online late still get
-- them. `document` is the signed query exactly as posted.
CREATE TABLE search_queries (
  seq         bigserial PRIMARY KEY,
  query_id    text   NOT NULL UNIQUE,
  researcher  text   NOT NULL REFERENCES members (address),
  document    text   NOT NULL,
  expires_at  bigint NOT NULL,
  posted_at   bigint NOT NULL
);
CREATE INDEX search_queries_by_expiry ON search_queries (expires_at);
