-- Which service each cluster belongs to.
--
-- Membership is keyed by ClusterId (Orleans' deploymentid), grain state, reminders and the operation
-- journal by ServiceId. A silo started with a cluster's ClusterId and another ServiceId would join that
-- cluster and then read and write its own rows of the same accounts (another balance, another window
-- of executed operations), so an operation recorded in one row could execute again through the other.
-- The first silo of a cluster claims it for its service; a silo of another service is refused at start
-- (ClusterServiceGuard), before it joins. A new ClusterId (a blue/green deployment) is claimed anew; to
-- give a ClusterId to another service on purpose, delete its row as the tables' owner.

CREATE TABLE IF NOT EXISTS rm_cluster_service
(
    cluster_id text        NOT NULL,
    service_id text        NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_rm_cluster_service PRIMARY KEY (cluster_id)
);
