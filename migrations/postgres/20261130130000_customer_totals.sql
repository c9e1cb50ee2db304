-- Invoice count and paid and pending sums per customer, kept right by a trigger on every
-- invoice write. Twin of ../sqlite/20261130130000_customer_totals.sql.
create table customer_totals (
    customer_id bigint primary key references customers (id) on delete cascade,

    invoice_count bigint not null default 0,

    -- Paid invoices among them (see the SQLite twin).
    paid_count bigint not null default 0,

    paid_cents bigint not null default 0,

    pending_cents bigint not null default 0
);

-- A deleted invoice (or an edit's old values) is taken out with an update, never an
-- insert: when its customer is being deleted, the customer's row goes with it. A new
-- invoice (or an edit's new values) is added with an upsert, whose row lock serialises
-- concurrent writers on every instance.
create function invoices_customer_totals() returns trigger
language plpgsql as $$
begin
    if tg_op in ('DELETE', 'UPDATE') then
        update customer_totals
        set
            invoice_count = invoice_count - 1,
            paid_count = paid_count - case when old.status = 'paid' then 1 else 0 end,
            paid_cents = paid_cents
                - case when old.status = 'paid' then old.amount_cents else 0 end,
            pending_cents = pending_cents
                - case when old.status = 'pending' then old.amount_cents else 0 end
        where customer_id = old.customer_id;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into customer_totals (
            customer_id, invoice_count, paid_count, paid_cents, pending_cents
        )
        values (
            new.customer_id,
            1,
            case when new.status = 'paid' then 1 else 0 end,
            case when new.status = 'paid' then new.amount_cents else 0 end,
            case when new.status = 'pending' then new.amount_cents else 0 end
        )
        on conflict (customer_id) do update set
            invoice_count = customer_totals.invoice_count + 1,
            paid_count = customer_totals.paid_count + excluded.paid_count,
            paid_cents = customer_totals.paid_cents + excluded.paid_cents,
            pending_cents = customer_totals.pending_cents + excluded.pending_cents;
    end if;
    return null;
end;
$$;

create trigger invoices_customer_totals
after insert or delete or update of customer_id, amount_cents, status on invoices
for each row execute function invoices_customer_totals();

-- The invoices already there.
insert into customer_totals (customer_id, invoice_count, paid_count, paid_cents, pending_cents)
select
    customer_id,
    count(*),
    sum(case when status = 'paid' then 1 else 0 end),
    sum(case when status = 'paid' then amount_cents else 0 end),
    sum(case when status = 'pending' then amount_cents else 0 end)
from invoices
group by customer_id;
