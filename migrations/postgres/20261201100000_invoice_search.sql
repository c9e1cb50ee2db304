-- A trigram index of each invoice's date and amount as the search box reads them
-- ('2026-03-14 1234.56'). Twin of ../sqlite/20261201100000_invoice_search.sql, which gives
-- the reasons; here it is pg_trgm's GIN index on an expression, with no table of its own.
-- pg_trgm ships with PostgreSQL and is a trusted extension (PostgreSQL 13 and later): the
-- owner of the database may create it without being a superuser.
create extension if not exists pg_trgm;

-- The indexed text. Immutable, as an index expression must be: to_char is only stable
-- because some of its patterns read the locale, and 'YYYY-MM-DD' reads none. Being
-- declared immutable over a stable body, it is never inlined, so queries that call it
-- match the index.
create function invoice_search_text(date date, amount_cents bigint) returns text
language sql immutable strict parallel safe as $$
    select to_char(date, 'YYYY-MM-DD') || ' '
        || (amount_cents / 100)::text || '.' || lpad((amount_cents % 100)::text, 2, '0')
$$;

-- search_invoices and invoice_pages: `invoice_search_text(date, amount_cents) like $1`.
create index invoices_search on invoices
using gin (invoice_search_text(date, amount_cents) gin_trgm_ops);
