-- A trigram index of each invoice's date and amount as the search box reads them
-- ('2026-03-14 1234.56'): search_invoices and invoice_pages find the invoices whose date or
-- amount contains a text (`like '%2026-03%'`) from the index instead of formatting and
-- testing a million rows (80-300 ms at 1M invoices before, see BENCHMARKS.md). Names and
-- emails are matched per customer and statuses from customer_totals, so they are not here.
--
-- The rowid is not the invoice's id but its place in the list, newest first:
-- days since 1970 times 2^40, plus the id (ids stay below 2^40). `order by rowid desc` is
-- then `order by date desc, id desc`, which FTS5 walks in its own order and stops after a
-- page; `rowid & 1099511627775` is the invoice's id. detail='none' keeps only which
-- invoices hold a trigram, not where: `like` re-reads the stored text of each candidate,
-- and the index is a third of the size.
create virtual table invoice_search using fts5 (
    text,
    tokenize = 'trigram',
    detail = 'none'
);

-- The invoices already there.
insert into invoice_search (rowid, text)
select
    (unixepoch(date) / 86400) * 1099511627776 + id,
    date || ' ' || printf('%d.%02d', amount_cents / 100, amount_cents % 100)
from invoices;

create trigger invoices_insert_search
after insert on invoices
begin
    insert into invoice_search (rowid, text)
    values (
        (unixepoch(new.date) / 86400) * 1099511627776 + new.id,
        new.date || ' ' || printf('%d.%02d', new.amount_cents / 100, new.amount_cents % 100)
    );
end;

create trigger invoices_delete_search
after delete on invoices
begin
    delete from invoice_search
    where rowid = (unixepoch(old.date) / 86400) * 1099511627776 + old.id;
end;

create trigger invoices_update_search
after update of id, amount_cents, date on invoices
begin
    delete from invoice_search
    where rowid = (unixepoch(old.date) / 86400) * 1099511627776 + old.id;
    insert into invoice_search (rowid, text)
    values (
        (unixepoch(new.date) / 86400) * 1099511627776 + new.id,
        new.date || ' ' || printf('%d.%02d', new.amount_cents / 100, new.amount_cents % 100)
    );
end;

-- The keys above hold ids from 0 to 2^40 - 1 (a trillion invoices); an id beyond would take
-- another invoice's key. After the insert, when an automatic id is known (before it,
-- SQLite shows -1); the abort undoes the insert.
create trigger invoices_id_fits_search_key
after insert on invoices
when new.id not between 0 and 1099511627775
begin
    select raise(abort, 'invoice ids must be below 2^40 (the keys of invoice_search)');
end;

create trigger invoices_new_id_fits_search_key
after update of id on invoices
when new.id not between 0 and 1099511627775
begin
    select raise(abort, 'invoice ids must be below 2^40 (the keys of invoice_search)');
end;
