//! The main menu: its entries and the inline keyboard that offers them.
//! Apart from `menu` (the front door's handlers), so that whatever offers a
//! fresh start — an expiry notice, say — shows it without reaching the
//! router.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::i18n::Lang;
use crate::texts::{self, Phrase};

/// The main menu entries: callback item and label.
pub const MENU_ITEMS: [(&str, Phrase); 8] = [
    ("complaint", texts::MENU_COMPLAINT),
    ("repair", texts::MENU_REPAIR),
    ("consultation", texts::MENU_CONSULTATION),
    ("fees", texts::MENU_FEES),
    ("survey", texts::MENU_SURVEY),
    ("suggestion", texts::MENU_SUGGESTION),
    ("tickets", texts::MENU_TICKETS),
    ("registration", texts::MENU_REGISTRATION),
];

/// The main menu as an inline keyboard, two buttons a row.
#[must_use]
pub fn main_menu(lang: Lang) -> InlineKeyboardMarkup {
    let buttons: Vec<InlineKeyboardButton> = MENU_ITEMS
        .iter()
        .map(|(item, label)| InlineKeyboardButton::callback(label.get(lang), format!("m:{item}")))
        .collect();
    InlineKeyboardMarkup::new(buttons.chunks(2).map(<[_]>::to_vec))
}
