-- The operation journal: the second tier of every account's record of executed operations.
--
-- The account grain keeps its balance and a bounded window of recent records in ONE grain-state
-- write (orleansstorage). Every record it commits is then appended here, in batches across
-- accounts, by the silo's journal writer. A record leaves the grain's window only after this table
-- holds it, so each executed operation is always in the window, here, or both; an operation ID in
-- neither was never executed. Rows are appended and never updated in place: a later event of an
-- operation (a transfer finishing, a refund) is its own row.
--
-- Appends are idempotent (ON CONFLICT DO NOTHING): a silo that crashed between its state write and
-- its journal append re-sends the same records after the account re-activates.

CREATE TABLE IF NOT EXISTS rm_operation_journal
(
    service_id        text        NOT NULL,
    account_id        text        NOT NULL,
    operation_id      uuid        NOT NULL,
    -- The account's own order of execution (1, 2, 3, ... without gaps): the statement's cursor.
    sequence          bigint      NOT NULL,
    -- OperationKind: 1 deposit, 2 withdrawal, 3 transfer out, 4 transfer in, 5 transfer refund,
    -- 6 transfer finished (an event of a transfer out; moves no money).
    kind              smallint    NOT NULL,
    amount            bigint      NOT NULL,
    -- OperationStatus: 0 succeeded, 1 insufficient funds (recorded refusals only).
    status            smallint    NOT NULL,
    balance_after     bigint      NOT NULL,
    counterparty      text        NULL,
    -- TransferState for transfer records: 0 pending, 1 completed, 2 refunded, 3 stuck.
    transfer_state    smallint    NULL,
    -- The UUIDv7 timestamp of operation_id (Unix ms): what retention and pruning go by, with
    -- recorded_at (a row is pruned once both are at or below the floor: a refund recorded long after
    -- its transfer's ID time stays a full retention).
    operation_time_ms bigint      NOT NULL,
    recorded_at       timestamptz NOT NULL,
    -- Who issued the operation (the caller's token subject), when known.
    issued_by         text        NULL,
    CONSTRAINT pk_rm_operation_journal PRIMARY KEY (service_id, account_id, operation_id)
);

-- Keyset pagination of an account's statement, and the audit's gap check. Pruning by age: rows arrive
-- roughly in time order, so a BRIN index costs appends almost nothing. Both created only when missing
-- (CREATE INDEX IF NOT EXISTS takes a SHARE lock first, holding up appends during a re-apply).
DO $$
BEGIN
    IF to_regclass('ux_rm_operation_journal_sequence') IS NULL THEN
        CREATE UNIQUE INDEX ux_rm_operation_journal_sequence ON rm_operation_journal (service_id, account_id, sequence);
    END IF;
    IF to_regclass('ix_rm_operation_journal_time') IS NULL THEN
        CREATE INDEX ix_rm_operation_journal_time ON rm_operation_journal USING brin (operation_time_ms);
    END IF;
END
$$;

-- Pruning raises this floor BEFORE it deletes any row: a look-up that finds no row for an ID at or
-- below it answers "expired", never "unknown" (which would let the ID execute again).
CREATE TABLE IF NOT EXISTS rm_journal_retention
(
    service_id        text   NOT NULL PRIMARY KEY,
    pruned_through_ms bigint NOT NULL
);

-- The shortest retention this database allows, whatever a silo is configured with: the pruning floor
-- cannot be raised above the database's clock minus it (rm_journal_floor_within_the_minimum_retention,
-- below). Only the tables' owner writes it (the application role reads it), so credentials of the
-- application cannot shorten the history. A new database starts at 7 years: history is kept unless
-- the owner decides otherwise, so that whoever holds the application's credentials cannot erase it
-- (raise the floor, delete below it, write matching tallies) to hide a rewritten balance from the
-- audit. A silo configured with a shorter Accounts:JournalRetention prunes to it, with a warning,
-- until the owner lowers it; without a row there is no minimum (a database whose table an earlier
-- version created keeps what it had: an upgrade never stops its pruning):
--   INSERT INTO rm_journal_minimum_retention (retention) VALUES (interval '400 days')
--       ON CONFLICT (singleton) DO UPDATE SET retention = excluded.retention;
DO $$
BEGIN
    IF to_regclass('rm_journal_minimum_retention') IS NULL THEN
        CREATE TABLE rm_journal_minimum_retention
        (
            singleton boolean  NOT NULL PRIMARY KEY DEFAULT true CHECK (singleton),
            retention interval NOT NULL CHECK (isfinite(retention) AND retention >= interval '0')
        );
        INSERT INTO rm_journal_minimum_retention (retention) VALUES (interval '7 years');
    END IF;
END
$$;

-- What pruning deleted, per account: how many rows and their net effect on the balance (deposits,
-- credits and refunds add, withdrawals and transfers out subtract, recorded refusals move nothing).
-- Written in the same statement as the delete, so the audit (rows + pruned = the account's newest
-- sequence, sum + pruned effect = its balance) and the statement (which names what was pruned) hold
-- after pruning as before it.
CREATE TABLE IF NOT EXISTS rm_journal_pruned
(
    service_id  text   NOT NULL,
    account_id  text   NOT NULL,
    records     bigint NOT NULL,
    net_effect  bigint NOT NULL,
    -- Transfers debited here (kind 3) less credits and refunds (4, 5) among them: the audit's money in flight.
    in_transfer bigint NOT NULL DEFAULT 0,
    -- The highest sequence pruned: a record re-sent at or below it whose row is gone was pruned, and is
    -- not inserted again (an account re-sends its last records after a re-activation).
    through_sequence bigint NOT NULL DEFAULT 0,
    CONSTRAINT pk_rm_journal_pruned PRIMARY KEY (service_id, account_id)
);

-- Tables created by an earlier version of this file; only when missing (ADD COLUMN IF NOT EXISTS takes
-- an ACCESS EXCLUSIVE lock before it looks).
DO $$
DECLARE
    added text;
BEGIN
    FOREACH added IN ARRAY ARRAY['in_transfer', 'through_sequence'] LOOP
        IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'rm_journal_pruned'::regclass AND attname = added AND NOT attisdropped) THEN
            EXECUTE format('ALTER TABLE rm_journal_pruned ADD COLUMN %I bigint NOT NULL DEFAULT 0', added);
        END IF;
    END LOOP;
END
$$;

-- The floor, the count of pruned records and the highest pruned sequence only ever rise (the pruner's
-- upserts take the greatest, and add what it deleted; the net effects it adds may be of either sign).
-- The application role may UPDATE them for those upserts; these triggers (owned by whoever applies
-- this file, not by that role) refuse any update that would lower them: a floor set back would turn
-- pruned IDs into "never executed". An operator reconciling a tally by hand disables them for that
-- (ALTER TABLE ... DISABLE TRIGGER, as the tables' owner).
CREATE OR REPLACE FUNCTION rm_journal_retention_only_rises() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.service_id <> OLD.service_id OR NEW.pruned_through_ms < OLD.pruned_through_ms THEN
        RAISE EXCEPTION 'the pruning floor of service % only rises', OLD.service_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

-- The pruning floor may not be raised above the database's clock minus the minimum retention (the
-- pruner clamps its floor the same way): a role that may upsert the floor could otherwise set it to now,
-- or into the future, and every look-up of an ID below it would answer "expired" (and the rows under it
-- could be deleted). A floor already above it (the owner lengthened the retention later) may stay.
CREATE OR REPLACE FUNCTION rm_journal_floor_within_the_minimum_retention() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    highest bigint := (extract(epoch FROM now()) * 1000)::bigint
        - coalesce((SELECT (extract(epoch FROM m.retention) * 1000)::bigint FROM public.rm_journal_minimum_retention m), 0);
BEGIN
    IF NEW.pruned_through_ms > highest AND (TG_OP = 'INSERT' OR NEW.pruned_through_ms > OLD.pruned_through_ms) THEN
        RAISE EXCEPTION 'the pruning floor of service % may not rise above the database''s clock minus the minimum retention', NEW.service_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

ALTER FUNCTION rm_journal_floor_within_the_minimum_retention() SET search_path = pg_catalog, public, pg_temp;

CREATE OR REPLACE FUNCTION rm_journal_pruned_only_grows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.service_id <> OLD.service_id OR NEW.account_id <> OLD.account_id
       OR NEW.records < OLD.records OR NEW.through_sequence < OLD.through_sequence THEN
        RAISE EXCEPTION 'the pruned tally of account % only grows', OLD.account_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

-- History inside the retention cannot be deleted, by any role: the application role needs DELETE
-- for the pruner, but a journal row may go only once the service's floor covers it (the pruner's own
-- rule: its ID and its recording at or below the floor, which it raises before it deletes). So an
-- erased row's ID answers "expired", never runs again. The role may raise the floor (the pruner's
-- upsert needs it), but not past the database's clock minus the owner's minimum retention
-- (rm_journal_minimum_retention, 7 years on a new database unless the owner changed it; at 0 or without
-- a row, not into the future):
-- history inside it cannot be deleted with the application's credentials. A row deleted without its tally in
-- rm_journal_pruned shows in the audit as missing. One check per
-- statement over the rows it deleted (a transition table), so the pruner's batches pay one scan, not a
-- function call per row. Like the triggers below, the tables' owner can disable it for a repair.
CREATE OR REPLACE FUNCTION rm_operation_journal_deletes_only_below_the_floor() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kept record;
BEGIN
    SELECT d.service_id, d.account_id, d.sequence INTO kept
    FROM rm_deleted_journal_rows d
    LEFT JOIN public.rm_journal_retention r ON r.service_id = d.service_id
    WHERE r.pruned_through_ms IS NULL
       OR d.operation_time_ms > r.pruned_through_ms
       OR d.recorded_at > timestamptz 'epoch' + r.pruned_through_ms * interval '1 millisecond'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal record % of account % (service %) is inside the retention: only rows the pruning floor covers may be deleted',
            kept.sequence, kept.account_id, kept.service_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

-- The function runs with the deleting role's rights: a fixed search path, so that a temporary table
-- of the same name (pg_temp comes first otherwise) cannot stand in for the floor.
ALTER FUNCTION rm_operation_journal_deletes_only_below_the_floor() SET search_path = pg_catalog, public, pg_temp;

CREATE OR REPLACE TRIGGER rm_operation_journal_deletes_only_below_the_floor
    AFTER DELETE ON rm_operation_journal REFERENCING OLD TABLE AS rm_deleted_journal_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_operation_journal_deletes_only_below_the_floor();

CREATE OR REPLACE TRIGGER rm_journal_retention_only_rises
    BEFORE UPDATE ON rm_journal_retention FOR EACH ROW EXECUTE FUNCTION rm_journal_retention_only_rises();
CREATE OR REPLACE TRIGGER rm_journal_floor_within_the_minimum_retention
    BEFORE INSERT OR UPDATE ON rm_journal_retention FOR EACH ROW EXECUTE FUNCTION rm_journal_floor_within_the_minimum_retention();
CREATE OR REPLACE TRIGGER rm_journal_pruned_only_grows
    BEFORE UPDATE ON rm_journal_pruned FOR EACH ROW EXECUTE FUNCTION rm_journal_pruned_only_grows();
