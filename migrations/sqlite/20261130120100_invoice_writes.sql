-- What safe writes to invoices need: a version per invoice (two people editing it) and
-- the forms already submitted (the same form sent twice).

-- Starts at 1 and grows by one on every update: an edit form carries the version it was
-- made from, and an update of any other version changes nothing (see update_invoice).
alter table invoices add column version integer not null default 1 check (version >= 1);

-- One row per create form that was submitted successfully. The form carries a random key;
-- inserting the key and the invoice in one transaction makes a second submission of the
-- same form (a double click, a retry after a timeout) find the first one's invoice
-- instead of creating another.
create table form_submissions (
    -- The form's key: 32 hex digits from the server's random generator (16 to 64 are
    -- accepted, so the format may change without a migration).
    key text primary key check (length(key) between 16 and 64),

    -- The invoice the submission created; null once that invoice is deleted.
    invoice_id integer references invoices (id) on delete set null,

    -- Unix seconds, to prune old keys.
    created_at integer not null
) strict;
