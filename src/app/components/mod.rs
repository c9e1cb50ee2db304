//! Markup pieces the pages share: the layout, cards, the chart, tables, skeletons, formats.

pub mod avatar;
pub mod cards;
pub mod chart;
pub mod format;
pub mod layout;
pub mod skeleton;
pub mod tables;
