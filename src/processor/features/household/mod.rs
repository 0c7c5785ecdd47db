//! Households: who belongs to a unit, and the ways that changes in Telegram
//! without a visit to the office.
//!
//! - An owner's `/household`: the members of each of their units, a
//!   one-time invitation link for a family member or a tenant
//!   (`t.me/<bot>?start=<code>`, valid for the office setting
//!   `invite_hours`), and removing family members and tenants (`owner.rs`).
//! - The invited person opens the link (`/start <code>`) and is bound with
//!   the role the owner chose (`owner.rs`).
//! - Staff complete a registration request ("we could not find your
//!   number") from its card: bind the applicant as owner, tenant or family,
//!   or refuse with a reason; the applicant is told (`office.rs`).
//! - Staff `/unbind UNIT [phone|name]` someone who moved out (`office.rs`).
//! - Whoever was just bound is offered arrears reminders (on or off).
//!
//! The SQL is `domain::households`; this module says it in Telegram.

mod office;
mod owner;
mod reminders;

use anyhow::Result;
use teloxide::types::CallbackQuery;

pub use office::{on_refusal_reason, unbind_command};
pub use owner::{accept_invite, on_command};
pub use reminders::reminders_state;

use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::Callback;
use crate::texts;

/// The `/start` payload of `text`, when it carries one (an invitation).
#[must_use]
pub fn start_payload<'t>(text: &'t str, bot_username: &str) -> Option<&'t str> {
    let mut words = text.split_whitespace();
    let command = words.next()?;
    let (name, to) = command.split_once('@').unwrap_or((command, ""));
    if !name.eq_ignore_ascii_case("/start")
        || !(to.is_empty() || to.eq_ignore_ascii_case(bot_username))
    {
        return None;
    }
    words.next()
}

/// A household button (`h:` and `g:`).
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    match button {
        Callback::HouseholdInvite { unit, role } => owner::invite(ctx, from, q, unit, role).await,
        Callback::HouseholdRemove { unit, person } => {
            owner::ask_remove(ctx, from, q, unit, person).await
        }
        Callback::HouseholdRemoveYes { unit, person } => {
            owner::remove(ctx, from, q, unit, person).await
        }
        Callback::HouseholdKeep => {
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            ctx.reply(
                from.chat_id,
                Request::text(texts::household::REMOVE_KEPT.get(from.lang)),
            )
            .await
            .map(drop)
        }
        Callback::Reminders(on) => reminders::chosen(ctx, from, q, on).await,
        Callback::RegistrationBind { ticket, role } => {
            office::bind_applicant(ctx, from, q, ticket, role).await
        }
        Callback::RegistrationRefuse(ticket) => office::ask_reason(ctx, from, q, ticket).await,
        Callback::Unbind { unit, person } => {
            office::unbind_button(ctx, from, q, unit, person).await
        }
        _ => answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(from.lang))).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_payload_is_the_word_after_start() {
        assert_eq!(start_payload("/start abc", "bot"), Some("abc"));
        assert_eq!(start_payload("/start@Bot abc", "bot"), Some("abc"));
        assert_eq!(start_payload("/start", "bot"), None);
        assert_eq!(start_payload("/start@other abc", "bot"), None);
        assert_eq!(start_payload("/menu abc", "bot"), None);
        assert_eq!(start_payload("start abc", "bot"), None);
    }
}
