//! The main menu: its entries and the inline keyboard that offers them.
//! Apart from `menu` (the front door's handlers), so that whatever offers a
//! fresh start — an expiry notice, say — shows it without reaching the
//! router.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::i18n::Lang;
use crate::telegram::callback::{Callback, MenuItem};
use crate::texts::{self, Phrase};

/// The main menu entries: callback item and label.
pub const MENU_ITEMS: [(MenuItem, Phrase); 8] = [
    (MenuItem::Complaint, texts::MENU_COMPLAINT),
    (MenuItem::Repair, texts::MENU_REPAIR),
    (MenuItem::Consultation, texts::MENU_CONSULTATION),
    (MenuItem::Fees, texts::MENU_FEES),
    (MenuItem::Survey, texts::MENU_SURVEY),
    (MenuItem::Suggestion, texts::MENU_SUGGESTION),
    (MenuItem::Tickets, texts::MENU_TICKETS),
    (MenuItem::Registration, texts::MENU_REGISTRATION),
];

/// The main menu as an inline keyboard, two buttons a row.
#[must_use]
pub fn main_menu(lang: Lang) -> InlineKeyboardMarkup {
    let buttons: Vec<InlineKeyboardButton> = MENU_ITEMS
        .iter()
        .map(|(item, label)| {
            InlineKeyboardButton::callback(label.get(lang), Callback::Menu(*item).encode())
        })
        .collect();
    InlineKeyboardMarkup::new(buttons.chunks(2).map(<[_]>::to_vec))
}
