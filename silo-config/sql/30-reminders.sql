-- Orleans ADO.NET reminders (AdoNetReminderTable) for PostgreSQL.
--
-- Contract with Orleans.Reminders.AdoNet:
--  * Parameters: @ServiceId, @GrainId, @ReminderName text; @StartTime
--    timestamptz; @Period int4 or int8 (milliseconds; int8 only when it does
--    not fit in int4); @GrainHash/@BeginHash/@EndHash int4 (the uint uniform
--    hash reinterpreted as signed); @Version int4 (the etag).
--  * Read queries return grainid, remindername, starttime, period (read as
--    int64), version.
--  * Upsert returns one row with column version (the new etag); delete returns
--    one boolean-convertible column (true = a row with that etag was removed).

CREATE TABLE IF NOT EXISTS orleansreminderstable
(
    serviceid    varchar(150) NOT NULL,
    grainid      text         NOT NULL,
    remindername text         NOT NULL,
    starttime    timestamptz  NOT NULL,
    period       bigint       NOT NULL,
    grainhash    integer      NOT NULL,
    version      integer      NOT NULL,
    CONSTRAINT pk_orleansreminderstable PRIMARY KEY (serviceid, grainid, remindername)
);

-- Reminder services load their hash-ring range at start-up and on ring changes.
-- Created only when missing (a SHARE lock otherwise, as in 20-persistence.sql).
DO $$
BEGIN
    IF to_regclass('ix_orleansreminderstable_hash') IS NULL THEN
        CREATE INDEX ix_orleansreminderstable_hash ON orleansreminderstable (serviceid, grainhash);
    END IF;
END
$$;

INSERT INTO orleansquery (querykey, querytext)
VALUES
-- Registering an existing reminder again replaces its schedule and moves the
-- etag on, so a delete holding the old etag fails.
('UpsertReminderRowKey', $sql$
INSERT INTO orleansreminderstable
    (serviceid, grainid, remindername, starttime, period, grainhash, version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 1)
ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
SET starttime = EXCLUDED.starttime,
    period    = EXCLUDED.period,
    grainhash = EXCLUDED.grainhash,
    version   = orleansreminderstable.version + 1
RETURNING version;
$sql$),

('ReadReminderRowsKey', $sql$
SELECT grainid, remindername, starttime, period, version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND grainid = @GrainId;
$sql$),

('ReadReminderRowKey', $sql$
SELECT grainid, remindername, starttime, period, version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND grainid = @GrainId
  AND remindername = @ReminderName;
$sql$),

-- Used when (int)BeginHash < (int)EndHash: the range does not wrap.
('ReadRangeRows1Key', $sql$
SELECT grainid, remindername, starttime, period, version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND grainhash > @BeginHash
  AND grainhash <= @EndHash;
$sql$),

-- Used otherwise: the range wraps around the end of the ring.
('ReadRangeRows2Key', $sql$
SELECT grainid, remindername, starttime, period, version
FROM orleansreminderstable
WHERE serviceid = @ServiceId
  AND (grainhash > @BeginHash OR grainhash <= @EndHash);
$sql$),

('DeleteReminderRowKey', $sql$
WITH removed AS (
    DELETE FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND grainid = @GrainId
      AND remindername = @ReminderName
      AND version = @Version
    RETURNING 1
)
SELECT count(*) > 0 AS deleted FROM removed;
$sql$),

('DeleteReminderRowsKey', $sql$
DELETE FROM orleansreminderstable
WHERE serviceid = @ServiceId;
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
