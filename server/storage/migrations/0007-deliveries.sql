-- 0007: deliveries (issue 15 item 5): sealed dataset packages uploaded in chunks by their sender and
-- downloaded by their one recipient, kept until they expire. The chunks' bytes are files under the
-- server's data folder (server/delivery/delivery-files.ts); these tables hold what is known about them.
-- Times are Unix milliseconds (bigint); addresses are EIP-55 checksummed text.

-- One row per delivery. `size`, `sha256` and `chunk_size` are declared by the sender at creation;
-- `state` becomes 'complete' once every chunk is stored and the whole blob hashed to `sha256`.
CREATE TABLE deliveries (
  id            text    PRIMARY KEY,
  sender        text    NOT NULL,
  recipient     text    NOT NULL,
  purchase_id   text    NOT NULL,
  size          bigint  NOT NULL CHECK (size > 0),
  sha256        text    NOT NULL,
  chunk_size    integer NOT NULL CHECK (chunk_size > 0),
  chunk_count   integer NOT NULL CHECK (chunk_count > 0),
  state         text    NOT NULL CHECK (state IN ('uploading', 'complete')),
  created_at    bigint  NOT NULL,
  completed_at  bigint,
  expires_at    bigint  NOT NULL
);
CREATE INDEX deliveries_expiry ON deliveries (expires_at);
CREATE INDEX deliveries_recipient ON deliveries (recipient, created_at);
CREATE INDEX deliveries_sender ON deliveries (sender, created_at);

-- One row per chunk stored (after its file was fsynced under `<chunk_index>-<sha256>.chunk`).
CREATE TABLE delivery_chunks (
  delivery_id text    NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  chunk_index integer NOT NULL CHECK (chunk_index >= 0),
  size        integer NOT NULL CHECK (size > 0),
  sha256      text    NOT NULL,
  stored_at   bigint  NOT NULL,
  PRIMARY KEY (delivery_id, chunk_index)
);

-- Bytes each sender declared per UTC day (day_start = the day's first millisecond), for the quota.
CREATE TABLE delivery_usage (
  sender    text   NOT NULL,
  day_start bigint NOT NULL,
  bytes     bigint NOT NULL CHECK (bytes >= 0),
  PRIMARY KEY (sender, day_start)
);
