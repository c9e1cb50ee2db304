-- Who may sign in, their sessions, and the failed sign-ins that slow down guessing.

-- People who may use the dashboard.
create table users (
    id integer primary key,

    -- The sign-in name. Stored as typed (trimmed), compared case-insensitively: the
    -- unique index below is on lower(email), so 'Ada@x' and 'ada@x' cannot both exist.
    email text not null check (length(email) between 3 and 254),

    -- Shown in the navigation, e.g. 'User'.
    name text not null check (length(name) between 1 and 200),

    -- An argon2id hash in the PHC string format ('$argon2id$v=19$m=…'), which carries its
    -- own salt and cost parameters: a later build may raise the cost without a migration.
    password_hash text not null check (password_hash like '$argon2id$%')
) strict;

-- user_by_email: one seek, whatever the case the user types.
create unique index users_by_email on users (lower(email));

-- Signed-in sessions, shared by every braid instance on this database.
create table sessions (
    -- SHA-256 of the session ID in the cookie, hex: someone who reads this table (a
    -- backup, a leaked dump) learns no cookie that would sign them in.
    id_hash text primary key,

    -- The session's data as tower-sessions serialises it: a JSON object.
    data text not null,

    -- Unix seconds after which the session is void; load treats it as absent.
    expires_at integer not null,

    -- Copied from data when present, so deleting a user ends their sessions.
    user_id integer references users (id) on delete cascade
) strict, without rowid;

-- Expired sessions are deleted in bulk when a new one is created.
create index sessions_by_expiry on sessions (expires_at);
create index sessions_by_user on sessions (user_id);

-- Failed sign-ins, counted per account and per client address to refuse guessing. An
-- attempt is recorded here before its password is checked (one transaction with the count,
-- so parallel attempts cannot all pass) and deleted again if it succeeds.
create table sign_in_failures (
    -- 'email:<lowercased email>' or 'address:<IPv4 address or IPv6 /64>'.
    key text not null,

    -- Unix seconds of the failure.
    failed_at integer not null
) strict;

-- begin_sign_in_attempt: a range scan of one key's recent rows.
create index sign_in_failures_by_key on sign_in_failures (key, failed_at);
