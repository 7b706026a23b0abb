-- 0001: the network's parameters, its members (doorman), the signed network maps, and the nonces of
-- signed member requests. Times are Unix milliseconds (bigint); addresses are EIP-55 checksummed text.

CREATE TABLE network_parameters (
  id               smallint PRIMARY KEY CHECK (id = 1),
  name             text     NOT NULL,
  chain_id         bigint   NOT NULL CHECK (chain_id > 0),
  network_address  text     NOT NULL,
  witness_quorum   integer  NOT NULL CHECK (witness_quorum >= 0),
  max_message_size bigint   NOT NULL CHECK (max_message_size > 0),
  min_app_version  text     NOT NULL,
  created_at       bigint   NOT NULL
);

-- The map's epoch and the next certificate serial: one row, updated under the membership lock.
CREATE TABLE network_state (
  id          smallint PRIMARY KEY CHECK (id = 1),
  epoch       bigint   NOT NULL CHECK (epoch >= 0),
  next_serial bigint   NOT NULL CHECK (next_serial >= 1)
);

CREATE TABLE members (
  address        text    PRIMARY KEY,
  -- The uncompressed secp256k1 public key (65 bytes), recovered once from the join request's signature.
  public_key     bytea   NOT NULL CHECK (length(public_key) = 65),
  status         text    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
  join_request   jsonb   NOT NULL,
  join_signature text    NOT NULL,
  join_hash      text    NOT NULL,
  legal_name     text    NOT NULL,
  country        text    NOT NULL,
  roles          text    NOT NULL,
  requested_at   bigint  NOT NULL,
  decided_at     bigint,
  -- The signed certificate (SignedCertificate JSON) once approved; kept after a revocation.
  certificate    jsonb,
  serial         bigint  UNIQUE,
  revoked_at     bigint,
  CHECK ((status IN ('approved', 'revoked')) = (certificate IS NOT NULL AND serial IS NOT NULL)),
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX members_by_status ON members (status, address);

-- Every signed map ever served, newest = highest epoch. `body` is the exact JSON served, `etag` its hash.
CREATE TABLE network_maps (
  epoch      bigint PRIMARY KEY CHECK (epoch >= 0),
  body       text   NOT NULL,
  etag       text   NOT NULL,
  issued_at  bigint NOT NULL
);

-- Nonces of signed member requests, remembered until their timestamp has left the ±5 minute window.
CREATE TABLE request_nonces (
  member     text   NOT NULL,
  nonce      text   NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (member, nonce)
);
CREATE INDEX request_nonces_by_expiry ON request_nonces (expires_at);
