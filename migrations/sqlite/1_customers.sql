-- Customers of Acme: who an invoice is addressed to.
--
-- Keywords are lowercase in every migration and query: the SQL reads like the code around
-- it, and what stands out are the names of tables and columns.
create table customers (
    -- An alias of SQLite's rowid: the cheapest key there is.
    id integer primary key,

    -- Display name, e.g. 'Ada Lovelace'. The length limit lets the search skip queries
    -- that are too long to match any name (see src/db/queries/pattern.rs).
    name text not null check (length(name) between 1 and 200),

    -- Contact address, unique so that two customers are never confused. 254 characters is
    -- the longest address SMTP delivers.
    email text not null unique check (length(email) between 3 and 254),

    -- Background of the avatar as a CSS colour, e.g. '#2563eb'. Stored rather than derived
    -- from the id, so a customer keeps their colour when the palette changes.
    avatar_color text not null,

    -- One or two letters drawn on the avatar, e.g. 'AL'.
    initials text not null
) strict;

-- customers_with_totals lists customers by name.
create index customers_by_name on customers (name);
