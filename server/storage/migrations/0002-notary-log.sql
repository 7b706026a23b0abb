-- 0002: the notary and its transparency log (issue 10 items 5, 6, 10). One RFC 9162 tree per network.
-- Times are Unix milliseconds (bigint); entry digests are EIP-712 hashes as 0x-hex text.

-- The log key's vkey, published in the map's parameters (keys.log); '' for a network created before it.
ALTER TABLE network_parameters ADD COLUMN log_vkey text NOT NULL DEFAULT '';

-- Accepted entries waiting for the sequencer, in acceptance order (id). `line` is the exact leaf data.
CREATE TABLE notary_pending (
  id           bigserial PRIMARY KEY,
  node         text   NOT NULL,
  seq          bigint NOT NULL CHECK (seq >= 1),
  entry_digest text   NOT NULL,
  line         text   NOT NULL,
  accepted_at  bigint NOT NULL,
  UNIQUE (node, seq)
);

-- The log's leaves: leaf_index 0, 1, 2… without gaps, each written once with its signed receipt.
CREATE TABLE log_leaves (
  leaf_index        bigint PRIMARY KEY CHECK (leaf_index >= 0),
  leaf_hash         bytea  NOT NULL UNIQUE CHECK (length(leaf_hash) = 32),
  line              text   NOT NULL,
  node              text   NOT NULL,
  seq               bigint NOT NULL CHECK (seq >= 1),
  entry_digest      text   NOT NULL,
  integrated_at     bigint NOT NULL,
  receipt_signature bytea  NOT NULL CHECK (length(receipt_signature) = 64),
  UNIQUE (node, seq)
);

-- Every perfect subtree's hash, written once when it completes (CompactTree's onNode): proofs of any
-- size are one batched read of these rows. Level 0 holds the leaf hashes.
CREATE TABLE log_nodes (
  level smallint NOT NULL CHECK (level >= 0 AND level < 64),
  idx   bigint   NOT NULL CHECK (idx >= 0),
  hash  bytea    NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);

-- The tree's size: one row, moved forward only by the sequencer holding the advisory lock, in the
-- transaction that writes the leaves (a compare-and-set on the old size).
CREATE TABLE log_state (
  id   smallint PRIMARY KEY CHECK (id = 1),
  size bigint   NOT NULL CHECK (size >= 0)
);
INSERT INTO log_state (id, size) VALUES (1, 0);

-- Every checkpoint the log key signed (the note as signed by the log alone); cosignatures apart.
CREATE TABLE log_checkpoints (
  size       bigint PRIMARY KEY CHECK (size >= 1),
  note       text   NOT NULL,
  created_at bigint NOT NULL
);

-- Witnesses' cosignature/v1 keys (one per member), registered by signed member requests.
CREATE TABLE log_witness_keys (
  member        text PRIMARY KEY,
  vkey          text NOT NULL,
  registered_at bigint NOT NULL
);

-- Cosignature lines verified against the witness's key and the checkpoint of that size.
CREATE TABLE log_cosignatures (
  size        bigint NOT NULL REFERENCES log_checkpoints (size),
  member      text   NOT NULL,
  line        text   NOT NULL,
  received_at bigint NOT NULL,
  PRIMARY KEY (size, member)
);

-- Inputs consumed by entries of consuming kinds: each at most once in the whole network.
CREATE TABLE consumed_inputs (
  input       text   PRIMARY KEY,
  node        text   NOT NULL,
  seq         bigint NOT NULL,
  consumed_at bigint NOT NULL
);

-- Forks: a second, different, validly signed entry for a seq the network already has. Both lines kept.
CREATE TABLE notary_forks (
  node                text   NOT NULL,
  seq                 bigint NOT NULL,
  existing_digest     text   NOT NULL,
  existing_line       text   NOT NULL,
  conflicting_digest  text   NOT NULL,
  conflicting_line    text   NOT NULL,
  detected_at         bigint NOT NULL,
  PRIMARY KEY (node, seq, conflicting_digest)
);
