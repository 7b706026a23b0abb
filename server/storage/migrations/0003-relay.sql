-- 0003: the relay (issue 10 item 9): store-and-forward envelopes between members, and per-member
-- hourly usage for quotas. Times are Unix milliseconds (bigint); addresses are EIP-55 checksummed text.

-- One row per (recipient, message id): a broadcast is one row per recipient, each its own ciphertext.
-- `envelope` is the envelope's JSON as stored and served (end-to-end encrypted; the server never
-- reads inside it); the other columns are the routing metadata the envelope shows anyway. `seq` is
-- the delivery order and the inbox cursor. A row lives until its recipient acks it or it expires.
CREATE TABLE relay_messages (
  seq         bigserial PRIMARY KEY,
  recipient   text    NOT NULL,
  message_id  text    NOT NULL,
  sender      text    NOT NULL,
  role        text,
  size        integer NOT NULL CHECK (size > 0),
  created_at  bigint  NOT NULL,
  expires_at  bigint  NOT NULL,
  received_at bigint  NOT NULL,
  envelope    text    NOT NULL,
  UNIQUE (recipient, message_id)
);
CREATE INDEX relay_messages_inbox ON relay_messages (recipient, seq);
CREATE INDEX relay_messages_expiry ON relay_messages (expires_at);

-- What each member sent in each hour (window_start = the hour's first millisecond): messages and bytes.
CREATE TABLE relay_usage (
  member       text   NOT NULL,
  window_start bigint NOT NULL,
  messages     bigint NOT NULL CHECK (messages >= 0),
  bytes        bigint NOT NULL CHECK (bytes >= 0),
  PRIMARY KEY (member, window_start)
);
