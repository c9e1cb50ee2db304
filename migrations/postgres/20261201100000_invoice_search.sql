-- What the search box finds in dates and amounts without reading every invoice. Twin of
-- ../sqlite/20261201100000_invoice_search.sql, which gives the reasons; PostgreSQL's
-- answer differs. Dates need no index of their own: the few hundred days between the first
-- invoice and the last are tested instead (search_invoices), and `invoices_by_date` reads
-- the invoices of the days that match. Amounts get pg_trgm's GIN index on a column that
-- holds each amount as the search reads it, with an `x` for the point: pg_trgm splits words
-- at anything but letters and digits, and '1234.56' would be indexed as the unrelated words
-- '1234' and '56'.
--
-- pg_trgm ships with PostgreSQL and is a trusted extension (PostgreSQL 13 and later): the
-- owner of the database may create it without being a superuser.
create extension if not exists pg_trgm;

-- 1234.56 as '1234x56'.
alter table invoices
add column amount_search text not null
generated always as (
    (amount_cents / 100)::text || 'x' || lpad((amount_cents % 100)::text, 2, '0')
) stored;

-- search_invoices and invoice_pages: `amount_search like '%34x5%'`.
create index invoices_amount_search on invoices using gin (amount_search gin_trgm_ops);
