-- Paid and pending totals per calendar month, kept right by triggers on every invoice
-- write: the dashboard's cards and chart add up two dozen rows instead of a million.
-- Twin of ../sqlite/3_revenue_by_month.sql.
create table revenue_by_month (
    -- 'YYYY-MM', as SQLite stores it.
    month text primary key,

    paid_cents bigint not null default 0,

    pending_cents bigint not null default 0,

    invoice_count bigint not null default 0
);

-- Adds (sign 1) or removes (sign -1) one invoice's amount to its month's row. Two
-- transactions that touch one month serialise on its row (the upsert's row lock), so
-- concurrent writers from several instances never lose an update.
create function revenue_by_month_add(invoice invoices, sign bigint) returns void
language sql as $$
    insert into revenue_by_month (month, paid_cents, pending_cents, invoice_count)
    values (
        to_char(invoice.date, 'YYYY-MM'),
        sign * case when invoice.status = 'paid' then invoice.amount_cents else 0 end,
        sign * case when invoice.status = 'pending' then invoice.amount_cents else 0 end,
        sign
    )
    on conflict (month) do update set
        paid_cents = revenue_by_month.paid_cents + excluded.paid_cents,
        pending_cents = revenue_by_month.pending_cents + excluded.pending_cents,
        invoice_count = revenue_by_month.invoice_count + excluded.invoice_count;
$$;

create function invoices_revenue() returns trigger
language plpgsql as $$
begin
    if tg_op in ('DELETE', 'UPDATE') then
        perform revenue_by_month_add(old, -1);
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        perform revenue_by_month_add(new, 1);
    end if;
    return null;
end;
$$;

-- One trigger for the three kinds of write; an update that changes none of the summed
-- columns (a version bump) does not fire it.
create trigger invoices_revenue
after insert or delete or update of amount_cents, status, date on invoices
for each row execute function invoices_revenue();
