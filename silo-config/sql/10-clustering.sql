-- Orleans ADO.NET clustering (membership) for PostgreSQL.
--
-- Contract with Orleans.Clustering.AdoNet (see RelationalOrleansQueries):
--  * Parameters arrive typed from Npgsql: @DeploymentId/@Address/@SiloName/
--    @HostName/@SuspectTimes text, @Port/@Generation/@Status/@ProxyPort/@Version
--    int4, @StartTime/@IAmAliveTime timestamptz (DateTime UTC).
--  * Read queries must return the version-table row even when no silo row
--    matches (the provider indexes row 0 unconditionally), hence the LEFT JOIN.
--    A NULL starttime tells the provider "no silo in this row".
--  * Insert/update/version-insert must return exactly one column that
--    converts to a boolean (true = applied, false = lost the race).
--  * Every accepted silo insert/update bumps the table version (etag), and only
--    happens when the caller's @Version is still current.

CREATE TABLE IF NOT EXISTS orleansmembershipversiontable
(
    deploymentid varchar(150) NOT NULL,
    changedon    timestamptz  NOT NULL DEFAULT now(),
    version      integer      NOT NULL DEFAULT 0,
    CONSTRAINT pk_orleansmembershipversiontable PRIMARY KEY (deploymentid)
);

CREATE TABLE IF NOT EXISTS orleansmembershiptable
(
    deploymentid varchar(150) NOT NULL,
    address      varchar(45)  NOT NULL,
    port         integer      NOT NULL,
    generation   integer      NOT NULL,
    siloname     varchar(150) NOT NULL,
    hostname     varchar(150) NOT NULL,
    status       integer      NOT NULL,
    -- The provider reads this with GetInt32, so it must never be NULL.
    proxyport    integer      NOT NULL DEFAULT 0,
    suspecttimes text         NULL,
    starttime    timestamptz  NOT NULL,
    iamalivetime timestamptz  NOT NULL,
    CONSTRAINT pk_orleansmembershiptable
        PRIMARY KEY (deploymentid, address, port, generation),
    CONSTRAINT fk_orleansmembershiptable_version
        FOREIGN KEY (deploymentid)
        REFERENCES orleansmembershipversiontable (deploymentid)
);

-- Adds a silo row only if the caller saw the current table version; the version
-- row is locked first so concurrent writers serialise on it, and it is bumped
-- only when the silo row really went in.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_silo_name       text,
    p_host_name       text,
    p_status          integer,
    p_proxy_port      integer,
    p_start_time      timestamptz,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
    FROM orleansmembershipversiontable
    WHERE deploymentid = p_deployment_id
      AND version = p_version
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname,
         status, proxyport, suspecttimes, starttime, iamalivetime)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name,
         p_status, coalesce(p_proxy_port, 0), NULL, p_start_time, p_i_am_alive_time)
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleansmembershipversiontable
    SET version = version + 1,
        changedon = now()
    WHERE deploymentid = p_deployment_id;
    RETURN true;
END;
$fn$;

-- Same optimistic scheme as the insert: nothing changes unless both the table
-- version matches and the silo row exists.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_status          integer,
    p_suspect_times   text,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
    FROM orleansmembershipversiontable
    WHERE deploymentid = p_deployment_id
      AND version = p_version
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleansmembershiptable
    SET status = p_status,
        suspecttimes = p_suspect_times,
        iamalivetime = p_i_am_alive_time
    WHERE deploymentid = p_deployment_id
      AND address = p_address
      AND port = p_port
      AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleansmembershipversiontable
    SET version = version + 1,
        changedon = now()
    WHERE deploymentid = p_deployment_id;
    RETURN true;
END;
$fn$;

INSERT INTO orleansquery (querykey, querytext)
VALUES
('InsertMembershipVersionKey', $sql$
WITH created AS (
    INSERT INTO orleansmembershipversiontable (deploymentid)
    VALUES (@DeploymentId)
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 AS created FROM created;
$sql$),

('InsertMembershipKey', $sql$
SELECT orleans_membership_insert(
    @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
    @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS inserted;
$sql$),

('UpdateMembershipKey', $sql$
SELECT orleans_membership_update(
    @DeploymentId, @Address, @Port, @Generation,
    @Status, @SuspectTimes, @IAmAliveTime, @Version) AS updated;
$sql$),

-- Heartbeat only: deliberately does not touch the table version.
('UpdateIAmAlivetimeKey', $sql$
UPDATE orleansmembershiptable
SET iamalivetime = @IAmAliveTime
WHERE deploymentid = @DeploymentId
  AND address = @Address
  AND port = @Port
  AND generation = @Generation;
$sql$),

('MembershipReadRowKey', $sql$
SELECT v.deploymentid,
       m.address, m.port, m.generation, m.siloname, m.hostname,
       m.status, m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime,
       v.version
FROM orleansmembershipversiontable AS v
LEFT JOIN orleansmembershiptable AS m
       ON m.deploymentid = v.deploymentid
      AND m.address = @Address
      AND m.port = @Port
      AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId;
$sql$),

('MembershipReadAllKey', $sql$
SELECT v.deploymentid,
       m.address, m.port, m.generation, m.siloname, m.hostname,
       m.status, m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime,
       v.version
FROM orleansmembershipversiontable AS v
LEFT JOIN orleansmembershiptable AS m
       ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId;
$sql$),

-- Silo rows first: they reference the version row.
('DeleteMembershipTableEntriesKey', $sql$
DELETE FROM orleansmembershiptable WHERE deploymentid = @DeploymentId;
DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId;
$sql$),

-- Clients call this with @Status = 3 (Active); silos without a gateway have
-- proxyport 0.
('GatewaysQueryKey', $sql$
SELECT address, proxyport, generation
FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND status = @Status
  AND proxyport > 0;
$sql$),

-- Any silo that is not Active (3) and has not heartbeated since the cutoff is
-- defunct; this matches what the other Orleans membership providers remove.
('CleanupDefunctSiloEntriesKey', $sql$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND iamalivetime < @IAmAliveTime
  AND status <> 3;
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
