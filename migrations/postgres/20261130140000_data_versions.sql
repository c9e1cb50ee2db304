-- One row per kind of data (`invoices`, `revenue`, `customers`; `*` for "everything"),
-- whose version every write that changes it raises, in its own transaction, while it
-- announces the new version with `NOTIFY braid_changes` (see src/db/changes.rs).
--
-- A notification reaches only the instances listening at that moment; this table is what
-- an instance that was disconnected compares with the versions it last heard, to learn
-- what it missed. PostgreSQL only: SQLite serves one process, whose writes announce
-- themselves in memory.
create table data_versions (
    tag text primary key,
    version bigint not null
);
