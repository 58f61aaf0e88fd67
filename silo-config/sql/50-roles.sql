-- The application role: what silos connect as, instead of the superuser (front ends connect as
-- rm_frontend, at the end of this file).
--
-- rm_app can LOG IN and run the Orleans ADO.NET providers' queries (orleansquery) on the
-- project's tables, and nothing else: it owns no table (so it cannot DROP, ALTER or TRUNCATE
-- them), is no superuser, cannot create databases, roles or objects in the schema.
--
-- Privileges, from the providers' queries in 00-30:
--   orleansquery                    SELECT                          (queries read at start-up)
--   orleansmembershipversiontable   SELECT, INSERT, UPDATE, DELETE  (version row, cleanup of a deployment)
--   orleansmembershiptable          SELECT, INSERT, UPDATE, DELETE  (join, status, I-am-alive, defunct cleanup)
--   orleansstorage                  SELECT, INSERT, UPDATE, DELETE  (read, write, clear state)
--   orleansreminderstable           SELECT, INSERT, UPDATE, DELETE  (reminders of transfer delivery)
--   rm_operation_journal            SELECT, INSERT, DELETE          (the operation journal: append, read, prune; a
--                                                                    trigger of 40-journal.sql refuses deleting rows above the floor)
--   rm_journal_retention            SELECT, INSERT, UPDATE          (the pruning floor: an upsert that only rises; no DELETE)
--   rm_journal_pruned               SELECT, INSERT, UPDATE          (what pruning deleted per account: an upsert that adds; no DELETE)
--   rm_journal_minimum_retention    SELECT                          (the owner's minimum retention, which the pruner clamps to)
--   rm_cluster_service              SELECT, INSERT                  (a silo claims its cluster for its service; no UPDATE or DELETE)
--   functions orleans_membership_insert / _update, orleans_storage_write: EXECUTE (SECURITY INVOKER:
--   they act with rm_app's table privileges)
--
-- The password comes from the setting rm.app_password of the session that applies this file
-- (PGOPTIONS="-c rm.app_password=..."; docker-compose.yml sets it from RM_APP_DB_PASSWORD,
-- without spaces). Without it the role gets no password (the local servers of scripts/ trust
-- loopback connections). Idempotent: re-running resets the attributes and grants, and the password
-- when given. Run as a superuser (or the owner of the tables with CREATEROLE).

-- Both login roles (rm_app, and rm_frontend at the end of this file): created once, their attributes
-- reset, each password from its setting when given, usage of the schema and the database, nothing of
-- their own (PostgreSQL 15+ already denies CREATE on public to PUBLIC; older servers do not).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
DECLARE
    login record;
    login_password text;
BEGIN
    FOR login IN SELECT * FROM (VALUES ('rm_app', 'rm.app_password'), ('rm_frontend', 'rm.frontend_password')) AS roles (name, setting) LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = login.name) THEN
            EXECUTE format('CREATE ROLE %I', login.name);
        END IF;

        EXECUTE format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT', login.name);
        login_password := current_setting(login.setting, true);
        IF login_password IS NOT NULL AND login_password <> '' THEN
            EXECUTE format('ALTER ROLE %I WITH PASSWORD %L', login.name, login_password);
        END IF;

        EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', login.name);
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), login.name);
    END LOOP;
END
$$;

GRANT SELECT ON orleansquery TO rm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON orleansmembershipversiontable TO rm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON orleansmembershiptable TO rm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON orleansstorage TO rm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON orleansreminderstable TO rm_app;

GRANT EXECUTE ON FUNCTION orleans_membership_insert, orleans_membership_update, orleans_storage_write TO rm_app;

-- Claimed once per cluster (15-cluster-service.sql, applied before this file); the application cannot
-- hand a cluster to another service.
GRANT SELECT, INSERT ON rm_cluster_service TO rm_app;
REVOKE UPDATE, DELETE ON rm_cluster_service FROM rm_app;

-- The operation journal's tables (40-journal.sql) get their grants when they exist, so this file
-- also applies to a schema without them; their sequences, if any, are usable for INSERT.
DO $$
DECLARE
    journal text;
    sequence_name text;
BEGIN
    FOREACH journal IN ARRAY ARRAY['rm_operation_journal', 'rm_journal_retention', 'rm_journal_pruned'] LOOP
        IF to_regclass(journal) IS NOT NULL THEN
            EXECUTE format('GRANT SELECT, INSERT ON %I TO rm_app', journal);
            IF journal IN ('rm_journal_retention', 'rm_journal_pruned') THEN
                -- The floor and the tallies only ever rise (upserts): deleting one would turn pruned IDs
                -- back into "never executed", so the role cannot (earlier versions granted it).
                EXECUTE format('GRANT UPDATE ON %I TO rm_app', journal);
                EXECUTE format('REVOKE DELETE ON %I FROM rm_app', journal);
            ELSE
                EXECUTE format('GRANT DELETE ON %I TO rm_app', journal);
            END IF;
            FOR sequence_name IN
                SELECT sequence.relname
                FROM pg_depend dependency
                JOIN pg_class sequence ON sequence.oid = dependency.objid AND sequence.relkind = 'S'
                WHERE dependency.refobjid = to_regclass(journal) AND dependency.deptype IN ('a', 'i')
            LOOP
                EXECUTE format('GRANT USAGE ON SEQUENCE %I TO rm_app', sequence_name);
            END LOOP;
        END IF;
    END LOOP;
END
$$;

-- The minimum retention is the owner's: the application may read it, never shorten it.
DO $$
BEGIN
    IF to_regclass('rm_journal_minimum_retention') IS NOT NULL THEN
        REVOKE ALL ON rm_journal_minimum_retention FROM rm_app;
        GRANT SELECT ON rm_journal_minimum_retention TO rm_app;
    END IF;
END
$$;

-- The front end's role, rm_frontend: the front end is an Orleans client and reads only the gateway
-- list (the membership table, through the ADO.NET clustering client's query). Its credentials are
-- the most exposed of the deployment, so they can write nothing: no state, no journal, no membership
-- row (a process holding them cannot move money in the database nor register itself as a silo).
-- Created with rm_app above; its password from the setting rm.frontend_password.
GRANT SELECT ON orleansquery, orleansmembershiptable TO rm_frontend;

-- At most 20 connections for every front end together: it reads the gateway list with one or two, and
-- its credentials, the most exposed, must not be able to take the connections the silos need.
ALTER ROLE rm_frontend CONNECTION LIMIT 20;

-- Advisory locks order the journal's inserts and its pruning (a shared and an exclusive transaction lock
-- per service). PostgreSQL lets every role take any advisory lock: whoever held the front end's
-- credentials could hold the journal's and freeze every append. In this database only rm_app may take
-- one, and only the two transaction-scoped ones it uses (a session lock would outlive a statement).
DO $$
DECLARE
    advisory regprocedure;
BEGIN
    -- The functions belong to the bootstrap superuser: anyone else's REVOKE changes nothing.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE WARNING 'not a superuser: advisory locks stay open to every role (apply 50-roles.sql as a superuser to restrict them to rm_app)';
        RETURN;
    END IF;
    FOR advisory IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname LIKE 'pg\_%advisory%'
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, rm_app, rm_frontend', advisory);
    END LOOP;
END
$$;
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        GRANT EXECUTE ON FUNCTION pg_advisory_xact_lock_shared(bigint), pg_advisory_xact_lock(bigint) TO rm_app;
    END IF;
END
$$;
