-- Orleans ADO.NET grain storage (AdoNetGrainStorage) for PostgreSQL.
--
-- Contract with Orleans.Persistence.AdoNet 10.x:
--  * Every query receives @GrainIdHash int4, @GrainIdN0/@GrainIdN1 int8,
--    @GrainTypeHash int4, @GrainTypeString text, @GrainIdExtensionString text
--    (NULL when the key has no extension), @ServiceId text. Write, clear and
--    delete also get @GrainStateVersion int4 (NULL when the grain has no etag);
--    the write gets the serialized state as @PayloadBinary bytea. The 10.x
--    provider passes no JSON/XML payload parameters, so only a binary column
--    exists here.
--  * Read returns at most one row with columns payloadbinary and version.
--    A NULL payload means "no state" (RecordExists = false).
--  * Write returns one row, column newgrainstateversion. The provider compares
--    it with the etag it sent: NULL (or the unchanged etag) is turned into an
--    InconsistentStateException. This schema returns NULL on every conflict.
--  * Clear/delete return the new etag in their first column, or no row at all
--    when the expected version no longer matches (also a conflict).

CREATE TABLE IF NOT EXISTS orleansstorage
(
    grainidhash            integer     NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    graintypehash          integer     NOT NULL,
    graintypestring        text        NOT NULL,
    grainidextensionstring text        NULL,
    serviceid              text        NOT NULL,
    payloadbinary          bytea       NULL,
    modifiedon             timestamptz NOT NULL DEFAULT now(),
    version                integer     NOT NULL
);

-- The whole state is rewritten on every write. Rows up to about 8 KB (a full default window) stay
-- inline and uncompressed: with the default target of 2 KB PostgreSQL would compress (and may move
-- out of line) every larger state on every write, CPU spent on a row the next write replaces anyway.
DO $$
BEGIN
    IF NOT coalesce((SELECT reloptions FROM pg_class WHERE oid = 'orleansstorage'::regclass), '{}') @> ARRAY['toast_tuple_target=8160'] THEN
        ALTER TABLE orleansstorage SET (toast_tuple_target = 8160);
    END IF;
END
$$;

-- One row per grain identity. The two strings are indexed through md5 so that
-- arbitrarily long string keys cannot exceed the btree row limit. A NULL
-- extension needs its own partial index because NULLs never collide in a
-- unique index (and NULLS NOT DISTINCT would require PostgreSQL 15+).
-- Both indexes lead with the two hashes, which is what the lookups filter on.
-- Created only when missing: CREATE INDEX IF NOT EXISTS takes a SHARE lock on the table before it
-- looks, which would hold up every grain-state write while a re-apply (an upgrade, a restart of the
-- local server) waits for it (SchemaUpgradeTests).
DO $$
BEGIN
    IF to_regclass('ux_orleansstorage_grain') IS NULL THEN
        CREATE UNIQUE INDEX ux_orleansstorage_grain
            ON orleansstorage (grainidhash, graintypehash, grainidn0, grainidn1, serviceid,
                               md5(graintypestring), md5(grainidextensionstring))
            WHERE grainidextensionstring IS NOT NULL;
    END IF;
    IF to_regclass('ux_orleansstorage_grain_noext') IS NULL THEN
        CREATE UNIQUE INDEX ux_orleansstorage_grain_noext
            ON orleansstorage (grainidhash, graintypehash, grainidn0, grainidn1, serviceid,
                               md5(graintypestring))
            WHERE grainidextensionstring IS NULL;
    END IF;
END
$$;

-- Optimistic-concurrency upsert keyed on the version (etag):
--   expected version NULL  -> first write: insert version 1, unless the grain
--                             already has a row (someone else wrote first);
--   expected version N     -> overwrite only if the stored version is still N,
--                             and move it to N + 1.
-- Returns the new version, or NULL when the write lost (stale or duplicate).
-- The update has one statement per kind of key: a predicate "extension = p OR (both NULL)" fits
-- neither partial index, so its cached generic plan ORed two bitmap scans on every write; each
-- branch's own predicate is a plain scan of its unique index (pgbench: 1.12-1.16 times the writes
-- per second at 1 and 8 clients, docs/benchmark-experiments.md).
-- The unique indexes make concurrent first writes safe: the loser waits for
-- the winner and then hits ON CONFLICT; concurrent updates re-check the
-- version after the row lock is released.
CREATE OR REPLACE FUNCTION orleans_storage_write(
    p_grain_id_hash     integer,
    p_grain_id_n0       bigint,
    p_grain_id_n1       bigint,
    p_grain_type_hash   integer,
    p_grain_type        text,
    p_grain_id_ext      text,
    p_service_id        text,
    p_expected_version  integer,
    p_payload           bytea)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new_version integer;
BEGIN
    IF p_expected_version IS NULL THEN
        INSERT INTO orleansstorage
            (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring,
             grainidextensionstring, serviceid, payloadbinary, modifiedon, version)
        VALUES
            (p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash, p_grain_type,
             p_grain_id_ext, p_service_id, p_payload, now(), 1)
        ON CONFLICT DO NOTHING
        RETURNING version INTO v_new_version;
    ELSIF p_grain_id_ext IS NOT NULL THEN
        UPDATE orleansstorage
        SET payloadbinary = p_payload,
            modifiedon = now(),
            version = version + 1
        WHERE grainidhash = p_grain_id_hash
          AND graintypehash = p_grain_type_hash
          AND grainidn0 = p_grain_id_n0
          AND grainidn1 = p_grain_id_n1
          AND serviceid = p_service_id
          AND graintypestring = p_grain_type
          AND grainidextensionstring = p_grain_id_ext
          AND version = p_expected_version
        RETURNING version INTO v_new_version;
    ELSE
        UPDATE orleansstorage
        SET payloadbinary = p_payload,
            modifiedon = now(),
            version = version + 1
        WHERE grainidhash = p_grain_id_hash
          AND graintypehash = p_grain_type_hash
          AND grainidn0 = p_grain_id_n0
          AND grainidn1 = p_grain_id_n1
          AND serviceid = p_service_id
          AND graintypestring = p_grain_type
          AND grainidextensionstring IS NULL
          AND version = p_expected_version
        RETURNING version INTO v_new_version;
    END IF;

    RETURN v_new_version;
END;
$fn$;

INSERT INTO orleansquery (querykey, querytext)
VALUES
('WriteToStorageKey', $sql$
SELECT orleans_storage_write(
    @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
    @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary
) AS newgrainstateversion;
$sql$),

('ReadFromStorageKey', $sql$
SELECT payloadbinary, version
FROM orleansstorage
WHERE grainidhash = @GrainIdHash
  AND graintypehash = @GrainTypeHash
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (grainidextensionstring IS NULL AND @GrainIdExtensionString IS NULL));
$sql$),

-- ClearStateAsync with DeleteStateOnClear = false: keep the row (and so the
-- version history) but drop the payload.
('ClearStorageKey', $sql$
UPDATE orleansstorage
SET payloadbinary = NULL,
    modifiedon = now(),
    version = version + 1
WHERE grainidhash = @GrainIdHash
  AND graintypehash = @GrainTypeHash
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (grainidextensionstring IS NULL AND @GrainIdExtensionString IS NULL))
  AND version = @GrainStateVersion
RETURNING version AS newgrainstateversion;
$sql$),

-- ClearStateAsync with DeleteStateOnClear = true. The provider expects a value
-- different from the etag it sent, so report the version the row would have
-- had next.
('DeleteStorageKey', $sql$
DELETE FROM orleansstorage
WHERE grainidhash = @GrainIdHash
  AND graintypehash = @GrainTypeHash
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (grainidextensionstring IS NULL AND @GrainIdExtensionString IS NULL))
  AND version = @GrainStateVersion
RETURNING version + 1 AS newgrainstateversion;
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
