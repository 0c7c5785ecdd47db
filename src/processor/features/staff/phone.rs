//! Who sees an owner's full phone number: the staff member who holds the
//! ticket (claimed or assigned), supervisors and managers — and only in
//! their private chat with the bot; the staff group sees it masked. Every
//! time a full number is shown, the ticket's audit trail records who saw
//! it, when and where (`phone_viewed`, internal).
//!
//! The number is written in international form (`+86 138 1234 5678`),
//! which Telegram's apps recognise as a phone number (a `phone_number`
//! entity) and make tappable to call.

use anyhow::Result;
use serde_json::json;

use super::card;
use crate::domain::staff::Staff;
use crate::domain::tickets::{self, Actor, Ticket};
use crate::processor::context::Ctx;

/// Why a full number was shown (the audit row's `via`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The private notice to whoever claimed the ticket.
    Claimed,
    /// The private notice to whoever it was assigned to.
    Assigned,
    /// `/ticket N` in a private chat.
    TicketCommand,
    /// A reply could not reach an owner who blocked the bot.
    OwnerBlocked,
    /// The Call back button of a low-rating follow-up.
    CallBack,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Claimed => "claim_notice",
            Via::Assigned => "assign_notice",
            Via::TicketCommand => "ticket_command",
            Via::OwnerBlocked => "owner_blocked",
            Via::CallBack => "call_back",
        }
    }
}

/// Whether `member` may see the full number of `t`'s contact: the holder,
/// and supervisors and managers always.
#[must_use]
pub fn may_see_full(member: &Staff, t: &Ticket) -> bool {
    member.role.sees_full_phone() || t.assignee == Some(member.telegram_user_id)
}

/// The full number of `t`'s contact, to be shown to `member` in their
/// private chat (`private`), in the form Telegram makes tappable — and
/// recorded in the ticket's audit trail. `None` (and nothing recorded) when
/// the member may not see it there, or there is no number.
pub async fn reveal(
    ctx: &mut Ctx<'_>,
    member: &Staff,
    t: &Ticket,
    private: bool,
    via: Via,
) -> Result<Option<String>> {
    if !private || !may_see_full(member, t) {
        return Ok(None);
    }
    let Some((_, _, Some(phone))) = card::contact(t) else {
        return Ok(None);
    };
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Staff(member.telegram_user_id),
        "phone_viewed",
        None,
        true,
        json!({ "via": via.as_str(), "masked": card::masked(&phone) }),
    )
    .await?;
    tracing::info!(
        ticket = t.id.0,
        staff_no = member.staff_no,
        via = via.as_str(),
        "full phone number shown"
    );
    Ok(Some(card::dialable(&phone)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_is_written_the_way_telegram_links_it() {
        assert_eq!(card::dialable("+8613812341234"), "+86 138 1234 1234");
        assert_eq!(card::dialable("+447911123456"), "+447911123456");
        assert_eq!(card::masked("+8613812341234"), "138****1234");
    }
}
