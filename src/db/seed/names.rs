//! Word lists for plausible customers. ASCII only, so emails need no transliteration; a few
//! names carry an apostrophe or a hyphen, which the app must escape and search must match.

pub(super) const FIRST_NAMES: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Beatrice", "Carlos", "Chen", "Chloe", "Daniel",
    "Delia", "Emeka", "Emma", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Jamal",
    "Jin", "Julia", "Kai", "Kenji", "Lara", "Leila", "Liam", "Lucia", "Marco", "Maya", "Mei",
    "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael", "Rosa", "Samir", "Sofia", "Tariq", "Tomas",
    "Uma", "Victor", "Wei", "Yara", "Zoe",
];

pub(super) const LAST_NAMES: &[&str] = &[
    "Abara",
    "Alvarez",
    "Andersen",
    "Bauer",
    "Becker",
    "Chowdhury",
    "Costa",
    "D'Souza",
    "Dubois",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Haddad",
    "Hernandez",
    "Ito",
    "Ivanova",
    "Jensen",
    "Kapoor",
    "Kim",
    "Kowalski",
    "Lambert",
    "Lopez",
    "Martin",
    "Mensah",
    "Moreau",
    "Nakamura",
    "Novak",
    "O'Brien",
    "Okafor",
    "Olsen",
    "Park",
    "Petrov",
    "Quinn",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Smith-Jones",
    "Tanaka",
    "Torres",
    "Usman",
    "Varga",
    "Wagner",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Zielinski",
];

/// Domains reserved for examples and tests (RFC 2606, RFC 6761): mail to them goes nowhere.
pub(super) const EMAIL_DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "acme.test",
    "mail.test",
];

/// Avatar backgrounds: Tailwind's 600 shades, all readable under white initials.
pub(super) const AVATAR_COLORS: &[&str] = &[
    "#dc2626", "#ea580c", "#d97706", "#65a30d", "#16a34a", "#0d9488", "#0891b2", "#2563eb",
    "#4f46e5", "#7c3aed", "#c026d3", "#db2777",
];
