//! Markup pieces the pages share: the layout, cards, the chart, tables, skeletons, formats,
//! the invoice form.

pub mod avatar;
pub mod cards;
pub mod chart;
pub mod format;
pub mod invoice_form;
pub mod layout;
pub mod search;
pub mod skeleton;
pub mod tables;
