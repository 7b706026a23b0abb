-- 0004: a witness's cosigning key is endorsed by the member's identity key (shared/network/notary.ts
-- witnessEndorsementText), so nodes take a witness key only with the member's own signature over it
-- and not on the server's word. Keys registered before this migration carry no endorsement and are
-- dropped: their witnesses register again (a node does so at its next round).
DELETE FROM log_witness_keys;
ALTER TABLE log_witness_keys ADD COLUMN endorsement text NOT NULL;
