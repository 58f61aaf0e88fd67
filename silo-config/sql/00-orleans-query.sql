-- Registry of the SQL the Orleans ADO.NET providers execute.
--
-- At start-up every provider runs "SELECT QueryKey, QueryText FROM OrleansQuery"
-- and afterwards only executes the text registered under the keys it knows, so
-- the rest of the schema is free-form as long as each query keeps its
-- parameter names (@Name, as passed by the C# code) and result column names.
--
-- Identifiers are left unquoted on purpose: PostgreSQL folds them to lower
-- case, which is what the providers' unquoted SELECT expects, and Npgsql matches
-- result column names case-insensitively.

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (querykey)
);
