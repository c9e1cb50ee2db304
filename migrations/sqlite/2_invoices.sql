-- Invoices: what a customer owes or has paid.
create table invoices (
    -- Invoice number. The seeder numbers invoices in date order, like a real ledger.
    id integer primary key,

    -- Deleting a customer deletes their invoices (the triggers in 3_revenue_by_month.sql
    -- then keep the monthly totals right).
    customer_id integer not null references customers (id) on delete cascade,

    -- Money in integer cents: sums are exact, unlike floating-point dollars.
    amount_cents integer not null check (amount_cents >= 0),

    -- Two states only; the check keeps a typo like 'payed' out of the totals.
    status text not null check (status in ('paid', 'pending')),

    -- ISO 8601 'YYYY-MM-DD' as text: sorts correctly as a string, is readable in the
    -- sqlite3 shell, and substr(date, 1, 7) is its month. The check rejects anything that
    -- does not come back unchanged from date arithmetic: '2026-1-5' and '' (date() gives
    -- null) and '2026-02-30' (adding zero days normalises it to '2026-03-02').
    date text not null check (date(date, '+0 days') is date)
) strict;

-- latest_invoices and search_invoices: newest first is a backwards walk of this index.
-- Every index ends with the rowid, so `order by date desc, id desc` needs no sort.
create index invoices_by_date on invoices (date);

-- invoices_of_customer seeks a customer and reads their invoices newest first;
-- customers_with_totals sums status and amount straight from the index without touching
-- the table (a covering index); and deleting a customer finds their invoices here.
create index invoices_by_customer on invoices (customer_id, date, status, amount_cents);
