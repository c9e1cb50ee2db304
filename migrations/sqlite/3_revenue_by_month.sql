-- Totals per month, so the dashboard never sums a million invoices.
--
-- A `group by` over every invoice takes hundreds of milliseconds at a million rows; this
-- table has one row per month (24 for the demo data) and answers the dashboard's cards
-- and chart in well under a millisecond. The seeder fills it in one statement after a
-- bulk load; the triggers below keep it right on every later insert, update and delete.
create table revenue_by_month (
    -- 'YYYY-MM', i.e. substr(invoices.date, 1, 7).
    month text primary key,

    -- Sum of amount_cents of the month's paid invoices: the revenue in the chart.
    paid_cents integer not null default 0,

    -- Sum of amount_cents of the month's pending invoices.
    pending_cents integer not null default 0,

    -- Invoices of the month, either status. A month whose invoices were all deleted
    -- keeps its row with zeros; the queries treat it as a month without data.
    invoice_count integer not null default 0
) strict, without rowid;

-- A new invoice adds to its month, creating the month's row if needed.
create trigger invoices_insert_revenue
after insert on invoices
begin
    insert into revenue_by_month (month, paid_cents, pending_cents, invoice_count)
    values (
        substr(new.date, 1, 7),
        iif(new.status = 'paid', new.amount_cents, 0),
        iif(new.status = 'pending', new.amount_cents, 0),
        1
    )
    on conflict (month) do update set
        paid_cents = paid_cents + excluded.paid_cents,
        pending_cents = pending_cents + excluded.pending_cents,
        invoice_count = invoice_count + 1;
end;

-- A deleted invoice (also by the cascade from customers) subtracts from its month.
create trigger invoices_delete_revenue
after delete on invoices
begin
    update revenue_by_month
    set
        paid_cents = paid_cents - iif(old.status = 'paid', old.amount_cents, 0),
        pending_cents = pending_cents - iif(old.status = 'pending', old.amount_cents, 0),
        invoice_count = invoice_count - 1
    where month = substr(old.date, 1, 7);
end;

-- A changed amount, status or date: subtract the old invoice, add the new one. Marking an
-- invoice paid moves its amount from pending_cents to paid_cents; a new date may move it
-- to another month.
create trigger invoices_update_revenue
after update of amount_cents, status, date on invoices
begin
    update revenue_by_month
    set
        paid_cents = paid_cents - iif(old.status = 'paid', old.amount_cents, 0),
        pending_cents = pending_cents - iif(old.status = 'pending', old.amount_cents, 0),
        invoice_count = invoice_count - 1
    where month = substr(old.date, 1, 7);

    insert into revenue_by_month (month, paid_cents, pending_cents, invoice_count)
    values (
        substr(new.date, 1, 7),
        iif(new.status = 'paid', new.amount_cents, 0),
        iif(new.status = 'pending', new.amount_cents, 0),
        1
    )
    on conflict (month) do update set
        paid_cents = paid_cents + excluded.paid_cents,
        pending_cents = pending_cents + excluded.pending_cents,
        invoice_count = invoice_count + 1;
end;
