-- 0003: the relay (issue 10 item 9): store-and-forward envelopes between members, and per-member
-- hourly usage for quotas. Times are Unix milliseconds (bigint); addresses are EIP-55 checksummed text.

-- Each recipient's mailbox: the last per-recipient sequence number handed out. A send takes the row
-- lock of every recipient's mailbox (in address order) for its whole transaction, so a recipient's
-- numbers become visible in order: once a reader sees seq k, no message with a lower seq can still
-- commit, and a stream's cursor never skips a late commit. A number whose insert was a duplicate is
-- a gap, never filled later.
CREATE TABLE relay_mailboxes (
  recipient text   PRIMARY KEY,
  last_seq  bigint NOT NULL CHECK (last_seq >= 0)
);

-- One row per (recipient, message id): a broadcast is one row per recipient, each its own ciphertext.
-- `envelope` is the envelope's JSON as stored and served (end-to-end encrypted; the server never
-- reads inside it); the other columns are the routing metadata the envelope shows anyway. `seq`
-- (per recipient) is the delivery order and the inbox cursor. A row lives until its recipient acks
-- it or it expires.
CREATE TABLE relay_messages (
  recipient   text    NOT NULL,
  seq         bigint  NOT NULL CHECK (seq >= 1),
  message_id  text    NOT NULL,
  sender      text    NOT NULL,
  role        text,
  size        integer NOT NULL CHECK (size > 0),
  created_at  bigint  NOT NULL,
  expires_at  bigint  NOT NULL,
  received_at bigint  NOT NULL,
  envelope    text    NOT NULL,
  PRIMARY KEY (recipient, seq),
  UNIQUE (recipient, message_id)
);
CREATE INDEX relay_messages_expiry ON relay_messages (expires_at);

-- What each member sent in each hour (window_start = the hour's first millisecond): messages and bytes.
CREATE TABLE relay_usage (
  member       text   NOT NULL,
  window_start bigint NOT NULL,
  messages     bigint NOT NULL CHECK (messages >= 0),
  bytes        bigint NOT NULL CHECK (bytes >= 0),
  PRIMARY KEY (member, window_start)
);
