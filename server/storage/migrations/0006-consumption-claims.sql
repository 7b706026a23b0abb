-- 0006: consumption claims (issue 15; shared/network/notary.ts CONSUMING_KINDS, ClaimRequestSchema).
-- Consumed inputs are consumption keys `<prefix>:<node>:<input>` (`offer:<clinic>:<offer id>`,
-- `key-release:<keeper>:<purchase id>`), each at most once in the network (the primary key). A node
-- first CLAIMS the keys it is about to consume for the entry of subject `claim` (seq NULL until that
-- entry arrives), so a refusal ("offer already sold") comes before it signs an entry its chain
-- could not get past; the entry then consumes its claimed keys (seq set). Rows of earlier versions
-- (none were ever written: no kind consumed) keep claim NULL.
ALTER TABLE consumed_inputs ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE consumed_inputs ADD COLUMN claim text;
