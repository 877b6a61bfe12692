//! Every string a person reads passes through here: untrusted text made safe for a terminal, a
//! CI log, Markdown and HTML ([`escape`]); sizes and shares in words ([`size`]); text cut to fit
//! ([`clip`]); build commands as they were written ([`command`]); instants as UTC dates
//! ([`time`]). Below the reports, the gates and the viewer alike, so none of them imports another
//! for its words, and they never word the same thing two ways.

pub mod clip;
pub mod command;
pub mod escape;
pub mod size;
pub mod time;

pub use clip::{clip, clip_start, one_line, one_line_command, plural, short, shorten_middle};
pub use command::clean_command;
pub use escape::{escape_control, json_terminal_safe};
pub use size::{human_size, percent, rough_percent, signed_size, use_si};
