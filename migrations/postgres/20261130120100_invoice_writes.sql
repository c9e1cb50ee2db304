-- What writing invoices needs: a version per invoice (two people editing one invoice) and
-- the keys of create forms already handled (one form sent twice).
-- Twin of ../sqlite/20261130120100_invoice_writes.sql.
alter table invoices add column version bigint not null default 1 check (version >= 1);

create table form_submissions (
    -- The random key of one create form. The primary key makes a second submission wait
    -- for the first one's transaction, then find its row: one invoice per form, whichever
    -- instance each submission reached.
    key text primary key check (length(key) between 16 and 64),

    -- The invoice it created; null once that invoice is deleted.
    invoice_id bigint references invoices (id) on delete set null,

    -- Unix seconds: keys older than a week are deleted.
    created_at bigint not null
);
